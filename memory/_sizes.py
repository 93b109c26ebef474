"""Parsing of byte sizes such as ``"512KiB"``, ``"1MiB"`` or ``"64KB"``."""

from __future__ import annotations

import math
import re

from ._errors import SizeError

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "K": 1024,
    "M": 1024**2,
    "G": 1024**3,
}

_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str | int) -> int:
    """Return a size in bytes.

    Parameters
    ----------
    text:
        An integer number of bytes, or a string such as ``"512KiB"``, ``"1MiB"``,
        ``"64KB"`` (decimal units), ``"4096"`` or ``"1.5MiB"``.  ``K``/``M``/``G``
        alone are binary units.

    Raises
    ------
    ValueError
        If the text is not a size, names an unknown unit, is not a whole number
        of bytes, or is zero or negative.
    TypeError
        If ``text`` is neither ``str`` nor ``int``.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise TypeError(f"size must be a string like '512KiB' or an integer, not {text!r}")
    if isinstance(text, int):
        value = text
    else:
        match = _PATTERN.match(text)
        if match is None:
            raise SizeError(f"size must look like '512KiB', '1MiB' or '64KB', not {text!r}")
        number, unit = match.groups()
        factor = _UNITS.get(unit.upper())
        if factor is None:
            raise SizeError(f"unknown size unit {unit!r} in {text!r}; use B, KB, MB, GB, KiB, MiB or GiB")
        exact = float(number) * factor
        if not math.isfinite(exact) or exact > 2**63:
            raise SizeError(f"size {text[:40]!r}{'...' if len(text) > 40 else ''} is too large (at most 8 EiB)")
        if exact != int(exact):
            raise SizeError(f"size {text!r} is not a whole number of bytes")
        value = int(exact)
    if value <= 0:
        raise SizeError(f"size must be positive, not {text!r}")
    return value
