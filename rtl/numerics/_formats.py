"""Binary floating-point format descriptions (FP8, FP6, FP4, BF16, FP16, FP32).

A :class:`FloatFormat` names the bit fields of a sign-exponent-mantissa format
and its convention for special values:

- ``'ieee'``: the all-ones exponent encodes infinity (mantissa 0) and NaN
  (mantissa non-zero), as in IEEE 754 (E5M2, FP16, BF16, FP32).
- ``'fn'``: "finite + NaN" (OCP E4M3): no infinities; only the all-ones
  exponent *and* all-ones mantissa pattern is NaN, every other pattern is finite.
- ``'none'``: every pattern is finite (OCP MX element formats E2M1, E3M2, E2M3).
"""

from __future__ import annotations

from accel.errors import BadInputError

from dataclasses import dataclass

import numpy as np

__all__ = [
    "NumericsError",
    "FloatFormat",
    "float_format",
    "resolve_format",
    "E4M3",
    "E5M2",
    "E2M1",
    "E3M2",
    "E2M3",
    "BF16",
    "FP16",
    "FP32",
    "FORMATS",
]

_NAN_CONVENTIONS = ("ieee", "fn", "none")


class NumericsError(BadInputError):
    """Bad input to a golden numerics model (format, width, code or shape)."""


def _check_int(where: str, name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{where}: {name} must be an integer, not {value!r}")
    if not lo <= int(value) <= hi:
        raise NumericsError(f"{where}: {name} must be in [{lo}, {hi}], not {value!r}")
    return int(value)


@dataclass(frozen=True)
class FloatFormat:
    """A binary floating-point format: 1 sign bit, ``exp_bits``, ``man_bits``.

    Parameters
    ----------
    name : str
        Short name (``'e4m3'``, ``'bf16'``, ...).
    exp_bits : int
        Exponent field width, 2 to 8.
    man_bits : int
        Stored mantissa (trailing significand) width, 1 to 23.
    bias : int
        Exponent bias.
    has_inf : bool
        Whether the format encodes infinities (true exactly for ``nan='ieee'``).
    nan : str
        ``'ieee'``, ``'fn'`` or ``'none'`` (see the module docstring).

    Raises
    ------
    TypeError
        A width or the bias is not an integer.
    NumericsError
        A width is out of range, the total exceeds 32 bits, the bias puts the
        range outside FP32's, or ``has_inf`` contradicts ``nan``.
    """

    name: str
    exp_bits: int
    man_bits: int
    bias: int
    has_inf: bool
    nan: str

    def __post_init__(self) -> None:
        where = f"FloatFormat {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"FloatFormat: name must be a non-empty string, not {self.name!r}")
        _check_int(where, "exp_bits", self.exp_bits, 2, 8)
        _check_int(where, "man_bits", self.man_bits, 1, 23)
        if 1 + self.exp_bits + self.man_bits > 32:
            raise NumericsError(
                f"{where}: 1 + exp_bits + man_bits must be at most 32, "
                f"not {1 + self.exp_bits + self.man_bits!r}"
            )
        if self.nan not in _NAN_CONVENTIONS:
            raise NumericsError(f"{where}: nan must be one of {_NAN_CONVENTIONS}, not {self.nan!r}")
        if self.has_inf != (self.nan == "ieee"):
            raise NumericsError(
                f"{where}: has_inf={self.has_inf!r} contradicts nan={self.nan!r} "
                "(only 'ieee' formats have infinities)"
            )
        _check_int(where, "bias", self.bias, -126, 127)
        if self.emin < -126 or self.emax > 127:
            raise NumericsError(
                f"{where}: bias {self.bias!r} gives exponents [{self.emin}, {self.emax}] "
                "outside FP32's [-126, 127]"
            )

    # -- widths and codes ---------------------------------------------------
    @property
    def bits(self) -> int:
        """Total width of a code in bits."""
        return 1 + self.exp_bits + self.man_bits

    @property
    def code_dtype(self) -> type:
        """Unsigned numpy dtype that holds one code (uint8, uint16 or uint32)."""
        if self.bits <= 8:
            return np.uint8
        if self.bits <= 16:
            return np.uint16
        return np.uint32

    @property
    def sign_mask(self) -> int:
        """The sign bit of a code."""
        return 1 << (self.bits - 1)

    @property
    def exp_field_max(self) -> int:
        """All-ones exponent field."""
        return (1 << self.exp_bits) - 1

    @property
    def max_code(self) -> int:
        """Magnitude code (sign clear) of the largest finite value."""
        if self.nan == "ieee":
            return (self.exp_field_max << self.man_bits) - 1
        if self.nan == "fn":
            return (1 << (self.exp_bits + self.man_bits)) - 2
        return (1 << (self.exp_bits + self.man_bits)) - 1

    @property
    def nan_code(self) -> int | None:
        """Canonical (positive, quiet) NaN code, or None for formats without NaN."""
        if self.nan == "ieee":
            return (self.exp_field_max << self.man_bits) | (1 << (self.man_bits - 1))
        if self.nan == "fn":
            return (1 << (self.exp_bits + self.man_bits)) - 1
        return None

    @property
    def inf_code(self) -> int | None:
        """Positive infinity code, or None for formats without infinities."""
        return self.exp_field_max << self.man_bits if self.has_inf else None

    # -- exponents and values -----------------------------------------------
    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal number (1 - bias)."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Unbiased exponent of the largest finite number."""
        top = self.exp_field_max - 1 if self.nan == "ieee" else self.exp_field_max
        return top - self.bias

    @property
    def max_normal(self) -> float:
        """Largest finite value (448 for E4M3, 57344 for E5M2)."""
        man = self.max_code & ((1 << self.man_bits) - 1)
        return float(np.ldexp(1.0 + man / (1 << self.man_bits), self.emax))

    @property
    def min_normal(self) -> float:
        """Smallest positive normal value, 2**emin."""
        return float(np.ldexp(1.0, self.emin))

    @property
    def min_subnormal(self) -> float:
        """Smallest positive subnormal value, 2**(emin - man_bits)."""
        return float(np.ldexp(1.0, self.emin - self.man_bits))


def float_format(
    exp_bits: int,
    man_bits: int,
    *,
    bias: int | None = None,
    nan: str = "ieee",
    name: str | None = None,
) -> FloatFormat:
    """Build a custom format, IEEE-like by default (e.g. for L-Mul studies).

    Parameters
    ----------
    exp_bits : int
        Exponent field width, 2 to 8.
    man_bits : int
        Mantissa field width, 1 to 23 (1 + exp_bits + man_bits <= 32).
    bias : int, optional
        Exponent bias; default ``2**(exp_bits - 1) - 1``.
    nan : str
        ``'ieee'`` (default), ``'fn'`` or ``'none'``.
    name : str, optional
        Default ``'e{exp_bits}m{man_bits}'``, suffixed ``'fn'`` for ``nan='fn'``
        and ``'nonan'`` for ``nan='none'``.

    Raises
    ------
    TypeError
        A width is not an integer.
    NumericsError
        A width or the bias is out of range, or ``nan`` is unknown.
    """
    _check_int("float_format", "exp_bits", exp_bits, 2, 8)
    _check_int("float_format", "man_bits", man_bits, 1, 23)
    if bias is None:
        bias = (1 << (exp_bits - 1)) - 1
    if name is None:
        suffix = {"ieee": "", "fn": "fn", "none": "nonan"}.get(nan, "")
        name = f"e{exp_bits}m{man_bits}{suffix}"
    return FloatFormat(
        name=name,
        exp_bits=exp_bits,
        man_bits=man_bits,
        bias=bias,
        has_inf=nan == "ieee",
        nan=nan,
    )


E4M3 = FloatFormat("e4m3", 4, 3, 7, False, "fn")
E5M2 = FloatFormat("e5m2", 5, 2, 15, True, "ieee")
E2M1 = FloatFormat("e2m1", 2, 1, 1, False, "none")
E3M2 = FloatFormat("e3m2", 3, 2, 3, False, "none")
E2M3 = FloatFormat("e2m3", 2, 3, 1, False, "none")
BF16 = FloatFormat("bf16", 8, 7, 127, True, "ieee")
FP16 = FloatFormat("fp16", 5, 10, 15, True, "ieee")
FP32 = FloatFormat("fp32", 8, 23, 127, True, "ieee")

FORMATS: dict[str, FloatFormat] = {
    f.name: f for f in (E4M3, E5M2, E2M1, E3M2, E2M3, BF16, FP16, FP32)
}


def resolve_format(fmt: FloatFormat | str, where: str) -> FloatFormat:
    """Return ``fmt`` itself or the built-in format of that name.

    Raises
    ------
    TypeError
        ``fmt`` is neither a FloatFormat nor a string.
    NumericsError
        Unknown format name.
    """
    if isinstance(fmt, FloatFormat):
        return fmt
    if isinstance(fmt, str):
        key = fmt.lower()
        if key in FORMATS:
            return FORMATS[key]
        raise NumericsError(
            f"{where}: unknown format {fmt!r}; expected one of {sorted(FORMATS)} "
            "or a FloatFormat from float_format()"
        )
    raise TypeError(f"{where}: fmt must be a FloatFormat or a format name, not {fmt!r}")
