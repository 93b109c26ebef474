"""The generator's reading of an architecture: which array, arithmetic and pipeline it builds, or why not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._arith import Arith, arith, max_depth
from ._array import MAX_ARRAY_SIDE
from ._errors import HDLParamError
from ._pe import DATAFLOWS

if TYPE_CHECKING:
    from accel.arch import Architecture

__all__ = ["ArchDesign", "ArchError", "arch_design"]

# Architecture arithmetic -> generator arithmetic (the kinds rtl.hdl builds).
_FP8 = ("e4m3", "e5m2")
_FULL_MANTISSA = {"e4m3": 3, "e5m2": 2}


class ArchError(HDLParamError):
    """An architecture the generator cannot build; the message names the key."""


@dataclass(frozen=True)
class ArchDesign:
    """What the generator builds for an architecture.

    Attributes
    ----------
    name : str
        The architecture's name.
    spec : Arith
        The PE arithmetic.
    rows, cols : int
    dataflow : str
        ``'output_stationary'`` or ``'weight_stationary'``.
    depth : int
        ``arith.pipeline_depth``: cycles from operands to the accumulated result.
    """

    name: str
    spec: Arith
    rows: int
    cols: int
    dataflow: str
    depth: int


def arch_design(arch: "Architecture") -> ArchDesign:
    """Read ``arch`` for the generator.

    Raises
    ------
    TypeError
        ``arch`` is not an :class:`accel.Architecture`.
    ArchError
        A key the generator cannot build, named in the message: a dataflow other
        than output- or weight-stationary (``pe_array.dataflow``), a broadcast
        network or a hop latency other than 1 (``pe_array.network``,
        ``pe_array.hop_latency``), an array side past 64, an arithmetic kind or
        format without a unit (``arith.kind``, ``arith.input_format``,
        ``arith.accumulate_format``, ``arith.mantissa_bits``), several MACs per
        PE (``arith.macs_per_cycle``), a pipeline deeper than the unit's cuts
        (``arith.pipeline_depth``), or a vector unit (``vector_unit``).
    """
    from accel import Architecture

    if not isinstance(arch, Architecture):
        raise TypeError(f"arch_design: arch must be an accel.Architecture, not {arch!r}")
    where = f"architecture {arch.name!r}"
    pe = arch.pe_array
    if pe.dataflow not in DATAFLOWS:
        raise ArchError(f"{where}: pe_array.dataflow {pe.dataflow!r} has no generator; it builds {list(DATAFLOWS)}")
    if pe.network != "systolic":
        raise ArchError(f"{where}: pe_array.network {pe.network!r} has no generator; it builds 'systolic' arrays")
    if pe.hop_latency != 1:
        raise ArchError(f"{where}: pe_array.hop_latency must be 1 for the generated array (one register per hop), "
                        f"not {pe.hop_latency!r}")
    for key, value in (("rows", pe.rows), ("cols", pe.cols)):
        if value > MAX_ARRAY_SIDE:
            raise ArchError(f"{where}: pe_array.{key} = {value}; the generator builds at most {MAX_ARRAY_SIDE}")
    if arch.vector_unit is not None:
        raise ArchError(f"{where}: vector_unit is set, and the generator builds no vector unit "
                        f"(remove the key to generate the PE array alone)")
    a = arch.arith
    if a.macs_per_cycle != 1:
        raise ArchError(f"{where}: arith.macs_per_cycle must be 1 for the generated PE, not {a.macs_per_cycle!r}")
    if a.kind == "int8_mac":
        spec = arith("int8", acc_bits=32)
    elif a.kind in ("fp8_mac", "lmul"):
        if a.input_format not in _FP8:
            raise ArchError(f"{where}: arith.input_format {a.input_format!r} for {a.kind!r} has no generated unit; "
                            f"it builds {list(_FP8)}")
        if a.kind == "lmul" and a.mantissa_bits != _FULL_MANTISSA[a.input_format]:
            raise ArchError(f"{where}: arith.mantissa_bits = {a.mantissa_bits} for {a.input_format!r}; the generated "
                            f"L-Mul takes the full {_FULL_MANTISSA[a.input_format]} mantissa bits")
        if a.accumulate_format not in ("fp32", "fp16", "bf16"):
            raise ArchError(f"{where}: arith.accumulate_format {a.accumulate_format!r} has no generated accumulator")
        spec = arith("fp8" if a.kind == "fp8_mac" else "lmul", fmt=a.input_format, accumulator=a.accumulate_format)
    else:
        raise ArchError(f"{where}: arith.kind {a.kind!r} has no generated unit; it builds 'int8_mac', 'fp8_mac' "
                        f"and 'lmul'")
    top = max_depth(spec.kind)
    if a.pipeline_depth > top:
        raise ArchError(f"{where}: arith.pipeline_depth = {a.pipeline_depth}; the generated {a.kind!r} unit has at "
                        f"most {top} stages")
    return ArchDesign(arch.name, spec, pe.rows, pe.cols, pe.dataflow, a.pipeline_depth)
