"""FP8 multiply-accumulate with a configurable accumulator (the MAC's golden model).

When rounding happens, exactly:

- The FP8 product is exact (see :func:`fp8_mul`); it is never rounded on its own.
- Floating-point accumulators (``'fp32'``, ``'fp16'``, ``'bf16'``): the new
  accumulator is ``acc + product`` computed exactly and rounded *once* to the
  accumulator format, round-to-nearest-even: a fused multiply-add. Subnormal
  results are kept (IEEE gradual underflow); overflow gives +-Inf; NaN
  operands, and Inf + -Inf, give the accumulator's canonical positive NaN;
  an exactly zero sum is +0 unless both addends are -0 (IEEE). With an FP32
  accumulator this equals float32 ``acc + fp32(product)`` since the product
  is an FP32 value.
- Fixed-point accumulators (``'fixed'``, ``width`` bits, two's complement,
  ``frac_bits`` fractional bits, held as signed int64 values): the product is
  rounded to the accumulator's grid ``2**-frac_bits`` (round to nearest,
  ties to even, symmetric in sign; exact when ``frac_bits`` reaches the
  smallest product exponent, e.g. 18 for E4M3 and 32 for E5M2), then added
  as an integer. Overflow policy ``'wrap'`` keeps the low ``width`` bits,
  ``'saturate'`` clamps to ``[-2**(width-1), 2**(width-1) - 1]``. A fixed
  accumulator has no NaN or Inf: a NaN product (NaN operand or Inf * 0)
  leaves the accumulator unchanged, and an infinite product sets it to the
  extreme value of the product's sign, under either policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._bits import Parts, as_codes, bit_length, pack, rne_shift, shift_left, unpack
from ._formats import BF16, FP16, FP32, FloatFormat, NumericsError
from ._int8 import as_signed, wrap_signed

__all__ = ["Accumulator", "acc_check", "acc_decode", "accumulate"]

_KINDS = ("fp32", "fp16", "bf16", "fixed")
_FLOAT_FORMATS = {"fp32": FP32, "fp16": FP16, "bf16": BF16}
_OVERFLOW = ("wrap", "saturate")
_NORM = 25  # operands are normalized to this many significant bits before adding
_GUARD = 34  # bits kept below the larger addend (> 2 * 24 + 2 - 25 suffices)


@dataclass(frozen=True)
class Accumulator:
    """The accumulator of a MAC unit.

    Parameters
    ----------
    kind : str
        ``'fp32'``, ``'fp16'``, ``'bf16'`` or ``'fixed'``.
    width : int, optional
        Fixed-point only: total register width in bits, 2 to 62.
    frac_bits : int, optional
        Fixed-point only: fractional bits, 0 to 60.
    overflow : str
        Fixed-point only: ``'wrap'`` (default) or ``'saturate'``.

    Raises
    ------
    TypeError
        A width is not an integer.
    NumericsError
        Unknown kind or policy, a width out of range, or fixed-point fields
        given for a floating-point kind (or missing for ``'fixed'``).
    """

    kind: str
    width: int | None = None
    frac_bits: int | None = None
    overflow: str = "wrap"

    def __post_init__(self) -> None:
        where = "Accumulator"
        if self.kind not in _KINDS:
            raise NumericsError(f"{where}: kind must be one of {_KINDS}, not {self.kind!r}")
        if self.overflow not in _OVERFLOW:
            raise NumericsError(f"{where}: overflow must be one of {_OVERFLOW}, not {self.overflow!r}")
        if self.kind != "fixed":
            if self.width is not None or self.frac_bits is not None or self.overflow != "wrap":
                raise NumericsError(
                    f"{where}: width, frac_bits and overflow apply to kind 'fixed' only, "
                    f"not to {self.kind!r}"
                )
            return
        for name, lo, hi in (("width", 2, 62), ("frac_bits", 0, 60)):
            value = getattr(self, name)
            if value is None:
                raise NumericsError(f"{where}: kind 'fixed' needs {name}")
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"{where}: {name} must be an integer, not {value!r}")
            if not lo <= value <= hi:
                raise NumericsError(f"{where}: {name} must be in [{lo}, {hi}], not {value!r}")

    @property
    def fmt(self) -> FloatFormat | None:
        """The floating-point format of a float accumulator (None for fixed)."""
        return _FLOAT_FORMATS.get(self.kind)

    @property
    def dtype(self) -> type:
        """numpy dtype of accumulator bits (uint32, uint16, or int64 for fixed)."""
        return np.int64 if self.fmt is None else self.fmt.code_dtype


def acc_check(acc: object, accumulator: Accumulator, where: str) -> np.ndarray:
    """Validate accumulator bits and return them as int64.

    Raises
    ------
    TypeError
        Not an Accumulator, or non-integer bits.
    NumericsError
        Bits out of range for the accumulator.
    """
    if not isinstance(accumulator, Accumulator):
        raise TypeError(f"{where}: accumulator must be an Accumulator, not {accumulator!r}")
    if accumulator.fmt is not None:
        return as_codes(acc, accumulator.fmt, where, "acc")
    return as_signed(acc, accumulator.width, where, "acc")


def acc_decode(acc: object, accumulator: Accumulator) -> np.ndarray:
    """Float64 values of accumulator bits (fixed point: ``acc * 2**-frac_bits``).

    Parameters
    ----------
    acc : array_like of int
        Accumulator bits as returned by the MAC functions.
    accumulator : Accumulator
        Their accumulator.

    Raises
    ------
    TypeError
        Not an Accumulator or non-integer bits.
    NumericsError
        Bits out of range.
    """
    bits = acc_check(acc, accumulator, "acc_decode")
    if accumulator.fmt is not None:
        p = unpack(bits, accumulator.fmt)
        mag = np.ldexp(p.sig.astype(np.float64), p.exp.astype(np.int32))
        mag = np.where(p.inf, np.inf, np.where(p.nan, np.nan, mag))
        return np.where(p.sign, -mag, mag)
    return np.ldexp(bits.astype(np.float64), -accumulator.frac_bits)


def _align(sig: np.ndarray, exp: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``sig * 2**(exp - base)`` as an integer, right shifts folding lost bits into a sticky LSB."""
    d = exp - base
    left = shift_left(sig, np.clip(d, 0, 63))
    k = np.clip(-d, 0, 64)
    kc = np.minimum(k, 63).astype(np.uint64)
    kept = sig >> kc
    lost = np.where(k >= 64, sig, sig - (kept << kc))
    kept = np.where(k >= 64, np.uint64(0), kept)
    right = kept | (lost != 0).astype(np.uint64)
    return np.where(d >= 0, left, right).astype(np.int64)


def _add_exact(x: Parts, y: Parts) -> Parts:
    """Sum of two finite values (significands below 2**25) for one final rounding.

    Both are normalized to 25 significant bits; the larger keeps 34 guard bits
    below it and the smaller is shifted into place, bits shifted out beyond
    that folded into a sticky bit. With at most 24-bit results that is
    enough for round-to-nearest-even to see the exact sum's position.
    """
    nx, ny = bit_length(x.sig), bit_length(y.sig)
    zx, zy = nx == 0, ny == 0
    sx = shift_left(x.sig, np.where(zx, 0, _NORM - nx))
    sy = shift_left(y.sig, np.where(zy, 0, _NORM - ny))
    ex = x.exp - np.where(zx, 0, _NORM - nx)
    ey = y.exp - np.where(zy, 0, _NORM - ny)
    lowest = np.iinfo(np.int64).min // 4
    top = np.maximum(np.where(zx, lowest, ex), np.where(zy, lowest, ey))
    base = np.where(zx & zy, 0, top - _GUARD)
    vx = np.where(zx, 0, _align(sx, ex, base))
    vy = np.where(zy, 0, _align(sy, ey, base))
    total = np.where(x.sign, -vx, vx) + np.where(y.sign, -vy, vy)
    sign = np.where(total == 0, x.sign & y.sign, total < 0)
    false = np.zeros(total.shape, bool)
    return Parts(sign=sign, sig=np.abs(total).astype(np.uint64), exp=base, nan=false, inf=false)


def _accumulate_float(acc: np.ndarray, prod: Parts, fmt: FloatFormat, where: str) -> np.ndarray:
    a = unpack(acc, fmt)
    nan = a.nan | prod.nan | (a.inf & prod.inf & (a.sign != prod.sign))
    inf = (a.inf | prod.inf) & ~nan
    finite = ~(a.nan | a.inf | prod.nan | prod.inf)
    zero_sig = np.uint64(0)
    s = _add_exact(
        Parts(a.sign, np.where(finite, a.sig, zero_sig), a.exp, a.nan, a.inf),
        Parts(prod.sign, np.where(finite, prod.sig, zero_sig), prod.exp, prod.nan, prod.inf),
    )
    sign = np.where(inf, np.where(a.inf, a.sign, prod.sign), s.sign)
    out = Parts(sign=sign, sig=s.sig, exp=s.exp, nan=nan, inf=inf)
    return pack(out, fmt, saturate=False, where=where, keep_nan_sign=False)


def _accumulate_fixed(acc: np.ndarray, prod: Parts, accumulator: Accumulator) -> np.ndarray:
    w, f = accumulator.width, accumulator.frac_bits
    hi, lo = (1 << (w - 1)) - 1, -(1 << (w - 1))
    sh = prod.exp + f
    special = prod.nan | prod.inf
    sig = np.where(special, np.uint64(0), prod.sig)
    nbits = bit_length(sig)
    huge = (sig != 0) & (nbits + sh > 62)
    mag = np.where(
        sh >= 0,
        shift_left(sig, np.clip(sh, 0, 63)),  # wraps modulo 2**64 where huge
        rne_shift(sig, np.clip(-sh, 0, 64)),
    )
    mag = np.where(sh >= 64, np.uint64(0), mag)
    with np.errstate(over="ignore"):  # unsigned arithmetic modulo 2**64 is meant
        signed = np.where(prod.sign, (~mag) + np.uint64(1), mag)  # two's complement modulo 2**64
        wrapped = (acc.view(np.uint64) + signed).view(np.int64) if accumulator.overflow == "wrap" else None
    if accumulator.overflow == "wrap":
        total = wrap_signed(wrapped, w)
    else:
        small = np.where(huge, 0, signed.view(np.int64))
        total = np.clip(acc + small, lo, hi)
        total = np.where(huge, np.where(prod.sign, lo, hi), total)
    total = np.where(prod.inf, np.where(prod.sign, lo, hi), total)
    return np.where(prod.nan, acc, total).astype(np.int64)


def accumulate(acc: np.ndarray, prod: Parts, accumulator: Accumulator, where: str) -> np.ndarray:
    """Add an exact product to validated accumulator bits (rules in the module docstring)."""
    if accumulator.fmt is not None:
        return _accumulate_float(acc, prod, accumulator.fmt, where)
    return _accumulate_fixed(acc, prod, accumulator)
