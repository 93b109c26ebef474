"""Turn what the engine measured into the shared :class:`sim.Report`.

Cycles by cause come from the PE array's timeline (they add up to the
Einsum's share of the total); a bandwidth stall is charged to the place the
array waited on (``'bandwidth_stall.dram'``, ``'bandwidth_stall.<level>'``,
``'bandwidth_stall.spad'``).  Accesses per (level, tensor) are the bytes the
engine moved, in elements: ``fills`` received from the level above,
``drains`` written back up, ``reads`` served to the array or an inner level,
``writes`` received from them; DRAM reads are its fills' sources and its
writes the drains it receives.  The scratchpad of a cascade schedule
(``'spad'``) is reported as a level of that name.

Inside the PEs the engine runs folds as bursts; the register-file accesses
and the words carried to and from PEs over the array network (one
``noc.hop`` per operand word per PE) are counted per fold by the lowering
(Timeloop's latch semantics, see ``sim.cycle._program``), and each real MAC
or operation costs one ``mac`` (or ``vector.op``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .._report import EnergyItem, Report, TensorAccesses
from ._engine import EinsumStats
from ._program import SPAD, EinsumProgram

__all__ = ["build_report", "MODEL_NAME"]

#: Provenance tag of reports from this simulator.
MODEL_NAME = "sim.cycle (SimPy, tile-step events; SCALE-Sim 3 fold timing)"


def build_report(
    problem: Any,
    mapping: Any,
    program: EinsumProgram,
    stats: EinsumStats,
    energies: dict[str, Any],
    arch: Any,
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
        Scratchpad (``'spad'``) traffic is charged the energy of its outermost on-chip level.
    """
    bits = {t.name: t.bits for t in problem.tensors}
    acc: dict[tuple[str, str], list[float]] = {}
    index = {"read": 0, "write": 1, "fill": 2, "drain": 3}
    for (place, tensor, kind), nbytes in sorted(stats.traffic.items()):
        if not nbytes:
            continue
        row = acc.setdefault((place, tensor), [0.0, 0.0, 0.0, 0.0])
        row[index[kind]] += nbytes * 8 / bits[tensor]
    extra_bits: dict[tuple[str, str], float] = defaultdict(float)
    for (place, tensor, kind), count in sorted(stats.elements.items()):
        acc.setdefault((place, tensor), [0.0, 0.0, 0.0, 0.0])[index[kind]] += count
        extra_bits[(place, "read" if kind in ("read", "drain") else "write")] += stats.bits[(place, tensor, kind)]
    for tensor, *counts in program.pe_accesses:
        acc[("rf", tensor)] = list(counts)
    hop_bits = program.noc_bits
    accesses = tuple(TensorAccesses(level, tensor, *vals) for (level, tensor), vals in acc.items())

    items: list[EnergyItem] = []
    key = "vector.op" if problem.unit == "vector" else "mac"
    comp = energies[key]
    items.append(EnergyItem(key.split(".")[0], "op" if key == "vector.op" else "compute", float(problem.total_ops), comp.pj, comp.per, comp.source))
    outer = arch.levels[-1].name
    per_level: dict[tuple[str, str], float] = defaultdict(float)  # (component, action) -> bits
    own = {(place, tensor): vals for (place, tensor), vals in acc.items()}
    for (place, tensor, kind), count in stats.elements.items():
        own[(place, tensor)] = list(own[(place, tensor)])
        own[(place, tensor)][index[kind]] -= count
    for (place, tensor), (reads, writes, fills, drains) in own.items():
        b = bits[tensor]
        per_level[(place, "read")] += (reads + drains) * b
        per_level[(place, "write")] += (writes + fills) * b
    for key, nbits in extra_bits.items():
        per_level[key] += nbits
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

    stalls = sorted((k, v) for k, v in stats.cycles.items() if k.startswith("bandwidth_stall."))
    causes = [("compute", stats.cycles["compute"]), ("fill_drain", stats.cycles["fill_drain"]), *stalls,
              ("dependency_wait", stats.cycles["dependency_wait"])]
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
