"""Errors of the per-Einsum mapper.

Bad input (a mapping that breaks the architecture, an unknown objective or
solver) raises :class:`MappingError`, a ``ValueError``; a well-formed request
with no answer (nothing fits, the solver finds nothing) raises
:class:`InfeasibleMappingError`, an :class:`accel.errors.InfeasibleError` (exit 3 on the command line), which,
when one exists, the best feasible mapping found before giving up.
"""

from __future__ import annotations

from accel.errors import BadInputError, InfeasibleError

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._result import MapResult

__all__ = ["MappingError", "InfeasibleMappingError"]


class MappingError(BadInputError):
    """A mapping, objective or solver option that is not valid for the Einsum and architecture."""


class InfeasibleMappingError(InfeasibleError, MappingError):
    """No legal mapping exists, or the solver found none in time.

    Parameters
    ----------
    message : str
        What failed and why, naming the Einsum, level and tensor.
    best : MapResult, optional
        The best feasible result found so far, if any.
    """

    def __init__(self, message: str, best: MapResult | None = None) -> None:
        super().__init__(message)
        self.best = best
