"""Turn what the engine measured into the shared :class:`sim.Report`.

Cycles by cause come from the PE array's timeline (they add up to the
Einsum's share of the total).  Accesses per (level, tensor) are the bytes the
engine moved, in elements: ``fills`` received from the level above,
``drains`` written back up, ``reads`` served to the array or an inner level,
``writes`` received from them; DRAM reads are its fills' sources and its
writes the drains it receives.  The scratchpad of a cascade schedule
(``'spad'``) is reported as a level of that name.

Inside the PEs the engine runs folds as bursts, so per-PE actions are counted
per fold: every PE receives its tile of each operand over the array network
(one ``noc.hop`` per word delivered to a PE, as the analytical model counts
them), a register file that holds a tensor is written with what it receives
and read once per iteration point (an output is read and written), and each
real MAC or operation costs one ``mac`` (or ``vector.op``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from .._report import EnergyItem, Report, TensorAccesses
from ._engine import EinsumStats
from ._program import DRAM, SPAD, EinsumProgram

__all__ = ["build_report", "MODEL_NAME"]

#: Provenance tag of reports from this simulator.
MODEL_NAME = "sim.cycle (SimPy, tile-step events; SCALE-Sim fold timing 2R+C+T-2)"


def _pe_counts(problem: Any, mapping: Any, folds: int) -> tuple[dict[str, float], dict[str, float], float]:
    """Per-PE register-file reads/writes (elements, by tensor) and bits delivered over the NoC in ``folds`` folds."""
    rf_reads: dict[str, float] = defaultdict(float)
    rf_writes: dict[str, float] = defaultdict(float)
    hop_bits = 0.0
    rf_ext = tuple(mapping.temporal[0])
    pes = math.prod(mapping.spatial)
    iters = math.prod(rf_ext) * pes
    for ti, t in enumerate(problem.tensors):
        per_pe = t.footprint(rf_ext)
        delivered = per_pe * pes * folds
        hop_bits += delivered * t.bits
        if problem.storage[0].holds[ti]:
            rf_writes[t.name] += delivered
            rf_reads[t.name] += iters * folds
            if t.role == "output":
                rf_writes[t.name] += iters * folds
    return rf_reads, rf_writes, hop_bits


def build_report(
    problem: Any,
    mapping: Any,
    program: EinsumProgram,
    stats: EinsumStats,
    energies: dict[str, Any],
    arch: Any,
    spad_bits: int = 8,
) -> Report:
    """The :class:`sim.Report` of one simulated Einsum.

    Parameters
    ----------
    problem : mapping.Problem
    mapping : mapping.Mapping
    program : EinsumProgram
    stats : EinsumStats
        What the engine measured for it.
    energies : dict of str to sim.analytical.ActionEnergy
    arch : accel.Architecture
    spad_bits : int
        Word width charged for scratchpad (``'spad'``) traffic, whose energy
        is that of the outermost on-chip level.
    """
    bits = {t.name: t.bits for t in problem.tensors}
    acc: dict[tuple[str, str], list[float]] = {}
    index = {"read": 0, "write": 1, "fill": 2, "drain": 3}
    for (place, tensor, kind), nbytes in sorted(stats.traffic.items()):
        if not nbytes:
            continue
        row = acc.setdefault((place, tensor), [0.0, 0.0, 0.0, 0.0])
        row[index[kind]] += nbytes * 8 / bits[tensor]
    rf_reads, rf_writes, hop_bits = _pe_counts(problem, mapping, program.folds)
    for tensor in sorted(set(rf_reads) | set(rf_writes)):
        acc[("rf", tensor)] = [rf_reads.get(tensor, 0.0), rf_writes.get(tensor, 0.0), 0.0, 0.0]
    accesses = tuple(TensorAccesses(level, tensor, *vals) for (level, tensor), vals in acc.items())

    items: list[EnergyItem] = []
    key = "vector.op" if problem.unit == "vector" else "mac"
    comp = energies[key]
    items.append(EnergyItem(key.split(".")[0], "op" if key == "vector.op" else "compute", float(problem.total_ops), comp.pj, comp.per, comp.source))
    outer = arch.levels[-1].name
    per_level: dict[tuple[str, str], float] = defaultdict(float)  # (component, action) -> bits
    for (place, tensor), (reads, writes, fills, drains) in acc.items():
        b = bits[tensor]
        per_level[(place, "read")] += (reads + drains) * b
        per_level[(place, "write")] += (writes + fills) * b
    for (place, action), nbits in per_level.items():
        if not nbits:
            continue
        table_key = f"{outer if place == SPAD else place}.{action}"
        e = energies[table_key]
        count = nbits / e.bits
        items.append(EnergyItem(place, action, count, e.pj, e.per, e.source))
    hop = energies["noc.hop"]
    if hop_bits:
        items.append(EnergyItem("noc", "hop", hop_bits / hop.bits, hop.pj, hop.per, hop.source))

    causes = [
        ("compute", stats.cycles["compute"]),
        ("fill_drain", stats.cycles["fill_drain"]),
        ("bandwidth_stall", stats.cycles["bandwidth_stall"]),
        ("dependency_wait", stats.cycles["dependency_wait"]),
    ]
    total = stats.end - stats.start
    return Report(
        name=problem.einsum,
        simulator="cycle",
        arch=problem.arch,
        clock_mhz=float(arch.clock_mhz),
        total_cycles=float(total),
        cycles_by_cause=tuple(causes),
        energy=tuple(items),
        accesses=accesses,
        macs=problem.macs,
        ops=problem.total_ops,
        peak_ops_per_cycle=problem.peak_ops_per_cycle,
        spatial_utilization=(program.rows_used * program.cols_used) / (problem.rows * problem.cols),
        mappings=(mapping,),
        provenance=(
            ("model", MODEL_NAME),
            ("einsum", problem.einsum),
            ("unit", problem.unit),
            ("steps", str(len(program.steps))),
            ("folds", str(program.folds)),
            ("fold_cycles", str(program.timing.total)),
        ),
    )
