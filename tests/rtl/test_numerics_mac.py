"""FP8 MACs with FP32/FP16/BF16/fixed accumulators, dot products and GEMMs."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from rtl.numerics import (
    E4M3,
    E5M2,
    Accumulator,
    NumericsError,
    acc_decode,
    decode,
    encode,
    fp8_mac,
    fp8_mul,
    lmul,
    lmul_dot,
    mac,
    mac_sequence,
    matmul,
    matmul_bits,
)

FP32_NAN = 0x7FC00000


def _operands(seed, fmt, shape, spread=4.0, special_rate=0.003):
    """Seeded FP8 codes of moderate magnitude with NaN, +-max, subnormals, zeros, Inf sprinkled in."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * np.exp2(rng.uniform(-spread, spread, shape))
    codes = encode(x, fmt, saturate=True).astype(np.int64)
    specials = [0x00, 0x80, 0x01, 0x81, fmt.max_code, 0x80 | fmt.max_code, fmt.nan_code]
    if fmt.has_inf:
        specials += [fmt.inf_code, 0x80 | fmt.inf_code]
    pick = rng.random(shape) < special_rate
    codes[pick] = rng.choice(specials, pick.sum())
    return codes


def _same_values(got, ref):
    nan = np.isnan(ref)
    return (
        np.array_equal(np.isnan(got), nan)
        and np.array_equal(got[~nan], ref[~nan])
        and np.array_equal(np.signbit(got[~nan]), np.signbit(ref[~nan]))
    )


def _products(a, b, fmt):
    return fp8_mul(a, b, fmt).view(np.float32)


@pytest.mark.parametrize("fmt", [E4M3, E5M2], ids=lambda f: f.name)
def test_fp32_accumulator_is_float32_addition(fmt):
    a, b = _operands(1, fmt, (256, 300)), _operands(2, fmt, (256, 300))
    got = mac_sequence(a, b, fmt, Accumulator("fp32"), partials=True)
    assert got.dtype == np.uint32 and got.shape == (256, 300)
    p = _products(a, b, fmt)
    ref = np.zeros((256, 300), np.float32)
    acc = np.zeros(256, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(300):
            acc = acc + p[:, k]
            ref[:, k] = acc
    nan = np.isnan(ref)
    assert 0 < nan.mean() < 0.9  # specials do reach the accumulators, and not all of them
    assert np.array_equal(got[~nan], ref.view(np.uint32)[~nan])
    assert np.all(got[nan] == FP32_NAN)


def _bf16_round(x):
    """Float64 -> bfloat16 with one rounding: round to odd into float32, then ml_dtypes' RNE."""
    r = x.astype(np.float32)
    inexact = np.isfinite(x) & (r.astype(np.float64) != x)
    toward_zero = np.where(np.abs(r.astype(np.float64)) > np.abs(x), np.nextafter(r, np.float32(0)), r)
    odd = (toward_zero.view(np.uint32) | np.uint32(1)).view(np.float32)
    return np.where(inexact, odd, r).astype(ml_dtypes.bfloat16).astype(np.float64)


@pytest.mark.parametrize("fmt", [E4M3, E5M2], ids=lambda f: f.name)
@pytest.mark.parametrize("kind", ["fp16", "bf16"])
def test_16bit_accumulators_round_once(fmt, kind):
    """Reference: float64 sum (exact, or off by far less than half an ulp), then one
    rounding (numpy's direct float16 cast; round-to-odd float32 then bfloat16)."""
    spec = Accumulator(kind)
    a, b = _operands(3, fmt, (256, 200), spread=3.0), _operands(4, fmt, (256, 200), spread=3.0)
    got = acc_decode(mac_sequence(a, b, fmt, spec, partials=True), spec)
    p = _products(a, b, fmt).astype(np.float64)
    ref = np.zeros(256)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(200):
            exact = ref + p[:, k]
            ref = exact.astype(np.float16).astype(np.float64) if kind == "fp16" else _bf16_round(exact)
            assert _same_values(got[:, k], ref)
        assert np.any(np.abs(got) != np.abs(np.cumsum(p, axis=1)))  # rounding did happen


@pytest.mark.parametrize("fmt", [E4M3, E5M2], ids=lambda f: f.name)
def test_fp8_mac_all_pairs_one_step(fmt):
    a, b = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    p = _products(a, b, fmt)
    for acc in (1.0, -0.0, 0.0, -3.5e-39, 1e30, np.inf):
        bits = np.float32(acc).view(np.uint32)
        got = fp8_mac(a, b, bits, fmt, Accumulator("fp32"))
        with np.errstate(invalid="ignore"):
            ref = (np.float32(acc) + p).view(np.uint32)
        nan = np.isnan(ref.view(np.float32))
        assert np.array_equal(got[~nan], ref[~nan]) and np.all(got[nan] == FP32_NAN)


def test_signed_zero_and_specials_in_float_accumulators():
    spec = Accumulator("fp16")
    neg_zero, pos_zero, one, neg_one = 0x80, 0x00, 0x38, 0xB8  # E4M3 codes
    assert fp8_mac(neg_zero, one, 0x8000, E4M3, spec) == 0x8000  # -0 + -0 = -0
    assert fp8_mac(pos_zero, one, 0x8000, E4M3, spec) == 0x0000  # -0 + +0 = +0
    assert fp8_mac(neg_one, one, 0x3C00, E4M3, spec) == 0x0000  # 1 - 1 = +0
    assert fp8_mac(0x7F, one, 0x3C00, E4M3, spec) == 0x7E00  # NaN operand: canonical NaN
    assert fp8_mac(0x7E, 0x7E, 0x3C00, E4M3, spec) == 0x7C00  # 448 * 448 overflows FP16 to +Inf
    assert fp8_mac(0x7C, 0xBC, 0x7C00, E5M2, spec) == 0x7E00  # +Inf + -Inf = NaN
    assert fp8_mac(0x01, 0x01, 0x0000, E4M3, Accumulator("bf16")) == np.float32(2.0**-18).view(np.uint32) >> 16
    # FP16 keeps subnormal sums: 2**-18 products are below FP16's min normal 2**-14.
    assert acc_decode(fp8_mac(0x01, 0x01, 0x0000, E4M3, spec), spec) == 2.0**-18


@pytest.mark.parametrize(
    ("fmt", "width", "frac_bits", "overflow"),
    [
        (E4M3, 24, 18, "wrap"),  # exact grid, wraps
        (E4M3, 24, 18, "saturate"),
        (E4M3, 16, 4, "wrap"),  # products round to the 2**-4 grid
        (E5M2, 40, 16, "saturate"),
        (E5M2, 20, 6, "wrap"),
    ],
)
def test_fixed_accumulator_against_python_integers(fmt, width, frac_bits, overflow):
    spec = Accumulator("fixed", width=width, frac_bits=frac_bits, overflow=overflow)
    a = _operands(10 + width, fmt, (64, 400), spread=6.0, special_rate=0.002)
    b = _operands(20 + width, fmt, (64, 400), spread=6.0, special_rate=0.002)
    got = mac_sequence(a, b, fmt, spec, partials=True)
    assert got.dtype == np.int64
    with np.errstate(invalid="ignore"):
        p = decode(a, fmt) * decode(b, fmt)
    half, full = 1 << (width - 1), 1 << width
    acc = [0] * 64
    for k in range(400):
        for i in range(64):
            v = p[i, k]
            if np.isnan(v):
                continue
            if np.isinf(v):
                acc[i] = -half if v < 0 else half - 1
                continue
            q = int(np.rint(v * 2.0**frac_bits))  # exact scaling, ties to even
            s = acc[i] + q
            acc[i] = ((s + half) % full) - half if overflow == "wrap" else min(max(s, -half), half - 1)
        assert got[:, k].tolist() == acc
    assert np.any(np.abs(got) >= half // 2)  # the range was exercised


def test_lmul_mac_adds_the_lmul_product():
    a, b = _operands(30, E4M3, (128, 50)), _operands(31, E4M3, (128, 50))
    got = mac_sequence(a, b, E4M3, Accumulator("fp32"), mul="lmul")
    prods = decode(lmul(a, b, E4M3), E4M3).astype(np.float32)
    acc = np.zeros(128, np.float32)
    with np.errstate(invalid="ignore", over="ignore"):
        for k in range(50):
            acc = acc + prods[:, k]
    nan = np.isnan(acc)
    assert np.array_equal(got[~nan], acc.view(np.uint32)[~nan]) and np.all(got[nan] == FP32_NAN)
    step = mac(a[:, 0], b[:, 0], 0, E4M3, Accumulator("fp32"), mul="lmul")
    assert np.array_equal(step, mac_sequence(a[:, :1], b[:, :1], E4M3, mul="lmul"))
    assert np.allclose(lmul_dot(a, b, E4M3)[~nan], acc[~nan].astype(np.float64))


def test_matmul_matches_mac_sequences():
    rng = np.random.default_rng(40)
    a = encode(rng.standard_normal((7, 33)), E4M3)
    b = encode(rng.standard_normal((33, 5)), E4M3)
    for mul in ("fp8", "lmul"):
        for spec in (Accumulator("fp32"), Accumulator("bf16"), Accumulator("fixed", width=32, frac_bits=18)):
            bits = matmul_bits(a, b, mul=mul, fmt=E4M3, accumulator=spec)
            seq = mac_sequence(a[:, None, :], b.T[None, :, :], E4M3, spec, mul=mul)
            assert bits.shape == (7, 5) and np.array_equal(bits, seq)
            assert np.array_equal(matmul(a, b, mul=mul, accumulator=spec), acc_decode(bits, spec))
    exact = matmul(a, b, mul="exact")
    assert np.array_equal(exact, decode(a, E4M3) @ decode(b, E4M3))
    assert np.allclose(matmul(a, b), exact, rtol=1e-5, atol=1e-6)
    lm = matmul(a, b, mul="lmul")
    assert 0 < np.abs(lm - exact).max() < 0.2 * np.abs(exact).max()


def test_mac_bad_input():
    with pytest.raises(NumericsError, match=r"Accumulator: kind must be one of .*, not 'fp64'"):
        Accumulator("fp64")
    with pytest.raises(NumericsError, match=r"kind 'fixed' needs width"):
        Accumulator("fixed", frac_bits=3)
    with pytest.raises(NumericsError, match=r"width must be in \[2, 62\], not 63"):
        Accumulator("fixed", width=63, frac_bits=0)
    with pytest.raises(NumericsError, match=r"frac_bits must be in \[0, 60\], not -1"):
        Accumulator("fixed", width=16, frac_bits=-1)
    with pytest.raises(NumericsError, match=r"apply to kind 'fixed' only, not to 'fp32'"):
        Accumulator("fp32", width=32)
    with pytest.raises(NumericsError, match=r"overflow must be one of \('wrap', 'saturate'\), not 'clip'"):
        Accumulator("fixed", width=16, frac_bits=2, overflow="clip")
    with pytest.raises(TypeError, match=r"accumulator must be an Accumulator, not 'fp32'"):
        fp8_mac(1, 1, 0, E4M3, "fp32")
    with pytest.raises(NumericsError, match=r"fp8_mac: acc must be fp16 codes in \[0, 65535\], found 70000"):
        fp8_mac(1, 1, 70000, E4M3, Accumulator("fp16"))
    with pytest.raises(NumericsError, match=r"acc must be in \[-128, 127\], found 200"):
        fp8_mac(1, 1, 200, E4M3, Accumulator("fixed", width=8, frac_bits=2))
    with pytest.raises(NumericsError, match=r"mul must be one of \('fp8', 'lmul'\), not 'int8'"):
        mac(1, 1, 0, E4M3, mul="int8")
    with pytest.raises(NumericsError, match=r"inner dimensions differ: a \(2, 3\) and b \(2, 3\)"):
        matmul(np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.uint8))
    with pytest.raises(NumericsError, match=r"a and b must be 2-D"):
        matmul_bits(np.zeros(3, np.uint8), np.zeros((3, 1), np.uint8))
    with pytest.raises(NumericsError, match=r"mul='exact' sums in float64 and takes no accumulator"):
        matmul(np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.uint8), mul="exact", accumulator=Accumulator("fp32"))
    with pytest.raises(NumericsError, match=r"need a sequence axis, got scalars"):
        mac_sequence(1, 1, E4M3)
    with pytest.raises(NumericsError, match=r"init of shape \(3,\) does not broadcast to the batch shape \(2,\)"):
        mac_sequence(np.zeros((2, 4), np.uint8), np.zeros((2, 4), np.uint8), E4M3, init=np.zeros(3, np.uint32))
    with pytest.raises(NumericsError, match=r"shapes of a_seq \(2, 4\), b_seq \(3, 4\) do not broadcast"):
        mac_sequence(np.zeros((2, 4), np.uint8), np.zeros((3, 4), np.uint8), E4M3)
