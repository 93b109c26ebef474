"""The shared rounding core (``pack``) and the exact adder with sticky bit, against
an independent oracle: nearest FP16 value by bisection over all FP16 values, in
exact rational arithmetic, ties to the even code."""

from __future__ import annotations

import bisect
from fractions import Fraction

import numpy as np

from rtl.numerics import FP16, decode
from rtl.numerics._accum import _add_exact
from rtl.numerics._bits import Parts, pack

_CODES = np.arange(0x7C01)  # +0 ... max finite, then +Inf as the "next" value
_VALUES = [Fraction(float(v)) for v in decode(_CODES[:-1], FP16)] + [Fraction(65536)]


def _oracle(value: Fraction, negative_zero: bool = False) -> int:
    """FP16 code of ``value`` rounded to nearest, ties to even, overflow to Inf."""
    sign = 0x8000 if value < 0 or (value == 0 and negative_zero) else 0
    mag = abs(value)
    i = bisect.bisect_left(_VALUES, mag)
    if i < len(_VALUES) and _VALUES[i] == mag:
        return sign | int(_CODES[i])
    if i == len(_VALUES):
        return sign | 0x7C00
    lo, hi = _VALUES[i - 1], _VALUES[i]
    if mag - lo < hi - mag or (mag - lo == hi - mag and _CODES[i - 1] % 2 == 0):
        return sign | int(_CODES[i - 1])
    return sign | int(_CODES[i])


def _parts(sign, sig, exp):
    false = np.zeros(len(sig), bool)
    return Parts(np.array(sign, bool), np.array(sig, np.uint64), np.array(exp, np.int64), false, false)


def test_pack_rounds_wide_significands_like_the_oracle():
    rng = np.random.default_rng(60)
    n = 3000
    sig = rng.integers(1, 1 << 62, n, dtype=np.uint64) >> rng.integers(0, 60, n).astype(np.uint64)
    exp = rng.integers(-100, -20, n)
    # Plant exact midpoints: an FP16 value's significand followed by a one and zeros.
    mid = rng.random(n) < 0.3
    sig[mid] = (rng.integers(1 << 10, 1 << 11, mid.sum()).astype(np.uint64) * 2 + 1) << np.uint64(20)
    sign = rng.random(n) < 0.5
    got = pack(_parts(sign, sig, exp), FP16, saturate=False, where="test")
    want = [
        _oracle((-1 if s else 1) * Fraction(int(m)) * Fraction(2) ** int(e), bool(s))
        for s, m, e in zip(sign, sig, exp)
    ]
    assert got.tolist() == want


def test_exact_adder_with_sticky_rounds_like_the_oracle():
    rng = np.random.default_rng(61)
    n = 3000
    sx = rng.integers(1, 1 << 25, n, dtype=np.uint64)
    ex = rng.integers(-40, -10, n)
    # The second addend is sometimes tiny (shifted far below: only its sticky bit counts).
    sy = rng.integers(0, 1 << 25, n, dtype=np.uint64)
    ey = np.where(rng.random(n) < 0.5, ex - rng.integers(30, 200, n), ex + rng.integers(-20, 20, n))
    # Put x exactly on an FP16 midpoint half the time, so the tiny y decides the rounding.
    tie = rng.random(n) < 0.5
    sx[tie] = (rng.integers(1 << 10, 1 << 11, tie.sum()).astype(np.uint64) * 2 + 1) << np.uint64(13)
    signs = rng.random((2, n)) < 0.5
    total = _add_exact(_parts(signs[0], sx, ex), _parts(signs[1], sy, ey))
    got = pack(total, FP16, saturate=False, where="test")
    want = []
    for i in range(n):
        x = (-1 if signs[0][i] else 1) * Fraction(int(sx[i])) * Fraction(2) ** int(ex[i])
        y = (-1 if signs[1][i] else 1) * Fraction(int(sy[i])) * Fraction(2) ** int(ey[i])
        s = x + y
        want.append(0x8000 if s == 0 and signs[0][i] and (signs[1][i] or sy[i] == 0) else _oracle(s))
    assert got.tolist() == want
