"""Scalar entry points of the analytical model: one mapping in, one :class:`sim.Report` out."""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection, Mapping as MappingABC
from typing import TYPE_CHECKING

from mapping._mapping import Mapping
from mapping._problem import Problem, build_problem
from mapping._validate import check_mapping

from .._report import EnergyItem, Report, TensorAccesses
from memory import Residency
from ._arrays import BatchResult, MappingBatch
from ._batch import CostModel
from ._energy import energies_and_estimators
from ._pipeline import Pipeline
from ._single import fsum_like_numpy, score_one

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Einsum

__all__ = ["cost_model", "evaluate", "evaluate_batch", "report_for", "MODEL_NAME"]

#: Provenance tag of reports from this model.
MODEL_NAME = "sim.analytical (Timeloop-style whole-tile access counting, max(compute, bandwidth) + fill/drain)"


def cost_model(
    einsum: Einsum, shapes: MappingABC[str, int], arch: Architecture, weights: Collection[str] | None = None,
    residency: Residency | None = None, problem: Problem | None = None,
) -> CostModel:
    """The analytical model of ``einsum`` on ``arch``, ready to score many mappings.

    Parameters
    ----------
    einsum : dataflow.Einsum
    shapes : mapping of str to int
        Rank sizes.
    arch : accel.Architecture
    weights : collection of str, optional
        Tensors that are weights (see :func:`mapping.build_problem`).
    residency : memory.Residency, optional
        What a cascade schedule does with the Einsum's tensors (see
        :func:`memory.schedule_residency`); default: every input comes from DRAM
        and every output goes there.
    problem : mapping.Problem, optional
        The Einsum's problem where already built (:func:`mapping.cascade_problems`); built here otherwise.

    Raises
    ------
    dataflow.EinsumError
        If a rank is missing from ``shapes``.
    accel.NoEstimateError
        If an action of ``arch`` has no energy estimate.
    """
    if problem is None:
        problem = build_problem(einsum, shapes, arch, weights)
    banks = (1, *[int(lvl.banks) for lvl in arch.levels], 1)
    energies, estimators = energies_and_estimators(arch)
    return CostModel(problem, energies, Pipeline(problem, arch.pe_array.dataflow, banks, residency=residency), estimators)


def evaluate_batch(
    einsum: Einsum, shapes: MappingABC[str, int], arch: Architecture, batch: MappingBatch, weights: Collection[str] | None = None
) -> BatchResult:
    """Score a batch of mappings at once (numpy over the batch).

    Parameters
    ----------
    einsum, shapes, arch, weights
        As :func:`cost_model`.
    batch : MappingBatch
        Factor and order arrays; illegal mappings come back with ``valid`` False.

    Raises
    ------
    ValueError
        If the batch's shape does not match the Einsum and architecture.
    """
    return cost_model(einsum, shapes, arch, weights).score(batch)


def report_for(model: CostModel, mapping: Mapping, name: str | None = None) -> Report:
    """The :class:`sim.Report` of one legal ``mapping`` scored by ``model``.

    Raises
    ------
    mapping.MappingError
        If the mapping is not legal for the model's problem.
    """
    p: Problem = model.problem
    check_mapping(p, mapping)
    r = score_one(model, mapping)
    en = model.energies
    tensors = p.tensors
    names = [t.name for t in tensors]
    bits = [float(t.bits) for t in tensors]
    items = []
    comp = en[model.compute_key]
    ops = p.total_ops
    if ops:
        items.append(EnergyItem(comp.key.split(".")[0], "compute" if comp.key == "mac" else "op", float(ops), comp.pj, comp.per, comp.source))
    accesses = []
    mul, add = operator.mul, operator.add
    # the elements' bits read and written at a level, summed as np.sum would (left to right below eight terms)
    total = functools.partial(functools.reduce, add) if len(tensors) < 8 else fsum_like_numpy
    for i, (st, reads, writes, fills, drains) in enumerate(zip(p.storage, r.reads, r.writes, r.fills, r.drains)):
        key = "rf" if i == 0 else st.name
        e = en[key + ".read"]
        count = total(list(map(mul, map(add, reads, drains), bits))) / e.bits
        if count:
            items.append(EnergyItem(key, "read", count, e.pj, e.per, e.source))
        e = en[key + ".write"]
        count = total(list(map(mul, map(add, writes, fills), bits))) / e.bits
        if count:
            items.append(EnergyItem(key, "write", count, e.pj, e.per, e.source))
        for t, a, b, c, d in zip(names, reads, writes, fills, drains):
            if a or b or c or d:
                accesses.append(TensorAccesses(st.name, t, a, b, c, d))
    if model.pipeline.residency is not None:  # a cascade schedule's scratchpad (priced as the outermost on-chip level)
        outer = p.storage[-2].name if len(p.storage) >= 3 else "rf"
        for action, counts in (("read", r.spad_reads), ("write", r.spad_writes)):
            e = en[f"{outer}.{action}"]
            count = total(list(map(mul, counts, bits))) / e.bits
            if count:
                items.append(EnergyItem("spad", action, count, e.pj, e.per, e.source))
        for t, a, b in zip(names, r.spad_reads, r.spad_writes):
            if a or b:
                accesses.append(TensorAccesses("spad", t, a, b, 0.0, 0.0))
    hop = en["noc.hop"]
    if r.noc_hops:
        items.append(EnergyItem("noc", "hop", r.noc_hops, hop.pj, hop.per, hop.source))
    bw = r.bandwidth_cycles
    worst = bw.index(max(bw))
    total = r.cycles
    stall = total - r.compute_cycles - r.fill_drain_cycles  # the bandwidth bound's excess, or the first/last bursts
    causes = (("compute", r.compute_cycles), (f"bandwidth_stall.{p.storage[worst].name}", stall), ("fill_drain", r.fill_drain_cycles))
    return Report(
        name=name or p.einsum,
        simulator="analytical",
        arch=p.arch,
        clock_mhz=p.clock_mhz,
        total_cycles=total,
        cycles_by_cause=causes,
        energy=tuple(items),
        accesses=tuple(accesses),
        macs=p.macs,
        ops=ops,
        peak_ops_per_cycle=p.peak_ops_per_cycle,
        spatial_utilization=r.spatial_utilization,
        mappings=(mapping,),
        provenance=(("model", MODEL_NAME), ("einsum", p.einsum), ("unit", p.unit), ("energy_estimators", model.estimators)),
    )


def evaluate(
    einsum: Einsum, shapes: MappingABC[str, int], arch: Architecture, mapping: Mapping, weights: Collection[str] | None = None
) -> Report:
    """Latency, energy, accesses and utilization of ``einsum`` run with ``mapping`` on ``arch``.

    Parameters
    ----------
    einsum : dataflow.Einsum
    shapes : mapping of str to int
        Rank sizes.
    arch : accel.Architecture
    mapping : mapping.Mapping
    weights : collection of str, optional
        Tensors that are weights (see :func:`mapping.build_problem`).

    Raises
    ------
    mapping.MappingError
        If ``mapping`` is not legal (wrong ranks or levels, a rank not
        covered, too many PEs, a tile over a level's capacity).
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping must be a mapping.Mapping, not {mapping!r}")
    return report_for(cost_model(einsum, shapes, arch, weights), mapping)
