"""L-Mul: multiplication by one integer addition (Luo & Sun, arXiv 2410.00907).

For normal ``x = (1 + x_m) 2**x_e`` and ``y = (1 + y_m) 2**y_e`` with
``m``-bit mantissa fractions, the paper defines

    L-Mul(x, y) = (1 + x_m + y_m + 2**-l(m)) * 2**(x_e + y_e),
    l(m) = m if m <= 3, 3 if m == 4, 4 if m > 4,

and implements it in hardware as one integer addition of the operands'
(exponent | mantissa) bit fields, minus the exponent bias shifted left by
``m``, plus the offset ``(1 << m) >> l(m)`` in mantissa units. :func:`lmul`
is that integer adder, bit-exactly, and is what the RTL unit implements.
:func:`lmul_formula` is the paper's real-valued formula.

The two agree whenever the mantissa sum does not carry, i.e. when
``x_m + y_m + 2**-l(m) < 1``. When it carries, the adder's carry increments
the exponent field and the remaining mantissa field is the sum minus one, so
the adder returns ``2 * (x_m + y_m + 2**-l(m)) * 2**(x_e + y_e)`` (Mitchell's
logarithmic approximation) while the formula returns
``(1 + x_m + y_m + 2**-l(m)) * 2**(x_e + y_e)``; the adder is larger by
``(x_m + y_m + 2**-l(m) - 1) * 2**(x_e + y_e) >= 0``, and closer to the exact
product ``(1 + x_m)(1 + y_m) 2**(x_e + y_e)`` in that region. The adder's
result is always a code of the operand format: L-Mul itself never rounds.

Specials (one definition for every format; cheap in hardware):

- sign: ``sign(x) XOR sign(y)``, for zero and infinite results too;
- zero and subnormal operands: subnormals are flushed to zero on input
  (denormals-are-zero, no leading-zero logic), so a zero or subnormal operand
  gives a signed zero;
- exponent underflow: a result whose exponent field would be zero or
  negative is flushed to a signed zero;
- overflow: a result above the largest finite code becomes +-Inf for
  IEEE-like formats (E5M2, BF16, ``float_format`` defaults) and NaN for E4M3
  (the format's non-saturating conversion); with ``saturate=True`` it clamps
  to +-max_normal instead; formats without specials always saturate;
- NaN and Inf: NaN operands, and Inf times zero (or a flushed subnormal),
  give the canonical positive NaN; Inf times anything else gives a signed Inf.
  Every NaN result (including E4M3 overflow) is the canonical positive NaN.
"""

from __future__ import annotations

import numpy as np

from ._bits import as_real, unpack
from ._codec import decode, encode
from ._formats import FloatFormat, NumericsError, float_format, resolve_format
from ._mul import broadcast_codes

__all__ = ["lmul", "lmul_offset", "lmul_formula", "lmul_values"]


def _check_man_bits(man_bits: object, where: str) -> int:
    if isinstance(man_bits, bool) or not isinstance(man_bits, (int, np.integer)):
        raise TypeError(f"{where}: man_bits must be an integer, not {man_bits!r}")
    if not 1 <= int(man_bits) <= 23:
        raise NumericsError(f"{where}: man_bits must be in [1, 23], not {man_bits!r}")
    return int(man_bits)


def _l(m: int) -> int:
    return m if m <= 3 else (3 if m == 4 else 4)


def lmul_offset(man_bits: int) -> int:
    """The L-Mul offset ``2**-l(m)`` in mantissa units: ``(1 << m) >> l(m)``.

    Parameters
    ----------
    man_bits : int
        Mantissa width ``m``, 1 to 23.

    Raises
    ------
    TypeError
        Non-integer width.
    NumericsError
        Width out of range.
    """
    m = _check_man_bits(man_bits, "lmul_offset")
    return (1 << m) >> _l(m)


def lmul(a: object, b: object, fmt: FloatFormat | str, saturate: bool = False) -> np.ndarray:
    """L-Mul of two codes of ``fmt``: the integer-adder unit, bit-exact.

    Parameters
    ----------
    a, b : array_like of int
        Operand codes of ``fmt`` (broadcast together).
    fmt : FloatFormat or str
        E4M3, E5M2, BF16, FP16 or any ``float_format(e, m)``.
    saturate : bool
        Clamp overflow to +-max_normal instead of Inf/NaN.

    Returns
    -------
    numpy.ndarray
        Result codes of ``fmt`` (its code dtype). Specials as in the module
        docstring.

    Raises
    ------
    TypeError
        Non-integer codes or an invalid format type.
    NumericsError
        Unknown format, codes out of range, or shapes that do not broadcast.
    """
    where = "lmul"
    f = resolve_format(fmt, where)
    if not isinstance(saturate, (bool, np.bool_)):
        raise TypeError(f"{where}: saturate must be a bool, not {saturate!r}")
    ca, cb = broadcast_codes(a, f, b, f, where)
    m = f.man_bits
    pa, pb = unpack(ca, f), unpack(cb, f)
    mag_a = ca & (f.sign_mask - 1)
    mag_b = cb & (f.sign_mask - 1)
    zero_a = (mag_a >> m) == 0  # zero or subnormal: flushed
    zero_b = (mag_b >> m) == 0
    nan = pa.nan | pb.nan | (pa.inf & zero_b) | (pb.inf & zero_a)
    inf = (pa.inf | pb.inf) & ~nan
    r = mag_a + mag_b - (f.bias << m) + ((1 << m) >> _l(m))
    over = r > f.max_code
    if saturate or f.nan == "none":
        over_code = f.max_code
    elif f.nan == "ieee":
        over_code = f.inf_code
    else:
        over_code = f.nan_code
    mag = np.where(r < (1 << m), 0, np.where(over, over_code, r))
    mag = np.where(zero_a | zero_b, 0, mag)
    if f.has_inf:
        mag = np.where(inf, f.inf_code, mag)
    sign = (pa.sign ^ pb.sign).astype(np.int64)
    is_nan = nan | ((mag == f.nan_code) if f.nan_code is not None else False)
    mag = np.where(nan, f.nan_code if f.nan_code is not None else 0, mag)
    sign = np.where(is_nan, 0, sign)
    return ((sign << (f.bits - 1)) | mag).astype(f.code_dtype)


def lmul_formula(x: object, y: object, man_bits: int) -> np.ndarray:
    """The paper's L-Mul formula on real values, without rounding or range limits.

    ``(1 + x_m + y_m + 2**-l(m)) * 2**(x_e + y_e)`` with ``x = (1 + x_m) 2**x_e``
    split exactly by ``frexp`` (the mantissa fractions are used as given, so
    quantize ``x`` and ``y`` to ``m`` mantissa bits first to model a format).
    Sign is XOR; a zero operand gives a signed zero; NaN, or Inf times zero,
    gives NaN; Inf times non-zero gives a signed Inf.

    Parameters
    ----------
    x, y : array_like of float
        Operands (broadcast together).
    man_bits : int
        Mantissa width ``m`` selecting ``l(m)``, 1 to 23.

    Returns
    -------
    numpy.ndarray of float64

    Raises
    ------
    TypeError
        Non-real operands or a non-integer width.
    NumericsError
        Width out of range or shapes that do not broadcast.
    """
    where = "lmul_formula"
    m = _check_man_bits(man_bits, where)
    vx = as_real(x, where, "x")
    vy = as_real(y, where, "y")
    try:
        vx, vy = np.broadcast_arrays(vx, vy)
    except ValueError:
        raise NumericsError(
            f"{where}: shapes of x {vx.shape!r} and y {vy.shape!r} do not broadcast"
        ) from None
    fx, ex = np.frexp(np.where(np.isfinite(vx), np.abs(vx), 1.0))
    fy, ey = np.frexp(np.where(np.isfinite(vy), np.abs(vy), 1.0))
    frac = (2.0 * fx - 1.0) + (2.0 * fy - 1.0) + 2.0 ** -_l(m)
    mag = np.ldexp(1.0 + frac, (ex - 1) + (ey - 1))
    zero = (vx == 0) | (vy == 0)
    inf = np.isinf(vx) | np.isinf(vy)
    nan = np.isnan(vx) | np.isnan(vy) | (inf & zero)
    mag = np.where(zero, 0.0, np.where(inf, np.inf, mag))
    mag = np.where(nan, np.nan, mag)
    neg = np.signbit(vx) ^ np.signbit(vy)
    return np.where(neg & ~nan, -mag, mag)


def lmul_values(
    x: object,
    y: object,
    exp_bits: int,
    man_bits: int,
    *,
    nan: str = "ieee",
    saturate: bool = True,
) -> np.ndarray:
    """L-Mul on real arrays through a format: quantize, :func:`lmul`, decode.

    Inputs are rounded to ``float_format(exp_bits, man_bits, nan=nan)`` with
    round-to-nearest-even and saturation, multiplied by the integer-adder L-Mul
    (overflow per ``saturate``) and decoded to float64, for accuracy studies.

    Parameters
    ----------
    x, y : array_like of float
        Operands (broadcast together).
    exp_bits, man_bits : int
        The format's field widths (2..8 and 1..23).
    nan : str
        The format's special-value convention (``'ieee'``, ``'fn'``, ``'none'``).
    saturate : bool
        Overflow of the product clamps to +-max_normal (default) or gives Inf/NaN.

    Raises
    ------
    TypeError
        Non-real operands or non-integer widths.
    NumericsError
        Widths out of range, NaN input for a format without NaN, or shapes
        that do not broadcast.
    """
    f = float_format(exp_bits, man_bits, nan=nan)
    ca = encode(x, f, saturate=True)
    cb = encode(y, f, saturate=True)
    return decode(lmul(ca, cb, f, saturate=saturate), f)
