"""The compute units of a PE array: the MAC unit in each PE and the optional vector unit."""

from __future__ import annotations

from dataclasses import dataclass

from ._checks import names as _names
from ._checks import positive_int as _positive_int
from ._formats import ARITH_KINDS, FORMATS, VECTOR_FORMATS, VECTOR_OPS, lmul_operand_bits

__all__ = ["ArithmeticUnit", "VectorUnit"]


@dataclass(frozen=True)
class ArithmeticUnit:
    """The multiply-accumulate unit in each PE.

    Parameters
    ----------
    kind : str
        One of ``accel._formats.ARITH_KINDS`` (``'int8_mac'``, ``'fp8_mac'``, ``'lmul'``, ...).
    input_format, accumulate_format : str
        Operand and accumulator formats allowed for ``kind``.
    mantissa_bits : int or None
        L-Mul only: operand mantissa bits (1 to the input format's mantissa width).
    pipeline_depth : int
        Cycles from operands to accumulated result (>= 1).
    macs_per_cycle : int
        MACs each PE completes per cycle (>= 1).
    """

    kind: str
    input_format: str
    accumulate_format: str
    mantissa_bits: int | None = None
    pipeline_depth: int = 1
    macs_per_cycle: int = 1

    def __post_init__(self) -> None:
        spec = ARITH_KINDS.get(self.kind)
        if spec is None:
            raise ValueError(f"arith.kind must be one of {tuple(ARITH_KINDS)!r}, not {self.kind!r}")
        if self.input_format not in spec.inputs:
            raise ValueError(f"arith.input_format for {self.kind!r} must be one of {spec.inputs!r}, not {self.input_format!r}")
        if self.accumulate_format not in spec.accumulates:
            raise ValueError(
                f"arith.accumulate_format for {self.kind!r} must be one of {spec.accumulates!r}, not {self.accumulate_format!r}"
            )
        if spec.needs_mantissa:
            _positive_int("arith", "mantissa_bits", self.mantissa_bits)
            top = FORMATS[self.input_format].mantissa_bits
            if self.mantissa_bits > top:
                raise ValueError(f"arith.mantissa_bits must be <= {top} for {self.input_format!r}, not {self.mantissa_bits!r}")
        elif self.mantissa_bits is not None:
            raise ValueError(f"arith.mantissa_bits applies only to 'lmul', not {self.kind!r} (got {self.mantissa_bits!r})")
        _positive_int("arith", "pipeline_depth", self.pipeline_depth)
        _positive_int("arith", "macs_per_cycle", self.macs_per_cycle)

    @property
    def operand_bits(self) -> int:
        """Width of one multiplier operand (L-Mul: sign + exponent + ``mantissa_bits``)."""
        if self.kind == "lmul":
            return lmul_operand_bits(self.input_format, self.mantissa_bits)
        return FORMATS[self.input_format].bits

    @property
    def accumulator_bits(self) -> int:
        """Width of the accumulator."""
        return FORMATS[self.accumulate_format].bits


@dataclass(frozen=True)
class VectorUnit:
    """A 1-D array for element-wise work (exp, max, division of softmax), as in FuseMax.

    Parameters
    ----------
    lanes : int
        Parallel lanes.
    ops_per_cycle : int
        Operations each lane completes per cycle.
    ops : tuple of str
        Supported operations, a subset of ``accel._formats.VECTOR_OPS``.
    format : str
        Arithmetic format (``'fp32'``, ``'fp16'``, ``'bf16'``).
    pipeline_depth : int
        Cycles per operation's latency.
    """

    lanes: int
    ops_per_cycle: int = 1
    ops: tuple[str, ...] = ("add", "mul", "max", "exp", "div")
    format: str = "fp32"
    pipeline_depth: int = 1

    def __post_init__(self) -> None:
        _positive_int("vector_unit", "lanes", self.lanes)
        _positive_int("vector_unit", "ops_per_cycle", self.ops_per_cycle)
        _positive_int("vector_unit", "pipeline_depth", self.pipeline_depth)
        _names(self, "ops", "vector_unit", allow_empty=False)
        bad = [op for op in self.ops if op not in VECTOR_OPS]
        if bad:
            raise ValueError(f"vector_unit.ops must be drawn from {VECTOR_OPS!r}, not {bad[0]!r}")
        if self.format not in VECTOR_FORMATS:
            raise ValueError(f"vector_unit.format must be one of {VECTOR_FORMATS!r}, not {self.format!r}")

    @property
    def ops_per_cycle_total(self) -> int:
        """Element operations per cycle over all lanes."""
        return self.lanes * self.ops_per_cycle
