"""The analytical model of a whole cascade, optionally under a COSMA schedule.

Each Einsum is scored by :func:`sim.analytical.report_for`; with a schedule
its tensors are priced by the schedule's :class:`memory.Residency` (what stays in
the scratchpad, what is loaded from DRAM, which outputs are stored), exactly
as ``sim.cycle.simulate_cascade`` lowers them, and the whole-tensor spills the
schedule writes to DRAM at an Einsum's end are added to that Einsum's report
(a read of the scratchpad and a DRAM write at the tensor's stored width, and
their DRAM bus cycles).  So the two models count the same traffic and energy
for one schedule.  Latency differs where the simulator overlaps Einsums (it
fetches the next Einsum's first tiles during the current one and drains
outputs behind it), which this model, summing Einsums, does not.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mapping import Problem
from memory import CascadeSchedule, Residency, spill_bits

from .._checks import CascadeMappings, cascade_run
from .._report import CascadeReport, EnergyItem, Report, TensorAccesses
from ._energy import action_energies
from ._evaluate import cost_model, report_for

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Cascade
    from memory import TensorGraph

__all__ = ["evaluate_cascade"]


def _with_spills(report: Report, spills: Sequence[str], cascade: Cascade, graph: TensorGraph, arch: Architecture) -> Report:
    """``report`` plus the schedule's spills at its end: scratchpad reads, DRAM writes and their bus cycles."""
    en = action_energies(arch)
    outer = arch.levels[-1].name if arch.levels else "rf"
    items, accesses, bus = list(report.energy), list(report.accesses), 0.0
    for t in spills:
        nbytes = int(graph.tensor[t].size)
        elements = nbytes * 8 / spill_bits(cascade, graph, t)
        for component, action, key in (("spad", "read", f"{outer}.read"), ("dram", "write", "dram.write")):
            e = en[key]
            items.append(EnergyItem(component, action, nbytes * 8 / e.bits, e.pj, e.per, e.source))
        accesses += [TensorAccesses("spad", t, drains=elements), TensorAccesses("dram", t, writes=elements)]
        bus += math.ceil(nbytes / float(arch.dram.bandwidth))
    causes = dict(report.cycles_by_cause)
    causes["bandwidth_stall.dram"] = causes.get("bandwidth_stall.dram", 0.0) + bus
    return dataclasses.replace(
        report, energy=tuple(items), accesses=tuple(accesses), total_cycles=report.total_cycles + bus,
        cycles_by_cause=tuple(causes.items()),
        provenance=report.provenance + (("spills", ", ".join(spills)),),
    )


def evaluate_cascade(
    cascade: Cascade,
    arch: Architecture,
    mappings: CascadeMappings,
    *,
    schedule: CascadeSchedule | None = None,
    problems: Mapping[str, Problem] | None = None,
) -> CascadeReport:
    """The analytical report of a cascade's mapped Einsums: the total and one part per Einsum, in the order they run.

    Parameters
    ----------
    cascade : dataflow.Cascade
    arch : accel.Architecture
    mappings : mapping of str to Mapping, or sequence of Mapping / MapResult, or mapping.CascadeMapping
        One mapping per Einsum (by name, or in cascade order).
    schedule : memory.CascadeSchedule, optional
        A COSMA schedule of the cascade (with its graph, scratchpad and residency); without one every Einsum
        reads its inputs from DRAM and writes its outputs there.
    problems : mapping of str to mapping.Problem, optional
        The Einsums' problems where already built (a ``CascadeMapping`` carries them); built here otherwise.

    Returns
    -------
    sim.CascadeReport
        The parts one per Einsum; the total is their :func:`sim.combine` (Einsums one after another).

    Raises
    ------
    TypeError
        For mappings of the wrong type.
    ValueError
        For a missing mapping, or a schedule that does not run exactly the cascade's Einsums.
    mapping.MappingError
        If a mapping is not legal on ``arch``.
    """
    by_name, order = cascade_run("evaluate_cascade", cascade, mappings, schedule)
    facts: Mapping[str, Residency] = schedule.residency if schedule is not None else {}
    graph = None if schedule is None else schedule.graph
    weights = tuple(cascade.weights) or None
    reports = []
    for name in order:
        res = facts.get(name)
        model = cost_model(cascade.einsum(name), cascade.shapes, arch, weights, residency=res,
                           problem=None if problems is None else problems.get(name))
        report = report_for(model, by_name[name])
        if res is not None and res.spills:
            report = _with_spills(report, res.spills, cascade, graph, arch)
        reports.append(report)
    return CascadeReport.of_parts(reports, name=cascade.name)
