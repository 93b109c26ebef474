"""The one error type for bad architecture input."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import BadInputError

__all__ = ["SpecError"]


class SpecError(BadInputError):
    """An architecture spec (or an estimator table) is invalid.

    Every problem found is collected before raising, so one run reports them
    all.  ``errors`` holds ``(path, message)`` pairs, with paths such as
    ``levels[2].read_bandwidth``; ``str(error)`` lists them one per line.

    Parameters
    ----------
    errors : iterable of (str, str)
        The ``(path, message)`` pairs, in the order found.
    source : str
        Where the spec came from (a file name, a built-in name, ``'<string>'``).
    what : str
        What was being read, for the heading (``'architecture spec'``).
    """

    def __init__(self, errors: Iterable[tuple[str, str]], source: str = "<spec>", what: str = "architecture spec"):
        self.errors: list[tuple[str, str]] = list(errors)
        self.source = source
        n = len(self.errors)
        heading = f"{source}: {n} error{'s' if n != 1 else ''} in {what}:"
        lines = [f"  {path}: {message}" if path else f"  {message}" for path, message in self.errors]
        super().__init__("\n".join([heading, *lines]))
