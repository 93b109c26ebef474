"""Errors of the sweep engine: a bad sweep spec, a store that cannot be trusted."""

from __future__ import annotations

from accel.errors import BadInputError

from collections.abc import Iterable

__all__ = ["SweepSpecError", "StoreError", "SchedulerError", "SweepArgumentError", "ResultsError"]


class SweepSpecError(BadInputError):
    """A sweep spec is invalid.

    Every problem found is collected before raising; ``errors`` holds
    ``(path, message)`` pairs such as ``('axes.pe_array.rowz', 'unknown ...')``
    and ``str(error)`` lists them one per line.

    Parameters
    ----------
    errors : iterable of (str, str)
        The ``(path, message)`` pairs, in the order found.
    source : str
        Where the spec came from (a file name or ``'<string>'``).
    """

    def __init__(self, errors: Iterable[tuple[str, str]], source: str = "<spec>") -> None:
        self.errors: list[tuple[str, str]] = list(errors)
        self.source = source
        n = len(self.errors)
        heading = f"{source}: {n} error{'s' if n != 1 else ''} in sweep spec:"
        lines = [f"  {path}: {message}" if path else f"  {message}" for path, message in self.errors]
        super().__init__("\n".join([heading, *lines]))


class StoreError(BadInputError):
    """A result store that is not a valid ``accel`` sweep store (never overwritten), or a misuse of one."""


class SchedulerError(BadInputError):
    """A ``--scheduler`` address that is malformed or where no Dask scheduler answers."""


class SweepArgumentError(BadInputError):
    """An argument of a sweep call out of range (a negative number of workers)."""


class ResultsError(BadInputError):
    """A request the stored results cannot answer: nothing evaluated to plot, an unknown column or format."""
