"""FP8 x FP8 exact products and the INT8 multiplier/MAC, on every operand pair."""

from __future__ import annotations

import numpy as np
import pytest

from rtl.numerics import (
    BF16,
    E2M1,
    E4M3,
    E5M2,
    NumericsError,
    decode,
    float_format,
    fp8_mul,
    fp8_mul_mixed,
    int8_mac,
    int8_matmul,
    int8_mul,
)

PAIRS = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")


def _check_exact(bits, va, vb):
    assert bits.dtype == np.uint32
    ref = va * vb
    got = bits.view(np.float32).astype(np.float64)
    nan = np.isnan(ref)
    assert np.array_equal(np.isnan(got), nan)
    assert np.all(bits[nan] == 0x7FC00000)  # canonical positive NaN
    assert np.array_equal(got[~nan], ref[~nan])  # exact: no rounding at all
    assert np.array_equal(np.signbit(got[~nan]), np.signbit(ref[~nan]))  # signed zeros


@pytest.mark.parametrize("fmt", [E4M3, E5M2], ids=lambda f: f.name)
def test_fp8_mul_all_pairs_exact(fmt):
    a, b = PAIRS
    with np.errstate(invalid="ignore"):
        _check_exact(fp8_mul(a, b, fmt), decode(a, fmt), decode(b, fmt))


def test_fp8_mul_mixed_all_pairs_exact():
    a, b = PAIRS
    with np.errstate(invalid="ignore"):
        _check_exact(fp8_mul_mixed(a, E4M3, b, E5M2), decode(a, E4M3), decode(b, E5M2))


def test_fp8_mul_specials():
    # E5M2: Inf * 0 = NaN, Inf * -1 = -Inf, -0 * 3 = -0, max * max exact.
    got = fp8_mul([0x7C, 0x7C, 0x80, 0x7B, 0xFE], [0x00, 0xBC, 0x42, 0x7B, 0x3C], E5M2)
    assert got.tolist() == [0x7FC00000, 0xFF800000, 0x80000000, np.float32(57344.0**2).view(np.uint32), 0x7FC00000]
    # E4M3 smallest subnormal squared is exact in FP32: 2**-18.
    assert fp8_mul(1, 1, E4M3) == np.float32(2.0**-18).view(np.uint32)
    assert fp8_mul(1, 1, E4M3).shape == ()


def test_fp8_mul_bad_input():
    with pytest.raises(NumericsError, match=r"fp8_mul: fmt_a must be an FP8 \(or narrower\) format, not 'bf16'"):
        fp8_mul(1, 1, BF16)
    with pytest.raises(NumericsError, match=r"shapes of a \(3,\) and b \(2,\) do not broadcast"):
        fp8_mul(np.arange(3), np.arange(2), E4M3)
    with pytest.raises(NumericsError, match=r"fp8_mul: b must be e2m1 codes in \[0, 15\], found 16"):
        fp8_mul(1, 16, E2M1)
    with pytest.raises(NumericsError, match=r"outside what FP32 holds exactly"):
        fp8_mul(1, 1, float_format(6, 1, bias=-30))


# -- INT8 --------------------------------------------------------------------
def test_int8_mul_all_pairs():
    v = np.arange(-128, 128)
    a, b = np.meshgrid(v, v, indexing="ij")
    p = int8_mul(a, b)
    assert p.dtype == np.int32
    assert np.array_equal(p, a.astype(np.int64) * b)
    assert int8_mul(-128, -128) == 16384


@pytest.mark.parametrize("acc_bits", [16, 24, 32, 64])
def test_int8_mac_wraps_like_python_ints(acc_bits):
    rng = np.random.default_rng(100 + acc_bits)
    a = rng.integers(-128, 128, (64, 300))
    b = rng.integers(-128, 128, (64, 300))
    a[:, :40] = -128  # long runs of the largest product to force wrap-around
    b[:, :40] = -128
    acc = np.zeros(64, np.int64)
    ref = [0] * 64
    half, full = 1 << (acc_bits - 1), 1 << acc_bits
    for k in range(a.shape[1]):
        acc = int8_mac(a[:, k], b[:, k], acc, acc_bits=acc_bits)
        ref = [((r + int(x) * int(y) + half) % full) - half for r, x, y in zip(ref, a[:, k], b[:, k])]
        assert acc.tolist() == ref
    if acc_bits == 16:
        assert np.any(acc != np.sum(a * b, axis=1))  # wrap-around did happen


def test_int8_mac_saturates():
    assert int8_mac(127, 127, 32767 - 100, 16, "saturate") == 32767
    assert int8_mac(-128, 127, -32768 + 5, 16, "saturate") == -32768
    assert int8_mac(-128, 127, -(2**63) + 5, 64, "saturate") == -(2**63)
    assert int8_mac(-128, -128, 2**63 - 1, 64, "saturate") == 2**63 - 1
    assert int8_mac(3, -4, 10, 16, "saturate") == -2
    assert int8_mac(-128, -128, 2**15 - 1, 16) == -(2**15) + 16383  # wrap


def test_int8_matmul():
    rng = np.random.default_rng(7)
    a, b = rng.integers(-128, 128, (6, 500)), rng.integers(-128, 128, (500, 3))
    assert np.array_equal(int8_matmul(a, b), a @ b)
    assert np.array_equal(int8_matmul(a, b, acc_bits=16), ((a @ b + 2**15) % 2**16) - 2**15)
    # Saturation depends on the order: +127*127 steps first clamp, then negative steps pull back.
    row = np.array([[127] * 4 + [-128] * 2])
    col = np.array([[127] * 4 + [127] * 2]).T
    assert int8_matmul(row, col, 16, "saturate").tolist() == [[32767 - 2 * 16256]]
    assert int8_matmul(row, col, 16, "saturate", init=5).tolist() == [[32767 - 2 * 16256]]
    with pytest.raises(NumericsError, match=r"int8_matmul: inner dimensions differ"):
        int8_matmul(a, a)
    with pytest.raises(NumericsError, match=r"int8_matmul: a and b must be 2-D"):
        int8_matmul(a[0], b)
    with pytest.raises(NumericsError, match=r"init of shape \(2,\) does not broadcast to \(6, 3\)"):
        int8_matmul(a, b, init=np.zeros(2, np.int64))


def test_int8_bad_input():
    with pytest.raises(NumericsError, match=r"int8_mul: a must be in \[-128, 127\], found 128"):
        int8_mul(128, 1)
    with pytest.raises(TypeError, match=r"int8_mul: b must be an integer array, not dtype float64"):
        int8_mul(1, 1.5)
    with pytest.raises(NumericsError, match=r"int8_mac: acc_bits must be in \[16, 64\], not 8"):
        int8_mac(1, 1, 0, acc_bits=8)
    with pytest.raises(NumericsError, match=r"overflow must be one of \('wrap', 'saturate'\), not 'clamp'"):
        int8_mac(1, 1, 0, overflow="clamp")
    with pytest.raises(NumericsError, match=r"int8_mac: acc must be in \[-32768, 32767\], found 40000"):
        int8_mac(1, 1, 40000, acc_bits=16)
    with pytest.raises(NumericsError, match=r"do not broadcast"):
        int8_mac(np.arange(3), np.arange(3), np.zeros(2, np.int64))
