"""Helpers shared by the workload builders: argument checks and index text."""

from __future__ import annotations

from accel.errors import BadInputError

__all__ = ["check_positive", "affine", "LibraryParameterError"]


class LibraryParameterError(BadInputError):
    """A builder parameter out of range (the message names the builder and quotes the value)."""


def check_positive(builder: str, **params: object) -> None:
    """Raise unless every value is a positive integer.

    Raises
    ------
    TypeError
        For a non-integer value.
    LibraryParameterError
        For a value below 1.
    """
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{builder}: parameter {name} must be an integer, not {value!r}")
        if value < 1:
            raise LibraryParameterError(f"{builder}: parameter {name} must be a positive integer, not {value!r}")


def affine(*terms: tuple[str, int] | str, constant: int = 0) -> str:
    """Index text such as ``p*2+r+1`` from ``("p", 2), "r"`` and ``constant=1``."""
    pieces = []
    for term in terms:
        rank, coefficient = (term, 1) if isinstance(term, str) else term
        pieces.append(rank if coefficient == 1 else f"{rank}*{coefficient}")
    text = "+".join(pieces)
    if constant:
        text += f"{constant:+d}" if text else str(constant)
    return text or "0"
