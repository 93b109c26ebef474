"""The analytical model of a fused group: every Einsum on its tile, the units overlapped per tile step.

For a :class:`mapping.FusionGroup` each Einsum runs on one tile (its enclosing shared ranks at their tile size,
see :func:`mapping.depth_cascades`) once per iteration of its enclosing shared loops. On that tile it is scored
by the per-Einsum model (:func:`report_for`) with every input served by the on-chip level and every output kept
there (the group's tiles live on chip); the group's DRAM traffic is what :func:`mapping.analyse_group` derives
from the loop nest (streamed inputs reloaded where a loop they do not depend on advances, outputs written once)
and is added with its energy (DRAM read or write, plus the on-chip fill or drain) and its bus time.

Latency overlaps the units as a software pipeline over tile steps: the 2-D array, the vector unit and the DRAM
channel each work through their share (``busy``: the sum over tile executions), tile ``t + 1``'s loads and array
work under tile ``t``'s vector work, so the group takes the busiest resource's total plus one tile step's fill
(the other resources' share of the first step, which nothing hides). Cycles by cause are the bottleneck's own
causes (scaled from its Einsums' tile reports) and ``dependency_wait`` for the fill. With one unit and no
overlap this reduces to the Einsums one after another.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping as MappingABC
from typing import TYPE_CHECKING

from mapping import Mapping, Problem
from mapping._fusion import GroupFacts
from memory import Residency

from .._report import EnergyItem, Report, TensorAccesses
from ._energy import action_energies
from ._evaluate import cost_model, report_for

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade

__all__ = ["GroupPricing", "tile_residency", "evaluate_group", "scaled"]

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


@dataclasses.dataclass(frozen=True)
class GroupPricing:
    """A fused group's report and how its latency arose.

    Attributes
    ----------
    report : Report
        The group as one report (named after the group).
    tiles : mapping of str to Report
        Each Einsum's report on one tile.
    busy : mapping of str to float
        Cycles each resource (``pe_array``, ``vector``, ``dram``) works in all.
    fill : float
        One tile step's cycles that nothing overlaps (the pipeline's fill).
    bottleneck : str
        The busiest resource.
    """

    report: Report
    tiles: MappingABC[str, Report]
    busy: MappingABC[str, float]
    fill: float
    bottleneck: str


def evaluate_group(cascade: Cascade, arch: Architecture, facts: GroupFacts, problems: MappingABC[str, Problem],
                   mappings: MappingABC[str, Mapping], tile_reports: MappingABC[str, Report] | None = None) -> GroupPricing:
    """Price one fused group: ``problems`` and ``mappings`` are each Einsum's on its tile; ``tile_reports`` are
    their tile reports where already scored (under :func:`tile_residency`), else they are scored here.

    Raises
    ------
    mapping.MappingError
        If a mapping is not legal for its tile problem.
    """
    group = facts.group
    weights = tuple(cascade.weights) or None
    tiles: dict[str, Report] = {}
    for name in group.einsums:
        if tile_reports is not None and name in tile_reports:
            tiles[name] = tile_reports[name]
            continue
        problem = problems[name]
        model = cost_model(cascade.einsum(name), {}, arch, weights, residency=tile_residency(problem), problem=problem)
        tiles[name] = report_for(model, mappings[name])
    parts = {name: scaled(tiles[name], facts.executions[name]) for name in group.einsums}
    busy = {u: 0.0 for u in RESOURCES}
    step = {u: 0.0 for u in RESOURCES}
    innermost = max(facts.depth.values())
    for name in group.einsums:
        unit = problems[name].unit
        busy[unit] += parts[name].total_cycles
        if facts.depth[name] == innermost:
            step[unit] += tiles[name].total_cycles
    bandwidth = float(arch.dram.bandwidth)
    dram_bytes = facts.dram_bytes
    busy["dram"] = math.ceil(dram_bytes / bandwidth)
    step["dram"] = busy["dram"] / max(1, facts.steps)
    bottleneck = max(RESOURCES, key=lambda u: (busy[u], -RESOURCES.index(u)))
    fill = sum(step.values()) - step[bottleneck]
    total = busy[bottleneck] + fill

    causes: dict[str, float] = {}
    if bottleneck == "dram":
        causes["bandwidth_stall.dram"] = busy["dram"]
    else:
        for name in group.einsums:
            if problems[name].unit == bottleneck:
                for c, v in parts[name].cycles_by_cause:
                    causes[c] = causes.get(c, 0.0) + v
    causes["dependency_wait"] = causes.get("dependency_wait", 0.0) + fill

    en = action_energies(arch)
    outer = arch.levels[-1].name if arch.levels else "rf"
    energy = [e for name in group.einsums for e in parts[name].energy]
    accesses = [a for name in group.einsums for a in parts[name].accesses]
    for role in facts.tensors:
        for nbytes, dram_action, spad_action, kind in ((role.dram_read_bytes, "read", "write", "fills"),
                                                        (role.dram_write_bytes, "write", "read", "drains")):
            if not nbytes:
                continue
            for component, action, key in (("dram", dram_action, f"dram.{dram_action}"), ("spad", spad_action, f"{outer}.{spad_action}")):
                e = en[key]
                energy.append(EnergyItem(component, action, nbytes * 8 / e.bits, e.pj, e.per, e.source))
            elements = nbytes * 8 / role.bits
            accesses.append(TensorAccesses("dram", role.tensor, **{"reads" if dram_action == "read" else "writes": elements}))
            accesses.append(TensorAccesses("spad", role.tensor, **{kind: elements}))
    cycles_weight = sum(p.total_cycles for p in parts.values()) or 1.0
    report = Report(
        name=group.label, simulator="analytical", arch=arch.name, clock_mhz=float(arch.clock_mhz), total_cycles=total,
        cycles_by_cause=tuple(causes.items()), energy=tuple(energy), accesses=tuple(accesses),
        macs=sum(p.macs for p in parts.values()), ops=sum(p.ops for p in parts.values()),
        peak_ops_per_cycle=max(p.peak_ops_per_cycle for p in parts.values()),
        spatial_utilization=sum(p.spatial_utilization * p.total_cycles for p in parts.values()) / cycles_weight,
        mappings=tuple(mappings[n] for n in group.einsums),
        provenance=(("model", "analytical, fused group: units overlapped per tile step"),
                    ("group", f"{group.label} over {', '.join(f'{r}/{t}' for r, t in zip(group.ranks, group.tiles)) or 'no shared rank'}"),
                    ("bottleneck", bottleneck), ("dram bytes", f"{dram_bytes}"), ("footprint bytes", f"{facts.footprint_bytes}")),
    )
    return GroupPricing(report, tiles, busy, fill, bottleneck)
