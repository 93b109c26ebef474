"""Number formats and the arithmetic units an architecture may declare.

One table, read by the validator (allowed values), the core types (operand and
accumulator widths) and the estimators (which circuits a MAC is made of).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NumberFormat", "ArithKind", "FORMATS", "ARITH_KINDS", "VECTOR_FORMATS", "VECTOR_OPS"]


@dataclass(frozen=True)
class NumberFormat:
    """A binary number format.

    Parameters
    ----------
    name : str
        Short name used in specs (``'int8'``, ``'e4m3'``, ``'bf16'``, ...).
    bits : int
        Total width in bits.
    exponent_bits : int
        Exponent field width (0 for integers).
    mantissa_bits : int
        Stored fraction bits for floats (the hidden one excluded); the value
        bits for integers.
    is_float : bool
        True for floating-point formats.
    """

    name: str
    bits: int
    exponent_bits: int
    mantissa_bits: int
    is_float: bool


FORMATS: dict[str, NumberFormat] = {
    f.name: f
    for f in (
        NumberFormat("int8", 8, 0, 8, False),
        NumberFormat("int16", 16, 0, 16, False),
        NumberFormat("int32", 32, 0, 32, False),
        # OCP 8-bit floating point (Micikevicius et al., "FP8 Formats for Deep Learning").
        NumberFormat("e4m3", 8, 4, 3, True),
        NumberFormat("e5m2", 8, 5, 2, True),
        NumberFormat("fp16", 16, 5, 10, True),
        NumberFormat("bf16", 16, 8, 7, True),
        NumberFormat("fp32", 32, 8, 23, True),
    )
}


@dataclass(frozen=True)
class ArithKind:
    """What one kind of arithmetic unit accepts.

    Parameters
    ----------
    name : str
        The ``arith.kind`` value.
    inputs : tuple of str
        Allowed ``input_format`` values; the first is the default.
    accumulates : tuple of str
        Allowed ``accumulate_format`` values; the first is the default.
    needs_mantissa : bool
        True for L-Mul, whose ``mantissa_bits`` field is required.
    description : str
        One line for listings.
    """

    name: str
    inputs: tuple[str, ...]
    accumulates: tuple[str, ...]
    needs_mantissa: bool
    description: str


ARITH_KINDS: dict[str, ArithKind] = {
    k.name: k
    for k in (
        ArithKind("int8_mac", ("int8",), ("int32",), False, "INT8 multiply, INT32 accumulate"),
        ArithKind("int16_mac", ("int16",), ("int32",), False, "INT16 multiply, INT32 accumulate"),
        ArithKind("fp8_mac", ("e4m3", "e5m2"), ("fp32", "fp16"), False, "FP8 (E4M3/E5M2) multiply, FP32/FP16 accumulate"),
        ArithKind(
            "lmul",
            ("bf16", "e4m3", "e5m2", "fp16", "fp32"),
            ("fp32", "fp16", "bf16"),
            True,
            "L-Mul (Luo & Sun 2024): multiply by one integer add of exponent|mantissa fields",
        ),
        ArithKind("bf16_mac", ("bf16",), ("fp32", "bf16"), False, "BF16 multiply, FP32/BF16 accumulate"),
        ArithKind("fp16_mac", ("fp16",), ("fp32", "fp16"), False, "FP16 multiply, FP32/FP16 accumulate"),
        ArithKind("fp32_mac", ("fp32",), ("fp32",), False, "FP32 fused multiply-add"),
    )
}

#: Formats a vector (softmax) unit may compute in.
VECTOR_FORMATS: tuple[str, ...] = ("fp32", "fp16", "bf16")

#: Element-wise operations a vector unit may support.
VECTOR_OPS: tuple[str, ...] = ("add", "sub", "mul", "div", "max", "min", "exp", "recip", "sqrt")


def lmul_operand_bits(input_format: str, mantissa_bits: int) -> int:
    """Width of an L-Mul operand: sign, the input format's exponent, ``mantissa_bits``."""
    return 1 + FORMATS[input_format].exponent_bits + mantissa_bits
