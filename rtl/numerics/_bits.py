"""Integer bit-level core shared by every golden model: unpack, round, pack.

A finite value is carried as ``(-1)**sign * sig * 2**exp`` with ``sig`` an
unsigned integer (uint64, below 2**63) and ``exp`` the weight of its least
significant bit (int64). :func:`pack` rounds such a value to a format with one
round-to-nearest-even step, computed with integer shifts only, so every unit
(conversion, product, accumulation) shares one definition of rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._formats import FloatFormat, NumericsError

_U1 = np.uint64(1)


@dataclass(frozen=True)
class Parts:
    """Unpacked values: sign, integer significand, LSB exponent, special masks."""

    sign: np.ndarray  # bool
    sig: np.ndarray  # uint64; meaningless where nan or inf
    exp: np.ndarray  # int64; meaningless where nan or inf
    nan: np.ndarray  # bool
    inf: np.ndarray  # bool


def as_codes(codes: object, fmt: FloatFormat, where: str, name: str = "codes") -> np.ndarray:
    """Validate integer codes of ``fmt`` and return them as an int64 array.

    Raises
    ------
    TypeError
        Not an integer array.
    NumericsError
        A code outside ``[0, 2**fmt.bits)``.
    """
    arr = np.asarray(codes)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{where}: {name} must be integer {fmt.name} codes, not an array of dtype {arr.dtype}"
        )
    out = arr.astype(np.int64)
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) >= 1 << 63:
        out = np.full(arr.shape, -1, np.int64)
    bad = (out < 0) | (out >= (1 << fmt.bits))
    if bad.any():
        value = arr[bad].flat[0]
        raise NumericsError(
            f"{where}: {name} must be {fmt.name} codes in [0, {(1 << fmt.bits) - 1}], "
            f"found {int(value)!r}"
        )
    return out


def as_real(x: object, where: str, name: str = "x") -> np.ndarray:
    """Return real input as a float64 array, refusing values float64 cannot hold exactly.

    Raises
    ------
    TypeError
        Complex, boolean, string or object input.
    NumericsError
        Integers beyond 2**53 in magnitude (not exact in float64).
    """
    arr = np.asarray(x)
    kind = arr.dtype.kind
    if kind in "iu":
        big = (arr > 2**53) | (arr < -(2**53))
        if big.any():
            raise NumericsError(
                f"{where}: integer {name} {int(arr[big].flat[0])!r} is beyond 2**53 "
                "(not exact in float64)"
            )
        return arr.astype(np.float64)
    if kind == "f" and arr.dtype.itemsize <= 8:
        return arr.astype(np.float64)
    if kind == "V" and arr.dtype.itemsize <= 2 and arr.dtype.names is None:
        try:  # ml_dtypes scalar types (bfloat16, float8_*) convert exactly
            return arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{where}: {name} of dtype {arr.dtype} is not a real number") from exc
    raise TypeError(f"{where}: {name} must be a real float or integer array, not dtype {arr.dtype}")


def bit_length(v: np.ndarray) -> np.ndarray:
    """Vectorized ``int.bit_length`` of non-negative integers below 2**63 (int64 result)."""
    v = np.asarray(v).astype(np.uint64)
    n = np.zeros(v.shape, np.int64)
    for sh in (32, 16, 8, 4, 2, 1):
        big = v >= (_U1 << np.uint64(sh))
        v = np.where(big, v >> np.uint64(sh), v)
        n += np.where(big, sh, 0)
    return n + (v > 0)


def rne_shift(sig: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``sig / 2**s`` rounded to nearest, ties to even (sig < 2**63, s >= 0)."""
    sig = np.asarray(sig).astype(np.uint64)
    s = np.asarray(s).astype(np.int64)
    sc = np.clip(s, 0, 63).astype(np.uint64)
    q = sig >> sc
    rem = sig - (q << sc)
    half = np.where(sc > 0, _U1 << (np.maximum(sc, _U1) - _U1), np.uint64(0))
    up = (sc > 0) & ((rem > half) | ((rem == half) & ((q & _U1) == _U1)))
    return np.where(s >= 64, np.uint64(0), q + up.astype(np.uint64))


def shift_left(sig: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``sig * 2**s`` for small non-negative ``s`` (caller guarantees no overflow)."""
    return np.asarray(sig).astype(np.uint64) << np.asarray(s).astype(np.uint64)


def unpack(codes: np.ndarray, fmt: FloatFormat) -> Parts:
    """Split validated int64 codes of ``fmt`` into :class:`Parts`."""
    c = np.asarray(codes).astype(np.int64)
    m = fmt.man_bits
    ef = (c >> m) & fmt.exp_field_max
    mf = c & ((1 << m) - 1)
    sub = ef == 0
    sig = np.where(sub, mf, mf | (1 << m)).astype(np.uint64)
    exp = np.where(sub, fmt.emin, ef - fmt.bias) - m
    if fmt.nan == "ieee":
        special = ef == fmt.exp_field_max
        nan = special & (mf != 0)
        inf = special & (mf == 0)
    elif fmt.nan == "fn":
        nan = (c & (fmt.sign_mask - 1)) == fmt.nan_code
        inf = np.zeros(c.shape, bool)
    else:
        nan = np.zeros(c.shape, bool)
        inf = np.zeros(c.shape, bool)
    sign = (c & fmt.sign_mask) != 0
    return Parts(sign=sign, sig=sig, exp=exp.astype(np.int64), nan=nan, inf=inf)


def pack(
    parts: Parts,
    fmt: FloatFormat,
    *,
    saturate: bool,
    where: str,
    keep_nan_sign: bool = True,
) -> np.ndarray:
    """Round :class:`Parts` to ``fmt`` codes with one round-to-nearest-even step.

    Finite values round by integer shifting (subnormal results keep their
    bits, underflow gives a signed zero). A rounded magnitude above the largest
    finite value is an overflow: with ``saturate`` it clamps to the largest
    finite value; otherwise it becomes infinity (``'ieee'``) or NaN (``'fn'``).
    Infinite inputs clamp likewise under ``saturate``; otherwise they become
    infinity (``'ieee'``) or NaN (``'fn'``). Formats without specials
    (``'none'``) always saturate. NaN becomes the canonical NaN, keeping the
    input's sign when ``keep_nan_sign``.

    Raises
    ------
    NumericsError
        A NaN for a format that has no NaN encoding.
    """
    m = fmt.man_bits
    sig = np.where(parts.nan | parts.inf, np.uint64(0), parts.sig).astype(np.uint64)
    exp = np.where(parts.nan | parts.inf, 0, parts.exp).astype(np.int64)
    nbits = bit_length(sig)
    top = exp + nbits - 1  # floor(log2(value)) where sig > 0
    et = np.maximum(top, fmt.emin)
    s = et - m - exp
    rounded = np.where(
        s > 0,
        rne_shift(sig, np.maximum(s, 0)),
        shift_left(sig, np.clip(-s, 0, 63)),
    ).astype(np.int64)
    # Clamp the exponent step so that the shift below cannot overflow int64.
    mag = (np.minimum(et - fmt.emin, 1 << 20) << m) + rounded
    mag = np.where(sig == 0, 0, mag)
    over = (mag > fmt.max_code) | parts.inf
    if saturate or fmt.nan == "none":
        over_code = fmt.max_code
    elif fmt.nan == "ieee":
        over_code = fmt.inf_code
    else:
        over_code = fmt.nan_code
    mag = np.where(over, over_code, mag)
    sign = parts.sign.astype(np.int64)
    if parts.nan.any():
        if fmt.nan_code is None:
            raise NumericsError(f"{where}: format {fmt.name!r} has no NaN encoding, but the input holds NaN")
        mag = np.where(parts.nan, fmt.nan_code, mag)
        if not keep_nan_sign:
            sign = np.where(parts.nan, 0, sign)
    out = (sign << (fmt.bits - 1)) | mag
    return out.astype(fmt.code_dtype)
