"""Formats, encode and decode checked against ml_dtypes and numpy casts."""

from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtl.numerics import (
    BF16,
    E2M1,
    E2M3,
    E3M2,
    E4M3,
    E5M2,
    FP16,
    FP32,
    FloatFormat,
    NumericsError,
    decode,
    encode,
    float_format,
    quantize,
)

FP8 = [(E4M3, ml_dtypes.float8_e4m3fn), (E5M2, ml_dtypes.float8_e5m2)]
SMALL = [
    (E2M1, ml_dtypes.float4_e2m1fn),
    (E3M2, ml_dtypes.float6_e3m2fn),
    (E2M3, ml_dtypes.float6_e2m3fn),
]
WIDE = [(FP16, np.float16), (BF16, ml_dtypes.bfloat16)]


def _ref_decode(fmt, dtype):
    codes = np.arange(1 << fmt.bits)
    raw = codes.astype(np.uint8 if fmt.bits <= 8 else np.uint16)
    with np.errstate(invalid="ignore"):
        return codes, raw.view(dtype).astype(np.float64)


def _same(a, b):
    """Equal values, equal zero signs, NaN where NaN."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ok = np.array_equal(a, b, equal_nan=True)
    both = ~np.isnan(a) & ~np.isnan(b)
    return ok and np.array_equal(np.signbit(a[both]), np.signbit(b[both]))


def _ml_codes(x32, fmt, dtype):
    with np.errstate(over="ignore", invalid="ignore"):
        return x32.astype(dtype).view(np.uint8 if fmt.bits <= 8 else np.uint16)


# -- format constants --------------------------------------------------------
def test_format_constants():
    assert (E4M3.bits, E4M3.max_normal, E4M3.min_normal, E4M3.min_subnormal) == (8, 448.0, 2**-6, 2**-9)
    assert (E5M2.max_normal, E5M2.min_normal, E5M2.min_subnormal) == (57344.0, 2**-14, 2**-16)
    assert (E2M1.max_normal, E3M2.max_normal, E2M3.max_normal) == (6.0, 28.0, 7.5)
    assert FP16.max_normal == 65504.0 and BF16.max_normal == float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)
    assert FP32.max_normal == float(np.finfo(np.float32).max)
    assert (E4M3.nan_code, E5M2.nan_code, E5M2.inf_code, E4M3.inf_code) == (0x7F, 0x7E, 0x7C, None)
    assert (E4M3.code_dtype, BF16.code_dtype, FP32.code_dtype) == (np.uint8, np.uint16, np.uint32)
    assert float_format(4, 3, nan="fn") == FloatFormat("e4m3fn", 4, 3, 7, False, "fn")


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((1, 3), {}, NumericsError, r"exp_bits must be in \[2, 8\], not 1"),
        ((4, 0), {}, NumericsError, r"man_bits must be in \[1, 23\], not 0"),
        ((9, 3), {}, NumericsError, r"exp_bits must be in \[2, 8\], not 9"),
        ((8, 24), {}, NumericsError, r"man_bits must be in \[1, 23\], not 24"),
        ((4.0, 3), {}, TypeError, r"exp_bits must be an integer, not 4.0"),
        ((4, 3), {"nan": "ocp"}, NumericsError, r"nan must be one of .*, not 'ocp'"),
        ((8, 7), {"bias": 0}, NumericsError, r"bias 0 gives exponents .* outside FP32"),
    ],
)
def test_float_format_rejects_bad_widths(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        float_format(*args, **kwargs)


def test_format_rejects_inconsistent_inf():
    with pytest.raises(NumericsError, match=r"has_inf=True contradicts nan='fn'"):
        FloatFormat("x", 4, 3, 7, True, "fn")


# -- decode -----------------------------------------------------------------
@pytest.mark.parametrize(("fmt", "dtype"), FP8 + SMALL + WIDE, ids=lambda v: getattr(v, "name", ""))
def test_decode_every_code_matches_ml_dtypes(fmt, dtype):
    codes, ref = _ref_decode(fmt, dtype)
    assert _same(decode(codes, fmt), ref)


def test_decode_fp32_matches_numpy():
    rng = np.random.default_rng(11)
    bits = rng.integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32)
    bits[:4] = [0, 0x80000000, 0x7F800000, 0x00000001]
    with np.errstate(invalid="ignore"):
        ref = bits.view(np.float32).astype(np.float64)
    assert _same(decode(bits, FP32), ref)


# -- encode: all codes, boundaries -------------------------------------------
@pytest.mark.parametrize(("fmt", "dtype"), FP8 + SMALL, ids=lambda v: getattr(v, "name", ""))
@pytest.mark.parametrize("saturate", [False, True])
def test_encode_round_trips_every_code(fmt, dtype, saturate):
    codes, values = _ref_decode(fmt, dtype)
    finite = ~np.isnan(values)
    want = codes[finite]
    if saturate:  # infinities clamp to the largest finite value
        want = np.where(np.isinf(values[finite]), (want & 0x80) | fmt.max_code, want)
    assert np.array_equal(encode(values[finite], fmt, saturate=saturate), want)
    if fmt.nan_code is not None:  # NaN keeps its sign, mantissa canonical
        got = encode(values[~finite], fmt, saturate=saturate)
        want = np.where(np.signbit(values[~finite]), 0x80 | fmt.nan_code, fmt.nan_code)
        assert np.array_equal(got, want)


def _boundary_values(fmt, dtype):
    """Midpoints of consecutive codes, +-1 float32 ulp around them and every code,
    the overflow threshold and the subnormal range, both signs, plus specials."""
    _, values = _ref_decode(fmt, dtype)
    pos = np.unique(values[(values >= 0) & np.isfinite(values)])
    step = pos[-1] - pos[-2]
    pos = np.append(pos, [pos[-1] + step, pos[-1] + 2 * step, 2 * pos[-1], 1e30])
    mids = (pos[:-1] + pos[1:]) / 2
    pts = np.concatenate([pos, mids, pos / 2, pos / 4, [fmt.min_subnormal / 2 * 3 / 4]])
    pts32 = pts.astype(np.float32)
    up = np.nextafter(pts32, np.float32(np.inf))
    down = np.nextafter(pts32, np.float32(0))
    x = np.concatenate([pts32, up, down])
    x = np.concatenate([x, -x, np.array([np.inf, -np.inf, np.nan, -np.nan], np.float32)])
    return x


@pytest.mark.parametrize(("fmt", "dtype"), FP8, ids=lambda v: getattr(v, "name", ""))
def test_encode_boundaries_match_ml_dtypes(fmt, dtype):
    x = _boundary_values(fmt, dtype)
    assert x.size > 1000
    assert np.array_equal(encode(x, fmt), _ml_codes(x, fmt, dtype))


@pytest.mark.parametrize(("fmt", "dtype"), FP8, ids=lambda v: getattr(v, "name", ""))
def test_encode_saturating_clamps_overflow_and_inf(fmt, dtype):
    x = _boundary_values(fmt, dtype)
    clipped = np.where(np.isnan(x), x, np.clip(x, -fmt.max_normal, fmt.max_normal)).astype(np.float32)
    assert np.array_equal(encode(x, fmt, saturate=True), _ml_codes(clipped, fmt, dtype))
    assert encode([np.inf, -np.inf, 1e9], fmt, saturate=True).tolist() == [
        fmt.max_code,
        0x80 | fmt.max_code,
        fmt.max_code,
    ]


def test_encode_overflow_thresholds():
    # E4M3: 464 is the midpoint between 448 (even) and the NaN slot: ties to 448.
    assert encode([464.0, np.nextafter(464.0, 1e9), np.inf, -1e4], E4M3).tolist() == [0x7E, 0x7F, 0x7F, 0xFF]
    # E5M2: 61440 is the midpoint between 57344 (odd) and 65536: ties up to Inf.
    assert encode([61440.0, np.nextafter(61440.0, 0), -np.inf], E5M2).tolist() == [0x7C, 0x7B, 0xFC]
    # Subnormal boundaries: half the smallest subnormal ties to zero, above it rounds up.
    assert encode([2.0**-10, np.nextafter(2.0**-10, 1), -(2.0**-10)], E4M3).tolist() == [0x00, 0x01, 0x80]
    assert encode([2.0**-17, 3 * 2.0**-17], E5M2).tolist() == [0x00, 0x02]


@pytest.mark.parametrize(("fmt", "dtype"), SMALL, ids=lambda v: getattr(v, "name", ""))
def test_encode_mx_element_formats_saturate(fmt, dtype):
    x = _boundary_values(fmt, dtype)
    x = x[~np.isnan(x)]
    assert np.array_equal(encode(x, fmt), _ml_codes(x, fmt, dtype))
    with pytest.raises(NumericsError, match=r"format 'e2m1' has no NaN encoding"):
        encode([1.0, np.nan], E2M1)


def _exact_round(x, fmt, dtype):
    """Round-to-nearest-even of the exact value of float64 ``x`` onto the format's finite grid, in
    rational arithmetic (``fractions.Fraction``): an independent reference for float64 input."""
    codes, values = _ref_decode(fmt, dtype)
    grid = sorted((Fraction(v), c) for v, c in zip(values.tolist(), codes.tolist()) if c < 0x80 and np.isfinite(v))
    q = abs(Fraction(x))
    for (lo, lo_code), (hi, hi_code) in zip(grid, grid[1:]):
        if lo <= q <= hi:
            if q - lo != hi - q:
                code = lo_code if q - lo < hi - q else hi_code
            else:
                code = lo_code if lo_code % 2 == 0 else hi_code
            return code | (0x80 if np.signbit(x) else 0)
    raise AssertionError(f"{x} lies outside the finite range")


def test_encode_float64_is_correctly_rounded():
    # Each float64 midpoint of two consecutive codes, and +-1 float64 ulp around it, against the code table.
    for fmt, dtype in FP8:
        _, values = _ref_decode(fmt, dtype)
        pos = np.unique(values[(values > 0) & np.isfinite(values)])
        lo, hi = pos[:-1], pos[1:]
        mid = (lo + hi) / 2
        lo_code, hi_code = encode(lo, fmt), encode(hi, fmt)
        assert np.array_equal(encode(np.nextafter(mid, 0), fmt), lo_code)
        assert np.array_equal(encode(np.nextafter(mid, np.inf), fmt), hi_code)
        even = np.where(lo_code % 2 == 0, lo_code, hi_code)
        assert np.array_equal(encode(mid, fmt), even)
    # A float64 value that a detour through float32 would round onto the midpoint 1.0625 (and then to 1.0).
    x = 1 + 2.0**-4 + 2.0**-40
    assert np.float32(x) == 1.0625
    assert encode(x, E4M3) == _exact_round(x, E4M3, ml_dtypes.float8_e4m3fn) == 0x39
    assert decode(encode(x, E4M3), E4M3) == 1.125


@pytest.mark.parametrize(("fmt", "dtype"), FP8, ids=lambda v: getattr(v, "name", ""))
@given(st.floats(min_value=-440.0, max_value=440.0, allow_nan=False, allow_subnormal=True, width=64))
def test_encode_float64_equals_exact_rational_rounding(fmt, dtype, x):
    # Within the finite range of both formats (E4M3 tops at 448): every float64 against exact rounding.
    assert encode(x, fmt) == _exact_round(x, fmt, dtype)


@pytest.mark.parametrize(("fmt", "dtype"), WIDE, ids=lambda v: getattr(v, "name", ""))
def test_encode_16bit_formats_on_random_float32(fmt, dtype):
    rng = np.random.default_rng(5)
    with np.errstate(over="ignore"):
        x = (rng.standard_normal(100_000) * np.exp2(rng.uniform(-140, 140, 100_000))).astype(np.float32)
    x[:6] = [np.inf, -np.inf, 0.0, -0.0, 65520.0, 65519.996]
    assert np.array_equal(encode(x, fmt), _ml_codes(x, fmt, dtype))


def test_encode_fp32_and_fp16_from_float64_match_numpy():
    rng = np.random.default_rng(6)
    x = rng.standard_normal(100_000) * np.exp2(rng.uniform(-160, 160, 100_000))
    with np.errstate(over="ignore"):
        assert np.array_equal(encode(x, FP32), x.astype(np.float32).view(np.uint32))
        assert np.array_equal(encode(x, FP16), x.astype(np.float16).view(np.uint16))


def test_encode_accepts_ints_and_ml_dtypes():
    assert encode(np.array([3, -2]), E4M3).tolist() == [0x44, 0xC0]
    assert encode(np.array([1.5], ml_dtypes.bfloat16), E5M2).tolist() == [0x3E]
    assert encode(2.0, "e5m2").shape == ()
    assert quantize([500.0, 0.3], E4M3).tolist() == [448.0, 0.3125]


@given(st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), min_size=1, max_size=64))
def test_encode_any_float32_matches_ml_dtypes(values):
    x = np.array(values, np.float32)
    for fmt, dtype in FP8 + WIDE:
        assert np.array_equal(encode(x, fmt), _ml_codes(x, fmt, dtype))
        assert np.array_equal(encode(x.astype(np.float64), fmt), encode(x, fmt))


# -- bad input ---------------------------------------------------------------
def test_bad_inputs_raise_clear_errors():
    with pytest.raises(NumericsError, match=r"encode: unknown format 'e3m4'"):
        encode(1.0, "e3m4")
    with pytest.raises(TypeError, match=r"encode: fmt must be a FloatFormat or a format name, not 8"):
        encode(1.0, 8)
    with pytest.raises(TypeError, match=r"encode: x must be a real float or integer array, not dtype complex128"):
        encode(np.array([1j]), E4M3)
    with pytest.raises(TypeError, match=r"saturate must be a bool, not 'yes'"):
        encode(1.0, E4M3, saturate="yes")
    with pytest.raises(NumericsError, match=r"integer x 9007199254740993 is beyond 2\*\*53"):
        encode(np.array([2**53 + 1]), FP32)
    with pytest.raises(NumericsError, match=r"decode: codes must be e4m3 codes in \[0, 255\], found 256"):
        decode([1, 256], E4M3)
    with pytest.raises(NumericsError, match=r"found -1"):
        decode(np.array([-1]), E5M2)
    with pytest.raises(TypeError, match=r"decode: codes must be integer e4m3 codes, not an array of dtype float64"):
        decode([1.0], E4M3)
