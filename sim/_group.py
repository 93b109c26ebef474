"""What both simulators share about a fused group: its tiles' residency and the report of the group as a whole.

A fused group's Einsums each run on one tile (:func:`mapping.depth_cascades`) with every input tile on chip
and every output tile kept there (:func:`tile_residency`); the group's own DRAM traffic is what
:func:`mapping.analyse_group` derives from the loop nest. :func:`group_report` assembles the group's report from
its Einsums' tile reports scaled to their executions (:func:`scaled`) and that traffic, charged DRAM and on-chip
energy per byte, so the analytical model and the cycle-level simulator count energy and accesses the same way
and differ only in how the units' time overlaps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping as MappingABC
from typing import TYPE_CHECKING

from memory import Residency

from ._report import EnergyItem, Report, TensorAccesses

if TYPE_CHECKING:
    from accel.arch import Architecture
    from mapping import Mapping, Problem
    from mapping._fusion import GroupFacts

__all__ = ["RESOURCES", "tile_residency", "scaled", "group_report"]

#: The resources a fused group's tile steps overlap on.
RESOURCES: tuple[str, ...] = ("pe_array", "vector", "dram")


def tile_residency(problem: Problem) -> Residency:
    """Inside a fused group every input tile is on chip and every output tile stays there."""
    return Residency(resident=frozenset(t.name for t in problem.tensors if t.role != "output"))


def scaled(report: Report, k: int) -> Report:
    """``report`` for ``k`` executions one after another: cycles, counts and work times ``k``."""
    if k == 1:
        return report
    return dataclasses.replace(
        report,
        total_cycles=report.total_cycles * k,
        cycles_by_cause=tuple((c, v * k) for c, v in report.cycles_by_cause),
        energy=tuple(dataclasses.replace(e, count=e.count * k) for e in report.energy),
        accesses=tuple(dataclasses.replace(a, reads=a.reads * k, writes=a.writes * k, fills=a.fills * k,
                                           drains=a.drains * k) for a in report.accesses),
        macs=report.macs * k, ops=report.ops * k,
    )


def group_report(arch: Architecture, facts: GroupFacts, parts: MappingABC[str, Report],
                 mappings: MappingABC[str, Mapping], *, simulator: str, total: float,
                 causes: MappingABC[str, float], provenance: tuple[tuple[str, str], ...]) -> Report:
    """The report of one fused group.

    ``parts`` are the Einsums' tile reports scaled to their executions; ``total`` and ``causes`` (which add up
    to it) are the simulator's own; energy and accesses are the parts' plus the group's DRAM traffic (each byte
    read from DRAM is written into the outermost on-chip level, each byte written to DRAM read from it).
    """
    from .analytical._energy import action_energies  # the one table of per-action energies

    group = facts.group
    en = action_energies(arch)
    outer = arch.levels[-1].name if arch.levels else "rf"
    energy = [e for name in group.einsums for e in parts[name].energy]
    accesses = [a for name in group.einsums for a in parts[name].accesses]
    for role in facts.tensors:
        for nbytes, dram_action, spad_action, kind in ((role.dram_read_bytes, "read", "write", "fills"),
                                                        (role.dram_write_bytes, "write", "read", "drains")):
            if not nbytes:
                continue
            for component, action, key in (("dram", dram_action, f"dram.{dram_action}"),
                                           ("spad", spad_action, f"{outer}.{spad_action}")):
                e = en[key]
                energy.append(EnergyItem(component, action, nbytes * 8 / e.bits, e.pj, e.per, e.source))
            elements = nbytes * 8 / role.bits
            accesses.append(TensorAccesses("dram", role.tensor,
                                           **{"reads" if dram_action == "read" else "writes": elements}))
            accesses.append(TensorAccesses("spad", role.tensor, **{kind: elements}))
    weight = sum(p.total_cycles for p in parts.values()) or 1.0
    return Report(
        name=group.label, simulator=simulator, arch=arch.name, clock_mhz=float(arch.clock_mhz), total_cycles=total,
        cycles_by_cause=tuple(causes.items()), energy=tuple(energy), accesses=tuple(accesses),
        macs=sum(p.macs for p in parts.values()), ops=sum(p.ops for p in parts.values()),
        peak_ops_per_cycle=max(p.peak_ops_per_cycle for p in parts.values()),
        spatial_utilization=sum(p.spatial_utilization * p.total_cycles for p in parts.values()) / weight,
        mappings=tuple(mappings[n] for n in group.einsums),
        provenance=provenance,
    )
