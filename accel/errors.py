"""The two families of errors every package subclasses, and what the command line makes of them.

* :class:`BadInputError`: the request is malformed (a spec, a cascade, a parameter, a file): exit status 2.
* :class:`InfeasibleError`: the request is well formed but has no answer (nothing fits, no schedule, a deadlock):
  exit status 3.

Both derive from :class:`AccelError`. Anything else raised from our own code is a bug: the command line exits 1
and shows the traceback behind ``--debug``. The bad-input family also derives from :class:`ValueError`, so callers
that catch ``ValueError`` around our library keep working.

This module imports nothing of ours: it is the bottom of the bottom layer.
"""

from __future__ import annotations

__all__ = ["AccelError", "BadInputError", "InfeasibleError", "EXIT_OK", "EXIT_INTERNAL", "EXIT_BAD_INPUT", "EXIT_INFEASIBLE"]

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3


class AccelError(Exception):
    """Base of the errors our packages raise on purpose; ``exit_code`` is the command line's exit status."""

    exit_code = EXIT_INTERNAL


class BadInputError(AccelError, ValueError):
    """Malformed input: the message names the file (or the argument) and the place in it."""

    exit_code = EXIT_BAD_INPUT


class InfeasibleError(AccelError):
    """A well-formed request with no feasible answer; the message says what does not fit and by how much."""

    exit_code = EXIT_INFEASIBLE
