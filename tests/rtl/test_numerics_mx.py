"""OCP MX block formats: hand-computed blocks, round trips, ml_dtypes reference, edge cases."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

from rtl.numerics import (
    E2M1,
    E4M3,
    E5M2,
    MX_ELEMENTS,
    MXTensor,
    NumericsError,
    decode,
    mx_dequantize,
    mx_quantize,
)

ML = {
    "e4m3": ml_dtypes.float8_e4m3fn,
    "e5m2": ml_dtypes.float8_e5m2,
    "e3m2": ml_dtypes.float6_e3m2fn,
    "e2m3": ml_dtypes.float6_e2m3fn,
    "e2m1": ml_dtypes.float4_e2m1fn,
}
EMAX = {"e4m3": 8, "e5m2": 15, "e3m2": 4, "e2m3": 2, "e2m1": 2, "int8": 0}


def test_hand_computed_blocks():
    x = np.array([1.0, -3.0, 0.5, 100.0], np.float32)
    # Block [1, -3]: floor(log2 3) = 1, E4M3 emax 8 -> X = 2**-7 (code 120); 1 -> 128 (0x70), -3 -> -384 (0xFC).
    # Block [0.5, 100]: floor(log2 100) = 6 -> X = 2**-2 (code 125); 0.5 -> 2 (0x40);
    # 100 -> 400, halfway between 384 and 416: ties to even 384 (0x7C), i.e. 96.
    mx = mx_quantize(x, "e4m3", block=2)
    assert mx.scales.tolist() == [120, 125] and mx.elements.tolist() == [0x70, 0xFC, 0x40, 0x7C]
    assert mx_dequantize(mx).tolist() == [1.0, -3.0, 0.5, 96.0]
    # E2M1 (emax 2): X = 2**-1 and 2**4; 1 -> 2 (0b0100), -3 -> -6 (0b1111), 0.5/16 -> 0, 100/16 = 6.25 -> 6.
    mx = mx_quantize(x, "e2m1", block=2)
    assert mx.scales.tolist() == [126, 131] and mx.elements.tolist() == [0b0100, 0b1111, 0b0000, 0b0111]
    assert mx_dequantize(mx).tolist() == [1.0, -3.0, 0.0, 96.0]
    # MXINT8 (emax 0, elements k * 2**-6): X = 2**1 and 2**6; 1 -> 32, -3 -> -96 (0xA0), 0.5 -> 0.5 ulp -> 0 (even), 100 -> 100.
    mx = mx_quantize(x, "int8", block=2)
    assert mx.scales.tolist() == [128, 133] and mx.elements.tolist() == [32, 0xA0, 0, 100]
    assert mx_dequantize(mx).tolist() == [1.0, -3.0, 0.0, 100.0]


@pytest.mark.parametrize("elem", ["e4m3", "e5m2", "e3m2", "e2m3", "e2m1"])
def test_exactly_representable_blocks_round_trip(elem):
    fmt = MX_ELEMENTS[elem]
    rng = np.random.default_rng(50)
    codes = rng.integers(0, fmt.max_code + 1, (40, 32)) | (rng.integers(0, 2, (40, 32)) << (fmt.bits - 1))
    top = (fmt.emax + fmt.bias) << fmt.man_bits  # 2**emax: fixes each block's shared exponent
    codes[:, 5] = top
    shift = rng.integers(-100, 100, 40)
    x = np.ldexp(decode(codes, fmt), shift[:, None].astype(np.int32))
    mx = mx_quantize(x, elem)
    assert mx.scales.tolist() == [[s + 127] for s in shift]
    assert np.array_equal(mx.elements, codes.astype(np.uint8))
    assert np.array_equal(mx_dequantize(mx), x.astype(np.float32))


@pytest.mark.parametrize("elem", ["e4m3", "e5m2", "e3m2", "e2m3", "e2m1", "int8"])
def test_random_tensors_match_independent_reference(elem):
    rng = np.random.default_rng(51)
    x = (rng.standard_normal((6, 100)) * np.exp2(rng.integers(-30, 30, (6, 1)))).astype(np.float32)
    mx = mx_quantize(x, elem, block=32, axis=1)
    assert mx.scales.shape == (6, 4) and mx.elements.shape == (6, 100)
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 28)]).reshape(6, 4, 32)
    shared = np.floor(np.log2(np.abs(xp).max(axis=-1))) - EMAX[elem]
    scale = np.exp2(shared)[..., None]
    if elem == "int8":
        q = np.clip(np.rint(xp / scale * 64), -127, 127) / 64
    else:
        fmax = float(ml_dtypes.finfo(ML[elem]).max)
        q = np.clip(xp / scale, -fmax, fmax).astype(ML[elem]).astype(np.float64)
    ref = (q * scale).reshape(6, 128)[:, :100].astype(np.float32)
    assert np.array_equal(mx_dequantize(mx), ref)
    assert np.array_equal(mx.scales, (shared + 127).astype(np.uint8))


def test_axis_and_partial_blocks():
    x = np.arange(3 * 70, dtype=np.float32).reshape(70, 3) - 100
    mx = mx_quantize(x, "e5m2", block=32, axis=0)
    assert mx.axis == 0 and mx.scales.shape == (3, 3) and mx.shape == (70, 3)
    back = mx_dequantize(mx)
    assert back.shape == (70, 3) and back.dtype == np.float32
    assert np.all(np.abs(back - x) <= np.abs(x) * 2.0**-3 + 1e-6)  # E5M2: half an ulp is 2**-3 relative
    assert np.array_equal(mx_dequantize(mx_quantize(x.T, "e5m2", axis=-1)), back.T)


def test_edge_cases():
    # NaN or Inf in a block: NaN scale, the whole block dequantizes to NaN; other blocks unaffected.
    mx = mx_quantize(np.array([np.nan, 1.0, 2.0, 3.0, np.inf, 0.0]), "e2m1", block=2)
    assert mx.scales.tolist() == [0xFF, 126, 0xFF]  # [2, 3]: floor(log2 3) - 2 = -1
    back = mx_dequantize(mx)
    assert np.isnan(back[[0, 1, 4, 5]]).all() and back[2:4].tolist() == [2.0, 3.0]
    # All-zero block: smallest scale, zero elements.
    mx = mx_quantize(np.zeros(4), "e4m3", block=4)
    assert mx.scales.tolist() == [0] and mx.elements.tolist() == [0, 0, 0, 0]
    # Tiny blocks: shared exponents -148 and -128 clamp to -127 (code 0); 2**-140 then
    # underflows the element (2**-13 < E4M3's 2**-9), 2**-120 is the element 2**7.
    mx = mx_quantize(np.array([2.0**-140, 2.0**-120]), "e4m3", block=1)
    assert mx.scales.tolist() == [0, 0] and mx.elements.tolist() == [0x00, 0x70]
    assert mx_dequantize(mx).tolist() == [0.0, 2.0**-120]
    # Shared exponent above 127: NaN scale.
    assert mx_quantize(np.array([2.0**140]), "e4m3", block=1).scales.tolist() == [0xFF]
    # 480 has floor(log2) = 8 = emax, so X = 1 and 480 saturates to E4M3's max 448.
    mx = mx_quantize(np.array([480.0, 1.0]), "e4m3", block=2)
    assert mx.scales.tolist() == [127] and mx_dequantize(mx).tolist() == [448.0, 1.0]
    # MXINT8: symmetric clamp at 127; the byte -128 still dequantizes to -2 * X.
    mx = mx_quantize(np.array([-1.999, 1.0]), "int8", block=2)
    assert mx.elements.tolist() == [0x81, 0x40]
    mx2 = MXTensor(np.array([127], np.uint8), np.array([0x80, 0], np.uint8), "int8", 2, 0, (2,))
    assert mx_dequantize(mx2).tolist() == [-2.0, 0.0]
    assert (E4M3.emax, E5M2.emax, E2M1.emax) == (8, 15, 2)


def test_mx_bad_input():
    with pytest.raises(NumericsError, match=r"mx_quantize: elem must be one of .*, not 'fp8'"):
        mx_quantize(np.ones(4), "fp8")
    with pytest.raises(NumericsError, match=r"block must be at least 1, not 0"):
        mx_quantize(np.ones(4), "e4m3", block=0)
    with pytest.raises(TypeError, match=r"block must be an integer, not 32.0"):
        mx_quantize(np.ones(4), "e4m3", block=32.0)
    with pytest.raises(NumericsError, match=r"axis 2 is out of range for 2-D input"):
        mx_quantize(np.ones((2, 2)), "e4m3", axis=2)
    with pytest.raises(NumericsError, match=r"x must have at least one axis, got a scalar"):
        mx_quantize(1.0)
    with pytest.raises(TypeError, match=r"mx_dequantize: expected an MXTensor, not 3"):
        mx_dequantize(3)
    with pytest.raises(NumericsError, match=r"scales of shape \(1,\) should be \(2,\)"):
        MXTensor(np.zeros(1, np.uint8), np.zeros(40, np.uint8), "e4m3", 32, 0, (40,))
    with pytest.raises(NumericsError, match=r"MXTensor: axis must be in \[0, 1\), not 1"):
        MXTensor(np.zeros(2, np.uint8), np.zeros(40, np.uint8), "e4m3", 32, 1, (40,))
    with pytest.raises(NumericsError, match=r"MXTensor: block must be a positive integer, not 0"):
        MXTensor(np.zeros(2, np.uint8), np.zeros(40, np.uint8), "e4m3", 0, 0, (40,))
    with pytest.raises(TypeError, match=r"MXTensor: scales must be a numpy array, not \[1\]"):
        MXTensor([1], np.zeros(40, np.uint8), "e4m3", 32, 0, (40,))
