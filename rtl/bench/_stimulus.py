"""Seeded operand streams for the benches: uniform codes mixed with specials.

Plain numpy (no cocotb), so that pytest can inspect the same streams.
"""

from __future__ import annotations

import numpy as np

from rtl.numerics import FloatFormat

__all__ = ["special_codes", "operand_stream", "to_signed", "exhaustive_pairs"]


def special_codes(fmt: FloatFormat | None) -> np.ndarray:
    """Codes worth hitting often: zeros, extreme subnormals and normals, one, NaN, Inf (both signs).

    ``fmt`` None means signed INT8: 0, +-1, 127, -128, -127.
    """
    if fmt is None:
        return np.array([0, 1, 0xFF, 0x7F, 0x80, 0x81], dtype=np.int64)
    m = fmt.man_bits
    mags = {0, 1, (1 << m) - 1, 1 << m, fmt.max_code, fmt.bias << m, (fmt.bias << m) | 1}
    if fmt.nan_code is not None:
        mags.add(fmt.nan_code)
    if fmt.inf_code is not None:
        mags.add(fmt.inf_code)
    mags_arr = np.array(sorted(mags), dtype=np.int64)
    return np.concatenate([mags_arr, mags_arr | fmt.sign_mask])


def operand_stream(
    rng: np.random.Generator,
    n: int,
    fmt: FloatFormat | None,
    *,
    special_rate: float = 0.15,
    cancel_rate: float = 0.15,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` operand pairs ``(a, b)`` as unsigned codes.

    Most are uniform; ``special_rate`` of the operands come from
    :func:`special_codes`; ``cancel_rate`` of the pairs repeat the previous
    pair with the sign of ``b`` flipped, so that running sums cancel exactly.
    """
    bits = 8 if fmt is None else fmt.bits
    specials = special_codes(fmt)
    a = rng.integers(0, 1 << bits, n, dtype=np.int64)
    b = rng.integers(0, 1 << bits, n, dtype=np.int64)
    for arr in (a, b):
        pick = rng.random(n) < special_rate
        arr[pick] = rng.choice(specials, int(pick.sum()))
    cancel = np.nonzero(rng.random(n) < cancel_rate)[0]
    cancel = cancel[cancel > 0]
    sign = 0x80 if fmt is None else fmt.sign_mask
    for i in cancel:
        a[i] = a[i - 1]
        b[i] = (-b[i - 1]) & 0xFF if fmt is None else b[i - 1] ^ sign
    return a, b


def exhaustive_pairs() -> tuple[np.ndarray, np.ndarray]:
    """All 65,536 pairs of 8-bit codes, ``a`` major."""
    codes = np.arange(1 << 16, dtype=np.int64)
    return codes >> 8, codes & 0xFF


def to_signed(codes: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement reading of ``bits``-wide unsigned codes."""
    c = np.asarray(codes, dtype=np.int64)
    return np.where(c >= 1 << (bits - 1), c - (1 << bits), c)
