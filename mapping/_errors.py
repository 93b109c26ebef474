"""Errors of the per-Einsum mapper.

Bad input (a mapping that breaks the architecture, an unknown objective or
solver) raises :class:`MappingError`, a ``ValueError``; a well-formed request
with no answer (nothing fits, the solver finds nothing) raises
:class:`InfeasibleMappingError`, which carries ``exit_code = 3`` for the CLI and,
when one exists, the best feasible mapping found before giving up.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MappingError", "InfeasibleMappingError"]


class MappingError(ValueError):
    """A mapping, objective or solver option that is not valid for the Einsum and architecture."""


class InfeasibleMappingError(MappingError):
    """No legal mapping exists, or the solver found none in time.

    Parameters
    ----------
    message : str
        What failed and why, naming the Einsum, level and tensor.
    best : object, optional
        The best feasible result found so far (a ``MapResult``), if any.
    """

    exit_code = 3

    def __init__(self, message: str, best: Any = None) -> None:
        super().__init__(message)
        self.best = best
