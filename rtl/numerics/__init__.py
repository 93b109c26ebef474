"""Bit-exact golden models of the arithmetic units (pure numpy, vectorized).

One reference per unit, used by the RTL benches, the simulator and the
accuracy studies alike:

- formats: :class:`FloatFormat`, ``E4M3``, ``E5M2``, ``BF16``, ``FP16``,
  ``FP32``, the MX element formats ``E2M1``, ``E3M2``, ``E2M3`` and
  :func:`float_format` for custom widths;
- conversion: :func:`encode` (round to nearest even, saturating or not),
  :func:`decode`, :func:`quantize`;
- FP8 multiplier: :func:`fp8_mul`, :func:`fp8_mul_mixed` (exact FP32 product);
- L-Mul: :func:`lmul` (the integer-adder unit), :func:`lmul_formula`,
  :func:`lmul_values`, :func:`lmul_offset`;
- INT8: :func:`int8_mul`, :func:`int8_mac`, :func:`int8_matmul`;
- MACs: :class:`Accumulator` (FP32, FP16, BF16 or fixed point), :func:`fp8_mac`,
  :func:`mac` (FP8 or L-Mul products), :func:`mac_sequence`, :func:`acc_decode`;
- whole-array GEMMs and dot products: :func:`matmul`, :func:`matmul_bits`,
  :func:`lmul_dot`;
- OCP MX block formats: :class:`MXTensor`, :func:`mx_quantize`, :func:`mx_dequantize`.

Every function takes and returns numpy arrays of codes (unsigned integers of
the format's width) and never loops over elements in Python.
"""

from ._accum import Accumulator, acc_decode
from ._codec import decode, encode, quantize
from ._formats import (
    BF16,
    E2M1,
    E2M3,
    E3M2,
    E4M3,
    E5M2,
    FORMATS,
    FP16,
    FP32,
    FloatFormat,
    NumericsError,
    float_format,
)
from ._int8 import int8_mac, int8_matmul, int8_mul
from ._lmul import lmul, lmul_formula, lmul_offset, lmul_values
from ._mac import fp8_mac, lmul_dot, mac, mac_sequence, matmul, matmul_bits
from ._mul import fp8_mul, fp8_mul_mixed
from ._mx import E8M0_NAN, MX_ELEMENTS, MXTensor, mx_dequantize, mx_quantize

__all__ = [
    "NumericsError",
    "FloatFormat",
    "float_format",
    "FORMATS",
    "E4M3",
    "E5M2",
    "E2M1",
    "E3M2",
    "E2M3",
    "BF16",
    "FP16",
    "FP32",
    "encode",
    "decode",
    "quantize",
    "fp8_mul",
    "fp8_mul_mixed",
    "lmul",
    "lmul_formula",
    "lmul_offset",
    "lmul_values",
    "int8_mul",
    "int8_mac",
    "int8_matmul",
    "Accumulator",
    "acc_decode",
    "mac",
    "fp8_mac",
    "mac_sequence",
    "matmul",
    "matmul_bits",
    "lmul_dot",
    "MXTensor",
    "MX_ELEMENTS",
    "E8M0_NAN",
    "mx_quantize",
    "mx_dequantize",
]
