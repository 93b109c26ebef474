"""Argument checks shared by the core types' constructors."""

from __future__ import annotations

import math

__all__ = ["positive_int", "positive_number", "names", "holds"]


def positive_int(owner: str, name: str, value: object, minimum: int = 1) -> None:
    """Raise ``TypeError`` unless ``value`` is an int (not bool), ``ValueError`` if below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}.{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}.{name} must be >= {minimum}, not {value!r}")


def positive_number(owner: str, name: str, value: object, allow_zero: bool = False) -> None:
    """Raise ``TypeError`` unless ``value`` is a real number, ``ValueError`` unless > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}.{name} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{owner}.{name} must be finite, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{owner}.{name} must be {'>= 0' if allow_zero else '> 0'}, not {value!r}")


def names(obj: object, attr: str, owner: str, allow_empty: bool) -> None:
    """Check ``obj.attr`` is a sequence of non-empty strings and freeze it into a tuple."""
    value = getattr(obj, attr)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise TypeError(f"{owner}.{attr} must be a sequence of non-empty names, not {value!r}")
    object.__setattr__(obj, attr, tuple(value))
    if not allow_empty and not value:
        raise ValueError(f"{owner}.{attr} must name at least one tensor or role, not {tuple(value)!r}")


def holds(holds: tuple[str, ...], tensor: str, role: str | None) -> bool:
    """Whether a storage element restricted to ``holds`` may hold ``tensor`` playing ``role``."""
    return "any" in holds or tensor in holds or (role is not None and role in holds)
