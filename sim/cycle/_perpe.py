"""Per-PE traffic of a fold: what the PEs exchange with the innermost shared level, and their register files."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["PerPE"]


class PerPE:
    """What the PEs exchange with the innermost shared level, fold by fold (Timeloop semantics).

    Each PE keeps its current operands and partial sum in latches below the
    register file.  A latch (or register-file) tile is refetched when a loop
    above it that indexes the tensor advances; the shared parent serves the
    union of all PEs' tiles once per visit (multicast, spatial reduction); an
    output tile is written back on every visit and re-read on every visit but
    the first of each distinct tile.  Within a fold the register-file loops
    repeat identically, so the latch visits per fold are the product of the
    register-file factors down to the innermost one indexing the tensor.
    """

    def __init__(self, problem: Any, mapping: Any, loops: list[tuple[int, int, int]]) -> None:
        self.tensors = problem.tensors
        rf_ext = tuple(mapping.temporal[0])
        spatial = tuple(mapping.spatial)
        self.pes = math.prod(spatial)
        rf_loops = [(problem.ranks.index(r), mapping.temporal[0][problem.ranks.index(r)]) for r in mapping.orders[0]]
        rf_loops = [(r, f) for r, f in rf_loops if f > 1]
        self.info = []
        for ti, t in enumerate(self.tensors):
            rel = t.relevant
            positions = [p for p in range(len(loops)) if rel[loops[p][1]]]
            change = [any(j <= p for p in positions) for j in range(len(loops) + 1)]
            last = max((i for i, (r, f) in enumerate(rf_loops) if rel[r]), default=-1)
            vin = math.prod(f for _, f in rf_loops[: last + 1]) if last >= 0 else 1
            distinct = math.prod(f for r, f in rf_loops if rel[r])
            self.info.append({
                "positions": positions, "change": change, "vin": vin, "distinct": distinct,
                "rf": bool(problem.storage[0].holds[ti]), "output": t.role == "output",
                "u_latch": t.footprint(tuple(spatial)), "u_rf": t.footprint(tuple(a * b for a, b in zip(rf_ext, spatial))),
                "tile_rf": t.footprint(rf_ext), "seen": set(), "key": None,
            })
        self.rf = {t.name: [0.0, 0.0, 0.0, 0.0] for t in self.tensors}
        self.noc_bits = 0.0

    def fold(self, fold: int, j: int, idx: list[int], reads: dict, writes: dict) -> None:
        pes = self.pes
        for ti, (t, d) in enumerate(zip(self.tensors, self.info)):
            changed = fold == 0 or d["change"][j]
            new = False
            if changed:
                key = tuple(idx[p] for p in d["positions"])
                new = key not in d["seen"]
                d["seen"].add(key)
            latch = d["vin"] if d["vin"] > 1 else int(changed)
            rf = self.rf[t.name]
            if d["rf"]:
                visits = int(changed)  # the register-file tile, fed by the shared parent
                refetch = visits if (d["output"] and not new) else 0
                tile = d["tile_rf"] * pes
                if d["output"]:
                    writes[ti] = writes.get(ti, 0) + visits * d["u_rf"]
                    reads[ti] = reads.get(ti, 0) + refetch * d["u_rf"]
                    rf[3] += visits * tile
                    rf[2] += refetch * tile
                    self.noc_bits += (visits + refetch) * tile * t.bits
                    latch_new = d["distinct"] if new else 0
                    rf[1] += latch * pes
                    rf[0] += (latch - latch_new) * pes if latch else 0
                else:
                    reads[ti] = reads.get(ti, 0) + visits * d["u_rf"]
                    rf[2] += visits * tile
                    self.noc_bits += visits * tile * t.bits
                    rf[0] += latch * pes
            elif d["output"]:
                latch_new = (d["distinct"] if new else 0) if latch else 0
                writes[ti] = writes.get(ti, 0) + latch * d["u_latch"]
                reads[ti] = reads.get(ti, 0) + (latch - latch_new) * d["u_latch"]
                self.noc_bits += (2 * latch - latch_new) * pes * t.bits
            else:
                reads[ti] = reads.get(ti, 0) + latch * d["u_latch"]
                self.noc_bits += latch * pes * t.bits

    def accesses(self) -> tuple[tuple[str, float, float, float, float], ...]:
        """Register-file (reads, writes, fills, drains) per tensor it holds, in elements."""
        return tuple((name, *map(float, v)) for name, v in self.rf.items() if any(v))
