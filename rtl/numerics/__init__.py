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
- INT8: :func:`int8_mul`, :func:`int8_mac`.

Every function takes and returns numpy arrays of codes (unsigned integers of
the format's width) and never loops over elements in Python.
"""

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
from ._int8 import int8_mac, int8_mul
from ._lmul import lmul, lmul_formula, lmul_offset, lmul_values
from ._mul import fp8_mul, fp8_mul_mixed

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
]
