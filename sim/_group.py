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
import math
from collections.abc import Mapping as MappingABC
from typing import TYPE_CHECKING

from memory import Residency

from ._report import EnergyItem, Report, TensorAccesses

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade
    from mapping import Mapping, Problem
    from mapping._fusion import GroupFacts

__all__ = ["RESOURCES", "tile_residency", "scaled", "group_report", "InPlace", "in_place"]

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


@dataclasses.dataclass(frozen=True)
class InPlace:
    """A fused group's tiles kept in the PEs of a streaming 2-D array, as FuseMax keeps them.

    Attributes
    ----------
    tensors : frozenset of str
        The tensors whose tiles stay in the PEs' register files between the Einsums of the group.
    reports : mapping of str to Report
        Per Einsum that reads or writes one of them, its tile report re-priced in place.
    fill : float
        Cycles the array's stream pays once per group (skew, preload and MAC pipeline), not per execution: added
        to the first execution on the array.
    """

    tensors: frozenset[str]
    reports: MappingABC[str, Report]
    fill: float


def in_place(cascade: Cascade, arch: Architecture, facts: GroupFacts, problems: MappingABC[str, Problem],
             tiles: MappingABC[str, Report]) -> InPlace:
    """Which of a fused group's tiles stay in the PEs, and what the Einsums on them cost there.

    Applies to a 2-D array with fold pipelining (``pe_array.fold_pipelining``: consecutive folds, of any Einsum,
    stream in behind each other, so the group pays the array's fill once). A tile produced on the array and read
    only by Einsums on the array, inside the group (not a group output), stays in the PEs' register files: one or
    more elements per PE, every such tile of the group fitting the register file at once (the largest are left out
    until they fit). An Einsum on the array that reads or writes such a tile runs in place: the tile's elements
    are spread over the PEs (its other ranks temporal), so it computes in ``ceil(points * ops_per_point /
    (PEs used * ops_per_cycle))`` cycles with no fill or drain of its own, and only its other tensors cross the
    on-chip buffer, once per execution each (its buffer energy scaled to their share of the bytes its own mapping
    moves; a stall where those bytes take longer than the compute at the buffer's bandwidth). Modelling choice: the Einsums on in-place tiles are taken to share one layout of them over
    the PEs (FuseMax's binding), not checked mapping against mapping. An Einsum on the array that touches no
    in-place tile still streams: each execution is its tile's cycles less one fill (the skew and MAC pipeline),
    which the group pays once.
    """
    pe = arch.pe_array
    on_array = {n for n in facts.group.einsums if problems[n].unit == "pe_array"}
    if not facts.group.fused or not on_array or not all(problems[n].fold_pipelining for n in on_array):
        return InPlace(frozenset(), {}, 0.0)
    pes = pe.rows * pe.cols
    readers: dict[str, set[str]] = {}
    for n in facts.group.einsums:
        for a in cascade.einsum(n).inputs:
            readers.setdefault(a.tensor, set()).add(n)
    made = {cascade.einsum(n).output.tensor: n for n in facts.group.einsums}
    candidates = [r for r in facts.tensors if r.role == "intermediate" and made[r.tensor] in on_array
                  and readers.get(r.tensor, set()) - {made[r.tensor]} and readers[r.tensor] <= on_array]
    per_pe = {r.tensor: math.ceil(r.tile_bytes * 8 / r.bits / pes) * r.bits / 8 for r in candidates}
    kept = sorted(candidates, key=lambda r: per_pe[r.tensor])
    while kept and sum(per_pe[r.tensor] for r in kept) > arch.register_file.capacity:
        kept.pop()
    tensors = frozenset(r.tensor for r in kept)
    elements = {r.tensor: r.tile_bytes * 8 / r.bits for r in kept}
    outer = arch.levels[-1].name if arch.levels else None
    reports: dict[str, Report] = {}
    for n in sorted(on_array):
        touched = {a.tensor for a in cascade.einsum(n).inputs} | {cascade.einsum(n).output.tensor}
        mine = touched & tensors
        p = problems[n]
        if not mine:  # not in place, but streaming: its executions' folds follow each other's without a new fill
            once = min(tiles[n].cycles("fill_drain"), float(p.hop_latency * (p.rows - 1 + p.cols - 1) + p.pipeline_depth - 1))
            if once > 0:
                reports[n] = dataclasses.replace(
                    tiles[n], total_cycles=tiles[n].total_cycles - once,
                    cycles_by_cause=tuple((c, v - once if c == "fill_drain" else v) for c, v in tiles[n].cycles_by_cause),
                    provenance=tiles[n].provenance + (("streamed", f"{once:g} cycles of fill paid once per group"),))
            continue
        used = min(pes, max(elements[t] for t in mine))
        compute = math.ceil(p.points * p.ops_per_point / (used * p.ops_per_cycle))
        # in place, each tensor that is not crosses the buffer once per execution: inputs read, the output written
        read = sum(math.prod(t.dim_sizes) * t.bits / 8 for t in p.tensors if t.role != "output" and t.name not in tensors)
        write = sum(math.prod(t.dim_sizes) * t.bits / 8 for t in p.tensors if t.role == "output" and t.name not in tensors)
        bits = {t.name: t.bits for t in p.tensors}
        moved = sum((a.reads + a.writes + a.fills + a.drains) * bits.get(a.tensor, 8) / 8 for a in tiles[n].accesses
                    if a.level == outer)
        share = min(1.0, (read + write) / moved) if moved else 1.0
        level = arch.levels[-1] if arch.levels else None
        stall = 0.0
        if level is not None:
            stall = max(0.0, max(read / level.read_bandwidth, write / level.write_bandwidth) - compute)
        causes = [("compute", float(compute))] + ([(f"bandwidth_stall.{outer}", stall)] if stall else [])
        reports[n] = dataclasses.replace(
            tiles[n], total_cycles=float(compute) + stall, cycles_by_cause=tuple(causes),
            energy=tuple(dataclasses.replace(e, count=e.count * share) if e.component == outer else e
                         for e in tiles[n].energy),
            accesses=tuple(dataclasses.replace(a, reads=0.0, writes=0.0) if a.level == outer and
                           a.tensor in tensors else a for a in tiles[n].accesses),
            spatial_utilization=min(1.0, used / pes),
            provenance=tiles[n].provenance + (("in place", ", ".join(sorted(mine))),),
        )
    # the stream's wavefront crosses the array once (skew and MAC pipeline), behind a preload of the stationary
    # operand unless the first Einsum on the array leaves its output in place (output stationary)
    first = next(n for n in facts.group.einsums if n in on_array)
    p = problems[first]
    fill = p.hop_latency * (p.rows - 1 + p.cols - 1) + (p.pipeline_depth - 1)
    if tensors and cascade.einsum(first).output.tensor not in tensors:
        fill += p.hop_latency * p.rows
    return InPlace(tensors, reports, float(fill))
