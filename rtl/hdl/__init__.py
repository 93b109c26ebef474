"""Amaranth 0.5 generators for the arithmetic units, the PE and the systolic array.

Every unit is a ``wiring.Component`` whose signature is built from its
parameters; all parameters are checked before any HDL is built
(:class:`HDLParamError`, a ``ValueError``). The bit-exact golden model of each
unit is in :mod:`rtl.numerics`.

- :class:`Fp8Multiplier`: exact E4M3/E5M2 product as FP32 bits;
- :class:`LMul`: the L-Mul integer-adder multiplier (any IEEE/OCP format);
- :class:`Int8Mac`, :class:`Fp8Mac`, :class:`LMulMac` (all :class:`Mac`):
  multiply-accumulate with FP32/FP16/BF16/fixed-point (or integer) accumulators;
- :class:`ProcessingElement` and :class:`SystolicArray`: weight- or
  output-stationary arrays of any :class:`Arith`;
- :func:`build_unit` / :func:`to_verilog`: construction by unit name, as the
  ``accel rtl generate`` command does;
- :func:`arch_design`: what an architecture asks the generator for (or an
  :class:`ArchError` naming the key it cannot build);
- :func:`plan_einsum` and :class:`MappedAccelerator`: one mapped Einsum as loop
  counters, banked buffers and a fold schedule, and the accelerator (buffers,
  array, controller) that runs it; :func:`build_accelerator` chains them.
"""

from ._accelerator import CYCLE_BITS, MappedAccelerator
from ._arith import Arith, arith, max_depth
from ._array import MAX_ARRAY_SIDE, SystolicArray
from ._catalog import UNITS, UnitDesign, build_unit, parse_params, to_verilog, unit_params
from ._errors import HDLParamError, ToolMissingError
from ._fromarch import ArchDesign, ArchError, arch_design
from ._fp8mul import Fp8Multiplier
from ._lmul import LMul
from ._mac import Fp8Mac, Int8Mac, LMulMac, Mac
from ._pe import DATAFLOWS, ProcessingElement
from ._plan import FoldPlan, Loop, PlanError
from ._planner import plan_einsum
from ._system import AcceleratorDesign, build_accelerator

__all__ = [
    "HDLParamError",
    "ToolMissingError",
    "Arith",
    "arith",
    "max_depth",
    "Fp8Multiplier",
    "LMul",
    "Mac",
    "Int8Mac",
    "Fp8Mac",
    "LMulMac",
    "DATAFLOWS",
    "ProcessingElement",
    "SystolicArray",
    "MAX_ARRAY_SIDE",
    "UNITS",
    "UnitDesign",
    "build_unit",
    "unit_params",
    "parse_params",
    "to_verilog",
    "ArchDesign",
    "ArchError",
    "arch_design",
    "FoldPlan",
    "Loop",
    "PlanError",
    "plan_einsum",
    "MappedAccelerator",
    "CYCLE_BITS",
    "AcceleratorDesign",
    "build_accelerator",
]
