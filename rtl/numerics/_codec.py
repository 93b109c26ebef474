"""Conversion between real numbers and format codes (encode, decode, quantize).

Rounding is round-to-nearest-even applied once to the *exact* input value.
For float32 (and narrower) input this is bit-identical to ``ml_dtypes`` casts.
For float64 input it is the correctly rounded result, never a detour through
float32 (which would round twice: ``1 + 2**-4 + 2**-40`` would land on the E4M3
midpoint 1.0625 and then on 1.0 instead of 1.125). The tests check float64
input against exact rational rounding, not against any library's cast.

Overflow and special inputs, non-saturating mode (``saturate=False``, the
``ml_dtypes`` cast and the OCP FP8 spec's non-saturating conversion): a
rounded magnitude above the largest finite value becomes +-Inf for IEEE-like
formats (E5M2, FP16, BF16, FP32) and NaN for E4M3, and Inf input becomes NaN
for E4M3. Saturating mode (``saturate=True``, the OCP spec's saturating
conversion, CUDA's ``__NV_SATFINITE``): overflow *and* +-Inf input clamp to
+-max_normal. NaN stays NaN in both modes and keeps its sign (as ml_dtypes
does). The MX element formats E2M1/E3M2/E2M3 have no specials: they always
saturate, and NaN input is an error.
"""

from __future__ import annotations

import numpy as np

from ._bits import Parts, as_codes, as_real, pack, unpack
from ._formats import FloatFormat, resolve_format

__all__ = ["encode", "decode", "quantize"]


def _parts_from_float(x: np.ndarray) -> Parts:
    """Exact integer decomposition of float64 values."""
    nan = np.isnan(x)
    inf = np.isinf(x)
    finite = ~(nan | inf)
    mant, ex = np.frexp(np.where(finite, np.abs(x), 0.0))
    sig = np.ldexp(mant, 53).astype(np.uint64)
    exp = ex.astype(np.int64) - 53
    return Parts(sign=np.signbit(x), sig=sig, exp=exp, nan=nan, inf=inf)


def encode(x: object, fmt: FloatFormat | str, saturate: bool = False) -> np.ndarray:
    """Round real values to codes of ``fmt`` (round to nearest, ties to even).

    Parameters
    ----------
    x : array_like
        Real values: float16/32/64, ml_dtypes floats, or integers up to 2**53.
    fmt : FloatFormat or str
        Target format (``E4M3``, ``'e5m2'``, ``BF16``, ``float_format(...)``...).
    saturate : bool
        Clamp overflow and infinities to +-max_normal instead of producing
        Inf/NaN (see the module docstring).

    Returns
    -------
    numpy.ndarray
        Unsigned codes (uint8 up to 8 bits, uint16 up to 16, uint32 above),
        shaped like ``x``.

    Raises
    ------
    TypeError
        Non-real input or an invalid ``fmt`` type.
    NumericsError
        Unknown format name, or NaN input for a format without NaN.
    """
    where = "encode"
    f = resolve_format(fmt, where)
    if not isinstance(saturate, (bool, np.bool_)):
        raise TypeError(f"{where}: saturate must be a bool, not {saturate!r}")
    values = as_real(x, where)
    return pack(_parts_from_float(values), f, saturate=bool(saturate), where=where)


def decode(codes: object, fmt: FloatFormat | str) -> np.ndarray:
    """Exact float64 values of codes of ``fmt`` (NaN codes give NaN).

    Parameters
    ----------
    codes : array_like of int
        Codes in ``[0, 2**fmt.bits)``.
    fmt : FloatFormat or str
        Their format.

    Raises
    ------
    TypeError
        Non-integer codes or an invalid ``fmt`` type.
    NumericsError
        Unknown format name or a code out of range.
    """
    where = "decode"
    f = resolve_format(fmt, where)
    p = unpack(as_codes(codes, f, where), f)
    mag = np.ldexp(p.sig.astype(np.float64), p.exp.astype(np.int32))
    mag = np.where(p.inf, np.inf, mag)
    mag = np.where(p.nan, np.nan, mag)
    return np.where(p.sign, -mag, mag)


def quantize(x: object, fmt: FloatFormat | str, saturate: bool = True) -> np.ndarray:
    """Round real values to the nearest values of ``fmt``: ``decode(encode(x))``.

    Parameters
    ----------
    x : array_like
        Real values.
    fmt : FloatFormat or str
        Target format.
    saturate : bool
        Clamp overflow to +-max_normal (default: the usual choice when
        quantizing tensors).

    Raises
    ------
    TypeError
        As :func:`encode`.
    NumericsError
        As :func:`encode`.
    """
    f = resolve_format(fmt, "quantize")
    return decode(encode(x, f, saturate=saturate), f)
