"""The ILP solvers the searches use (both through PuLP), and keeping their output off stdout.

HiGHS prints its banner ("Running HiGHS ...") on the process's C-level stdout the first time a ``Highs`` object
is made, whatever its options say. ``--json`` promises JSON alone on stdout, and sweep workers share their
terminal, so every HiGHS solve first calls :func:`quiet_highs`, which makes that first object with file
descriptor 1 pointed at ``/dev/null``. CBC runs as a subprocess with ``msg=False`` and a log file.
"""

from __future__ import annotations

import os
import sys
import threading

__all__ = ["SOLVERS", "quiet_highs"]

#: ILP solvers (both through PuLP): the vocabulary the mapper, the COSMA scheduler and the CLI share.
SOLVERS: tuple[str, ...] = ("cbc", "highs")

_lock = threading.Lock()
_quiet = False


def quiet_highs() -> None:
    """Make this process's first ``highspy.Highs`` with stdout silenced, so its banner never reaches stdout."""
    global _quiet
    if _quiet:
        return
    with _lock:
        if _quiet:
            return
        import highspy

        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _quiet = True
