"""L-Mul: the integer-adder unit against the paper's formula and its documented specials."""

from __future__ import annotations

import numpy as np
import pytest

from rtl.numerics import (
    BF16,
    E4M3,
    E5M2,
    NumericsError,
    decode,
    encode,
    float_format,
    lmul,
    lmul_formula,
    lmul_offset,
    lmul_values,
)

PAIRS = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")


def _fields(codes, fmt):
    m = fmt.man_bits
    mag = np.asarray(codes) & (fmt.sign_mask - 1)
    return mag >> m, mag & ((1 << m) - 1)


def test_offsets_follow_l_of_m():
    # l(m) = m for m <= 3, 3 for m = 4, 4 for m > 4; offset = 2**-l(m) in units of 2**-m.
    assert [lmul_offset(m) for m in (1, 2, 3, 4, 5, 7, 10, 23)] == [1, 1, 1, 2, 2, 8, 64, 2**19]


@pytest.mark.parametrize("fmt", [E4M3, E5M2], ids=lambda f: f.name)
def test_lmul_all_pairs_properties(fmt):
    a, b = PAIRS
    r = lmul(a, b, fmt)
    assert r.dtype == np.uint8 and r.shape == (256, 256)
    assert np.array_equal(r, r.T)  # commutative
    val = decode(r, fmt)
    nan = np.isnan(val)
    # Sign symmetry: flipping an operand's sign flips the result's sign (NaN stays canonical).
    flipped = lmul(a ^ 0x80, b, fmt)
    assert np.array_equal(flipped[~nan], r[~nan] ^ 0x80)
    assert np.all(r[nan] == fmt.nan_code) and np.all(flipped[nan] == fmt.nan_code)

    va, vb = decode(a, fmt), decode(b, fmt)
    ea, ma = _fields(a, fmt)
    eb, mb = _fields(b, fmt)
    m, off = fmt.man_bits, lmul_offset(fmt.man_bits)
    finite = np.isfinite(va) & np.isfinite(vb)
    # Zero and subnormal operands (flushed) give a signed zero.
    flushed = finite & ((ea == 0) | (eb == 0))
    assert np.all(val[flushed] == 0)
    assert np.array_equal(np.signbit(val[flushed]), np.signbit(va[flushed]) ^ np.signbit(vb[flushed]))

    normal = finite & (ea > 0) & (eb > 0)
    in_range = normal & (val != 0) & np.isfinite(val) & (np.abs(val) <= fmt.max_normal)
    with np.errstate(invalid="ignore"):
        formula = lmul_formula(va, vb, m)
    scale = np.ldexp(1.0, (ea + eb - 2 * fmt.bias).astype(np.int32))
    total = ma + mb + off  # mantissa-field sum in units of 2**-m
    no_carry = in_range & (total <= (1 << m))
    carry = in_range & (total > (1 << m))
    assert no_carry.sum() > 1000 and carry.sum() > 500
    # Without a carry the adder is the paper's formula, exactly.
    assert np.array_equal(val[no_carry], formula[no_carry])
    # With a carry it is 2 * (x_m + y_m + 2**-l) * 2**(x_e + y_e) (Mitchell), above the formula.
    mitchell = np.sign(formula) * 2.0 * (total / (1 << m)) * scale
    assert np.array_equal(val[carry], mitchell[carry])
    assert np.all(np.abs(val[carry]) > np.abs(formula[carry]))
    # One mantissa zero and no carry: exact product plus the offset, 2**-l(m) * 2**(x_e + y_e).
    one_zero = no_carry & ((ma == 0) | (mb == 0))
    with np.errstate(invalid="ignore"):
        err = np.abs(val - va * vb)
    assert np.array_equal(err[one_zero], (off / (1 << m) * scale)[one_zero])
    # Results that left the range underflow to a signed zero or overflow.
    under = normal & (ea + eb - fmt.bias + (total >> m) <= 0)
    assert under.sum() > 0 and np.all(val[under] == 0)


def test_lmul_overflow_and_specials():
    # E4M3: 448 * 448 overflows: NaN by default, max normal when saturating.
    assert lmul(0x7E, 0xFE, E4M3).tolist() == 0x7F
    assert lmul(0x7E, 0xFE, E4M3, saturate=True).tolist() == 0xFE
    assert lmul(0x7F, 0x38, E4M3).tolist() == 0x7F and lmul(0xFF, 0x38, E4M3).tolist() == 0x7F
    # E5M2: overflow gives +-Inf, Inf * 0 and Inf * subnormal (flushed) give NaN.
    assert lmul([0x7B, 0x7B], [0x7B, 0xFB], E5M2).tolist() == [0x7C, 0xFC]
    assert lmul([0x7C, 0x7C, 0xFC, 0x7D], [0x00, 0x01, 0x3C, 0x3C], E5M2).tolist() == [0x7E, 0x7E, 0xFC, 0x7E]
    assert lmul(0x7B, 0x7B, E5M2, saturate=True).tolist() == 0x7B
    # Underflow: 2**-8 * 2**-8 in E4M3 (min normal 2**-6) flushes to signed zero.
    tiny = encode([2.0**-5, -(2.0**-5)], E4M3)
    assert lmul(tiny, tiny[0], E4M3).tolist() == [0x00, 0x80]


def test_lmul_bf16_random_against_formula():
    rng = np.random.default_rng(21)
    x = rng.standard_normal(200_000) * np.exp2(rng.integers(-20, 20, 200_000))
    y = rng.standard_normal(200_000)
    cx, cy = encode(x, BF16), encode(y, BF16)
    r = lmul(cx, cy, BF16)
    assert r.dtype == np.uint16
    vx, vy, got = decode(cx, BF16), decode(cy, BF16), decode(r, BF16)
    formula = lmul_formula(vx, vy, 7)
    _, mx = _fields(cx, BF16)
    _, my = _fields(cy, BF16)
    no_carry = (mx + my + 8) <= 128
    assert np.array_equal(got[no_carry], formula[no_carry])
    rel = np.abs(got - vx * vy) / np.abs(vx * vy)
    assert rel.max() < 0.125  # L-Mul's worst case: Mitchell-style error stays below 1/8 here
    assert np.array_equal(lmul_values(vx, vy, 8, 7), got)


def test_lmul_custom_widths_and_values():
    f = float_format(4, 4)
    x = np.array([1.0, 1.5, -2.0, 0.0, 3.0])
    y = np.array([1.0, 1.25, 1.5, 5.0, np.inf])
    got = lmul_values(x, y, 4, 4, saturate=False)
    # 1*1 = 1 + 2**-3; 1.5*1.25 = 1 + .5 + .25 + .125; -2*1.5 = -(1 + .5 + .125)*2; 0*5 = 0; 3*inf = inf.
    assert got.tolist() == [1.125, 1.875, -3.25, 0.0, np.inf]
    assert np.array_equal(decode(lmul(encode(x, f), encode(y, f), f), f), got)
    assert lmul_formula([0.0, -1.0, np.nan, np.inf], [-2.0, 1.5, 1.0, 0.0], 3).tolist()[:2] == [-0.0, -1.625]
    assert np.isnan(lmul_formula([np.nan, np.inf], [1.0, 0.0], 3)).all()


def test_lmul_bad_input():
    with pytest.raises(NumericsError, match=r"lmul_offset: man_bits must be in \[1, 23\], not 0"):
        lmul_offset(0)
    with pytest.raises(NumericsError, match=r"lmul_formula: man_bits must be in \[1, 23\], not 24"):
        lmul_formula(1.0, 1.0, 24)
    with pytest.raises(NumericsError, match=r"float_format: man_bits must be in \[1, 23\], not 0"):
        lmul_values(1.0, 1.0, 4, 0)
    with pytest.raises(NumericsError, match=r"lmul: unknown format 'e4m4'"):
        lmul(1, 1, "e4m4")
    with pytest.raises(NumericsError, match=r"lmul: a must be bf16 codes in \[0, 65535\], found 70000"):
        lmul(70000, 1, BF16)
    with pytest.raises(NumericsError, match=r"lmul: shapes of a \(2,\) and b \(3,\) do not broadcast"):
        lmul([1, 2], [1, 2, 3], E4M3)
