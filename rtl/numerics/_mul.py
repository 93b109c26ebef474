"""Exact FP8 x FP8 products as FP32 bit patterns (the FP8 multiplier's golden model).

Every product of two FP8 (or narrower) values is exactly representable in
FP32: at most 2 * 4 significant bits, and exponents from 2**-32 (E5M2
subnormal squared) to 57344**2 < 2**32. The multiplier therefore never rounds.

Specials (IEEE 754 rules, one canonical NaN):
- sign of a non-NaN product = sign(a) XOR sign(b), zeros included
  (``+0 * -3 = -0``);
- NaN operand, or Inf * 0 (E5M2), gives the canonical positive quiet NaN
  ``0x7FC00000`` whatever the operand signs;
- Inf * non-zero finite or Inf gives +-Inf (``0x7F800000`` | sign);
- subnormal operands are exact (no flushing).
"""

from __future__ import annotations

import numpy as np

from ._bits import Parts, as_codes, pack, unpack
from ._formats import FP32, FloatFormat, NumericsError, resolve_format

__all__ = ["fp8_mul", "fp8_mul_mixed", "product_parts", "broadcast_codes", "check_fp8_pair"]


def _check_fp8(fmt: FloatFormat | str, where: str, name: str) -> FloatFormat:
    f = resolve_format(fmt, where)
    if f.bits > 8:
        raise NumericsError(
            f"{where}: {name} must be an FP8 (or narrower) format, not {f.name!r} ({f.bits} bits)"
        )
    return f


def check_fp8_pair(
    fmt_a: FloatFormat | str, fmt_b: FloatFormat | str, where: str
) -> tuple[FloatFormat, FloatFormat]:
    """Resolve two FP8 formats whose products FP32 holds exactly.

    Raises
    ------
    TypeError
        An invalid format type.
    NumericsError
        Unknown or wider-than-8-bit formats, or a product range beyond FP32.
    """
    fa = _check_fp8(fmt_a, where, "fmt_a")
    fb = _check_fp8(fmt_b, where, "fmt_b")
    lo = (fa.emin - fa.man_bits) + (fb.emin - fb.man_bits)
    hi = fa.emax + fb.emax + 1
    if lo < FP32.emin - FP32.man_bits or hi > FP32.emax:
        raise NumericsError(
            f"{where}: products of {fa.name!r} and {fb.name!r} span 2**{lo} to 2**{hi + 1}, "
            "outside what FP32 holds exactly"
        )
    return fa, fb


def broadcast_codes(
    a: object, fa: FloatFormat, b: object, fb: FloatFormat, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """Validate two code arrays and broadcast them together.

    Raises
    ------
    TypeError
        Non-integer codes.
    NumericsError
        Codes out of range or shapes that do not broadcast.
    """
    ca = as_codes(a, fa, where, "a")
    cb = as_codes(b, fb, where, "b")
    try:
        return tuple(np.broadcast_arrays(ca, cb))  # type: ignore[return-value]
    except ValueError:
        raise NumericsError(
            f"{where}: shapes of a {ca.shape!r} and b {cb.shape!r} do not broadcast"
        ) from None


def product_parts(pa: Parts, pb: Parts) -> Parts:
    """The exact product of two unpacked operands, with IEEE specials."""
    zero_a = (pa.sig == 0) & ~pa.nan & ~pa.inf
    zero_b = (pb.sig == 0) & ~pb.nan & ~pb.inf
    nan = pa.nan | pb.nan | (pa.inf & zero_b) | (pb.inf & zero_a)
    inf = (pa.inf | pb.inf) & ~nan
    return Parts(
        sign=pa.sign ^ pb.sign,
        sig=pa.sig * pb.sig,
        exp=pa.exp + pb.exp,
        nan=nan,
        inf=inf,
    )


def fp8_mul_mixed(
    a: object, fmt_a: FloatFormat | str, b: object, fmt_b: FloatFormat | str
) -> np.ndarray:
    """Exact product of FP8 codes of two (possibly different) formats, as FP32 bits.

    Parameters
    ----------
    a, b : array_like of int
        Operand codes (broadcast together).
    fmt_a, fmt_b : FloatFormat or str
        Their formats, each at most 8 bits wide (E4M3, E5M2, ...).

    Returns
    -------
    numpy.ndarray of uint32
        FP32 bit patterns of the exact products (see the module docstring).

    Raises
    ------
    TypeError
        Non-integer codes or an invalid format type.
    NumericsError
        Unknown or wider-than-8-bit format, codes out of range, or shapes that
        do not broadcast.
    """
    where = "fp8_mul"
    fa, fb = check_fp8_pair(fmt_a, fmt_b, where)
    ca, cb = broadcast_codes(a, fa, b, fb, where)
    prod = product_parts(unpack(ca, fa), unpack(cb, fb))
    return pack(prod, FP32, saturate=False, where=where, keep_nan_sign=False)


def fp8_mul(a: object, b: object, fmt: FloatFormat | str) -> np.ndarray:
    """Exact product of two FP8 codes of one format, as FP32 bit patterns.

    Parameters
    ----------
    a, b : array_like of int
        Operand codes of ``fmt`` (broadcast together).
    fmt : FloatFormat or str
        ``E4M3``, ``E5M2`` or another format of at most 8 bits.

    Returns
    -------
    numpy.ndarray of uint32
        FP32 bit patterns; canonical NaN ``0x7FC00000``.

    Raises
    ------
    TypeError
        Non-integer codes or an invalid format type.
    NumericsError
        Unknown or wider-than-8-bit format, codes out of range, or shapes that
        do not broadcast.
    """
    return fp8_mul_mixed(a, fmt, b, fmt)
