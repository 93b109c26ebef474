"""One call from an architecture, a cascade's Einsum and its mapping to the generated accelerator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from amaranth.back import verilog

from ._accelerator import MappedAccelerator
from ._fromarch import ArchDesign, arch_design
from ._plan import FoldPlan, PlanError
from ._planner import plan_einsum

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade
    from mapping import Mapping, Problem

__all__ = ["AcceleratorDesign", "build_accelerator"]


@dataclass(frozen=True)
class AcceleratorDesign:
    """A generated accelerator and what it was built from.

    Attributes
    ----------
    top : str
        Verilog module name.
    arch : ArchDesign
    plan : FoldPlan
    problem : mapping.Problem
    mapping : mapping.Mapping
    component : MappedAccelerator
    """

    top: str
    arch: ArchDesign
    plan: FoldPlan
    problem: "Problem"
    mapping: "Mapping"
    component: MappedAccelerator

    def verilog(self) -> str:
        """The accelerator's Verilog (top module :attr:`top`)."""
        return verilog.convert(self.component, name=self.top, emit_src=False)

    def buffer_bits(self) -> dict[str, int]:
        """Bits of each generated buffer: the row and column operand banks and the result banks."""
        p, s = self.plan, self.arch.spec
        col = "weights" if p.stationary else "column operand"
        results = p.cols * (p.result_depth if p.stationary else p.folds * p.rows) * s.acc_width
        return {
            f"{p.row.tensor} (row operand, {p.rows} banks)": p.rows * p.bank_depth("row") * s.operand_bits,
            f"{p.col.tensor} ({col}, {p.cols} banks)": p.cols * p.bank_depth("col") * s.operand_bits,
            f"{p.out.tensor} (results, {p.cols} banks)": results,
        }


def build_accelerator(arch: "Architecture", cascade: "Cascade", mapping: "Mapping", top: str = "accel_top",
                      hard_multipliers: int | None = None) -> AcceleratorDesign:
    """Generate the accelerator that runs ``mapping`` (of one Einsum of ``cascade``) on ``arch``.

    ``hard_multipliers``: how many PEs keep a multiplier that synthesis may
    map to a DSP block (default all; see :class:`MappedAccelerator`).

    Raises
    ------
    ArchError
        ``arch`` names something the generator cannot build.
    PlanError
        The Einsum or the mapping is one the generated controller cannot run.
    """
    from mapping import build_problem

    design = arch_design(arch)
    names = [e.name for e in cascade.einsums]
    if mapping.einsum not in names:
        raise PlanError(f"mapping of {mapping.einsum!r}: the cascade {cascade.name!r} has no such Einsum; it has {names}")
    einsum = cascade.einsum(mapping.einsum)
    problem = build_problem(einsum, cascade.shapes, arch, tuple(cascade.weights) or None)
    shapes = {t.name: tuple(t.shape) for t in cascade.tensor_list}
    plan: FoldPlan = plan_einsum(arch, einsum, dict(cascade.shapes), problem, mapping, shapes)
    return AcceleratorDesign(top, design, plan, problem, mapping, MappedAccelerator(plan, design.spec, hard_multipliers))
