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
(the other resources' share of the first step, which nothing hides) and its drain (the Einsums outside the
innermost loop that are off the busiest resource, their last execution; the last output tiles' write), plus the
DRAM latency of the first load and of the last write. The DRAM channel's share is its bursts, or, where more,
what two tile slots of a streamed input allow: each slot turns over in the DRAM latency, the burst and its
readers' time on the tile, its burst queued with the loads of the group's other inputs reloaded as often. Cycles by cause are the bottleneck's own
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

from .._group import RESOURCES, group_report, in_place, scaled, tile_residency
from .._report import Report
from ._evaluate import cost_model, report_for

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade

__all__ = ["GroupPricing", "tile_residency", "evaluate_group", "scaled"]

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
        Cycles that nothing overlaps: the pipeline's fill and drain and the DRAM latency of the first and last transfer.
    bottleneck : str
        The busiest resource.
    in_place : frozenset of str
        The tiles kept in the PEs between the group's Einsums (:func:`sim.in_place`).
    """

    report: Report
    tiles: MappingABC[str, Report]
    busy: MappingABC[str, float]
    fill: float
    bottleneck: str
    in_place: frozenset[str] = frozenset()


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
    kept = in_place(cascade, arch, facts, problems, tiles)
    tiles.update(kept.reports)
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
    # the first tile step cannot start before its inputs are on chip: one tile of each streamed input
    step["dram"] = sum(math.ceil(r.tile_bytes / bandwidth) for r in facts.tensors if r.role == "input")
    # a streamed input has two tile slots: a slot is busy from its load's issue through the DRAM latency and the
    # burst until its readers are done with it, so the DRAM channel cannot deliver faster than two slots turn over
    latency = float(arch.dram.latency) if dram_bytes else 0.0
    slots = 0.0
    # loads by how often they happen: those as frequent as a tile's load are issued with it and queue on the bus
    every: dict[int, float] = {}
    for role in facts.tensors:
        if role.role == "input" and role.dram_read_bytes:
            count = round(role.dram_read_bytes / role.tile_bytes)
            every[count] = every.get(count, 0.0) + math.ceil(role.tile_bytes / bandwidth)
    for role in facts.tensors:
        if role.role != "input" or role.dram_read_bytes <= role.tile_bytes:
            continue
        loads = role.dram_read_bytes / role.tile_bytes
        readers = [n for n in group.einsums if any(a.tensor == role.tensor for a in cascade.einsum(n).inputs)]
        # a slot turns over in the latency, the bursts queued with its load, and one execution of its readers
        turn = latency + every[round(loads)] + sum(tiles[n].total_cycles for n in readers)
        slots = max(slots, loads * turn / 2)
    busy["dram"] = max(busy["dram"], slots)
    bottleneck = max(RESOURCES, key=lambda u: (busy[u], -RESOURCES.index(u)))
    fill = sum(step.values()) - step[bottleneck]
    # nothing overlaps the first load's latency, nor, after the last tile step, the Einsums outside the innermost
    # loop that are not on the busiest resource (their last execution), the last output tiles' write and its latency
    written = [r for r in facts.tensors if r.role == "output"]
    drain = sum(tiles[n].total_cycles for n in group.einsums
                if facts.depth[n] < innermost and problems[n].unit != bottleneck)
    drain += (latency + sum(math.ceil(r.tile_bytes / bandwidth) for r in written)) if written else 0.0
    fill += latency + drain + kept.fill
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

    report = group_report(
        arch, facts, parts, mappings, simulator="analytical", total=total, causes=causes,
        provenance=(("model", "analytical, fused group: units overlapped per tile step"),
                    ("group", f"{group.label} over {', '.join(f'{r}/{t}' for r, t in zip(group.ranks, group.tiles)) or 'no shared rank'}"),
                    ("bottleneck", bottleneck), ("dram bytes", f"{dram_bytes}"), ("footprint bytes", f"{facts.footprint_bytes}"),
                    ("in place", ", ".join(sorted(kept.tensors)) or "none")),
    )
    return GroupPricing(report, tiles, busy, fill, bottleneck, kept.tensors)
