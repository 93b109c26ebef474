"""Lower one mapped Einsum into the tile steps the simulator's controller follows.

The mapping's loop nest (Timeloop semantics, see ``mapping.Mapping``) is
walked fold by fold: a *fold* is one pass of the PE array over the spatial
loops and the per-PE loops (``rf``).  Every shared level ``L`` keeps one tile
of each tensor it holds; the tile is indexed by the loops above ``L`` that
index the tensor, and when that index changes between two folds the old tile
leaves (an output's partial sums are drained to the next outer level holding
it) and the new one is filled from there (an output only when it was visited
before: partial sums come back).  Consecutive folds with no tile change form
one :class:`TileStep`, which the engine runs as one burst of cycles.

What the array exchanges with the innermost shared level during a fold is
counted by :class:`sim.cycle._perpe.PerPE` with the same latch and
register-file semantics as the analytical model (multicast of shared operands,
spatial reduction of partial sums), so the two agree access for access.

In a cascade the COSMA schedule keeps some tensors on chip between Einsums:
their DRAM traffic is served by the scratchpad instead (source or destination
``'spad'``), each byte of a tensor loaded from DRAM at most once, and an
output reaches DRAM only when the schedule stores it.  The scratchpad is the
outermost on-chip level: tiles of that level are views of the tensors the
schedule placed there (no copy, no extra space; the schedule's capacity is
checked by ``memory.check_schedule``), while inner levels and levels that do
not hold the tensor's role get real copies from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Collection

from ._perpe import PerPE
from ._systolic import STATIONARY, FoldTiming, fold_timing

__all__ = ["Move", "Alloc", "TileStep", "EinsumProgram", "lower", "DRAM", "SPAD", "ARRAY"]

#: Off-chip memory.
DRAM = "dram"
#: The cascade's on-chip scratchpad (COSMA), when a schedule keeps a tensor resident.
SPAD = "spad"
#: The PE array (source of outputs, sink of operand streams).
ARRAY = "array"


@dataclass(frozen=True)
class Move:
    """One tile transfer between two places (level names, ``'dram'`` or ``'spad'``).

    ``bits`` is the element width of the bytes moved when it is not the one
    the Einsum reads the tensor with (a whole-tensor spill stored at its
    producer's width); 0 means the Einsum's.
    """

    tensor: str
    src: str
    dst: str
    nbytes: int
    kind: str  # 'fill' or 'drain'
    bits: int = 0  # element width when it differs from the Einsum's view of the tensor (spills)


@dataclass(frozen=True)
class Alloc:
    """``nbytes`` of level ``level`` taken by a tile of ``tensor``."""

    level: str
    tensor: str
    nbytes: int


@dataclass(frozen=True)
class TileStep:
    """A run of folds between two tile changes.

    Attributes
    ----------
    index : int
        Position in the Einsum's program.
    label : str
        ``'<einsum> step <index> [rank=i, ...]'``: the loop indices above the array at its first fold.
    folds : int
        Folds in the step.
    allocs : tuple of Alloc
        Tiles taking space from this step on (allocated before its fills).
    fills : tuple of Move
        Transfers that must finish before the first fold, outer levels first per tensor.
    reads, writes : tuple of (level, tensor, bytes)
        What the array streams out of / into the shared levels over the whole step.
    drains : tuple of Move
        Transfers after the last fold (evicted partial sums and outputs), inner levels first.
    frees : tuple of Alloc
        Tiles released once the drains are done.
    """

    index: int
    label: str
    folds: int
    allocs: tuple[Alloc, ...]
    fills: tuple[Move, ...]
    reads: tuple[tuple[str, str, int], ...]
    writes: tuple[tuple[str, str, int], ...]
    drains: tuple[Move, ...]
    frees: tuple[Alloc, ...]


@dataclass(frozen=True)
class EinsumProgram:
    """Everything the engine needs to run one Einsum.

    Attributes
    ----------
    einsum : str
    unit : str
        ``'pe_array'`` or ``'vector'``.
    timing : FoldTiming
        Cycles of one fold (with ample bandwidth).
    steps : tuple of TileStep
    macs, ops : int
        Real multiply-accumulates and operations (padding excluded).
    rows_used, cols_used : int
        PEs the mapping occupies.
    pe_accesses : tuple of (tensor, reads, writes, fills, drains)
        Register-file accesses in elements, over all PEs and folds.
    noc_bits : float
        Bits delivered to (or collected from) PEs over the array network.
    inputs, outputs : tuple of str
        Tensors read and written.
    """

    einsum: str
    unit: str
    timing: FoldTiming
    steps: tuple[TileStep, ...]
    macs: int
    ops: int
    rows_used: int
    cols_used: int
    pe_accesses: tuple[tuple[str, float, float, float, float], ...]
    noc_bits: float
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def folds(self) -> int:
        """Folds over all steps."""
        return sum(s.folds for s in self.steps)

    @property
    def ideal_cycles(self) -> int:
        """Cycles of the PE array alone (no stalls): every step's folds, preloads overlapped where they can be."""
        last = len(self.steps) - 1
        return sum(self.timing.run(s.folds, s.index == 0, s.index == last) for s in self.steps)


def _stationary(problem: Any, mapping: Any, dataflow: str) -> str:
    if dataflow in STATIONARY:
        return STATIONARY[dataflow]
    busy = [r for r, f in enumerate(mapping.temporal[0]) if f > 1]
    for t in problem.tensors:
        rel = t.relevant
        if not any(rel[r] for r in busy):
            return t.role
    return "weight"


def _nbytes(t: Any, extents: tuple[int, ...]) -> int:
    return math.ceil(t.footprint(extents) * t.bits / 8)


class _Nest:
    """The temporal loops above the array, outermost first, with a mixed-radix counter."""

    def __init__(self, mapping: Any) -> None:
        self.loops: list[tuple[int, int, int]] = []  # (level index, rank index, factor)
        for li in range(len(mapping.levels) - 1, 0, -1):
            for rank in mapping.orders[li]:
                r = mapping.ranks.index(rank)
                f = mapping.temporal[li][r]
                if f > 1:
                    self.loops.append((li, r, f))
        self.folds = math.prod(f for _, _, f in self.loops)

    def boundary(self, level: int) -> int:
        """Number of loops above ``level`` (they sit at the outer end of the nest)."""
        return sum(1 for li, _, _ in self.loops if li > level)

    def walk(self):
        """Yield ``(fold, j, idx)``: ``j`` the outermost loop position that changed (0 at fold 0)."""
        n = len(self.loops)
        idx = [0] * n
        yield 0, 0, idx
        for fold in range(1, self.folds):
            p = n - 1
            while True:
                idx[p] += 1
                if idx[p] < self.loops[p][2]:
                    break
                idx[p] = 0
                p -= 1
            yield fold, p, idx


def lower(
    problem: Any,
    mapping: Any,
    *,
    dataflow: str = "weight_stationary",
    resident: Collection[str] = (),
    loaded: Collection[str] = (),
    stored: Collection[str] | None = None,
) -> EinsumProgram:
    """Turn a mapped Einsum into tile steps.

    Parameters
    ----------
    problem : mapping.Problem
        The Einsum flattened for the architecture (``mapping.build_problem``).
    mapping : mapping.Mapping
        A legal mapping of it (see ``mapping.check_mapping``; not checked here,
        so that the engine's own capacity and deadlock checks can be exercised).
    dataflow : str
        The array's dataflow (decides which phase of a fold is a preload or a drain).
    resident : collection of str
        Tensors a cascade schedule keeps in the scratchpad during this Einsum:
        their DRAM traffic goes to ``'spad'``.
    loaded : collection of str
        Tensors the schedule loads from DRAM for this Einsum: each tile comes
        from DRAM the first time, from the scratchpad after that.
    stored : collection of str, optional
        Outputs the schedule writes to DRAM (default: every output, the
        single-Einsum case); partial-sum spills of a scheduled Einsum and
        outputs not stored stay in the scratchpad.

    Returns
    -------
    EinsumProgram
    """
    storage = problem.storage
    nlev = len(storage)
    dram = nlev - 1
    tensors = problem.tensors
    nest = _Nest(mapping)
    loops = nest.loops
    cascade = stored is not None
    # In a cascade the schedule's scratchpad is the outermost on-chip level: a tensor there is
    # already in place, so that level's tiles take no extra space and copies to/from it vanish.
    in_place = dram - 1 if cascade and dram >= 2 else -1
    stored = set(stored) if stored is not None else {t.name for t in tensors if t.role == "output"}
    resident, loaded = set(resident), set(loaded)

    # Tile extents per shared level (index into storage), spatial factors included.
    def extents(level: int) -> tuple[int, ...]:
        ext = [math.prod(mapping.temporal[j][r] for j in range(level + 1)) for r in range(len(problem.ranks))]
        return tuple(e * s for e, s in zip(ext, mapping.spatial))

    # Tracked tiles: (tensor index, level index) for shared levels holding the tensor.
    tracked: list[tuple[int, int, int, int, list[int], list[bool]]] = []  # ti, L, parent, bytes, positions, change-by-j
    for ti, t in enumerate(tensors):
        rel = t.relevant
        for L in range(1, dram):
            if not storage[L].holds[ti]:
                continue
            parent = next(P for P in range(L + 1, nlev) if P == dram or storage[P].holds[ti])
            b = nest.boundary(L)
            positions = [p for p in range(b) if rel[loops[p][1]]]
            change = [any(j <= p for p in positions) for j in range(len(loops) + 1)]
            tracked.append((ti, L, parent, _nbytes(t, extents(L)), positions, change))
    # Innermost shared level holding each tensor (where the array streams it from/to).
    inner = {}
    for ti in range(len(tensors)):
        inner[ti] = next((L for L in range(1, dram) if storage[L].holds[ti]), dram)
    pe = PerPE(problem, mapping, loops)

    def place(level: int) -> str:
        return DRAM if level == dram else storage[level].name

    # Pass 1: the last fold visiting each output tile whose parent is DRAM (its final drain goes to DRAM).
    last_visit: dict[tuple[int, int, tuple[int, ...]], int] = {}
    if cascade:
        for fold, j, idx in nest.walk():
            for ti, L, parent, nb, positions, change in tracked:
                if parent == dram and tensors[ti].role == "output":
                    last_visit[(ti, L, tuple(idx[p] for p in positions))] = fold

    # Pass 2: build the steps.
    seen: dict[tuple[int, int], set] = {}
    fetched: dict[tuple[int, int], set] = {}
    current: dict[tuple[int, int], tuple[int, ...]] = {}
    steps: list[TileStep] = []
    pending: dict | None = None
    names = [problem.ranks[r] for _, r, _ in loops]

    def finish(drains: list[Move], frees: list[Alloc]) -> None:
        reads = tuple((place(inner[ti]), tensors[ti].name, math.ceil(n * tensors[ti].bits / 8))
                      for ti, n in pending["reads"].items() if n)
        writes = tuple((place(inner[ti]), tensors[ti].name, math.ceil(n * tensors[ti].bits / 8))
                       for ti, n in pending["writes"].items() if n)
        steps.append(
            TileStep(
                index=len(steps), label=pending["label"], folds=pending["folds"], allocs=tuple(pending["allocs"]),
                fills=tuple(pending["fills"]), reads=reads, writes=writes, drains=tuple(drains), frees=tuple(frees),
            )
        )

    def drain_target(ti: int, L: int, parent: int, key: tuple[int, ...], fold: int) -> str:
        if parent != dram:
            return place(parent)
        name = tensors[ti].name
        if not cascade:
            return DRAM
        final = last_visit.get((ti, L, key)) == fold
        return DRAM if final and name in stored else SPAD

    def fill_source(ti: int, L: int, parent: int, key: tuple[int, ...]) -> str:
        if parent != dram:
            return place(parent)
        name = tensors[ti].name
        if not cascade:
            return DRAM
        if name in resident:
            return SPAD
        if tensors[ti].role == "output":
            return SPAD  # partial sums spilled during this Einsum stay on chip
        got = fetched.setdefault((ti, L), set())
        first = key not in got
        got.add(key)
        return DRAM if first and name in loaded else SPAD

    def retire(ti: int, L: int, parent: int, nb: int, key: tuple[int, ...], fold: int, drains: list, frees: list) -> None:
        """A tile leaves level ``L`` after ``fold``: drain an output's partial sums, give the space back."""
        if tensors[ti].role == "output":
            dst = drain_target(ti, L, parent, key, fold)
            if not (L == in_place and dst == SPAD):
                drains.append(Move(tensors[ti].name, place(L), dst, nb, "drain"))
        if L != in_place:
            frees.append(Alloc(place(L), tensors[ti].name, nb))

    prev_fold = -1
    for fold, j, idx in nest.walk():
        changed = [tr for tr in tracked if fold == 0 or tr[5][j]]
        if changed or pending is None:
            drains, frees = [], []
            if pending is not None:
                for ti, L, parent, nb, positions, change in sorted(changed, key=lambda tr: tr[1]):
                    retire(ti, L, parent, nb, current[(ti, L)], prev_fold, drains, frees)
                finish(drains, frees)
            label = ", ".join(f"{n}={i}" for n, i in zip(names, idx))
            pending = {"label": f"{problem.einsum} step {len(steps)} [{label}]", "folds": 0, "allocs": [], "fills": [],
                       "reads": {}, "writes": {}}
            for ti, L, parent, nb, positions, change in sorted(changed, key=lambda tr: -tr[1]):
                key = tuple(idx[p] for p in positions)
                current[(ti, L)] = key
                if L != in_place:
                    pending["allocs"].append(Alloc(place(L), tensors[ti].name, nb))
                visited = seen.setdefault((ti, L), set())
                if tensors[ti].role != "output" or key in visited:
                    src = fill_source(ti, L, parent, key)
                    if not (L == in_place and src == SPAD):
                        pending["fills"].append(Move(tensors[ti].name, src, place(L), nb, "fill"))
                visited.add(key)
        pending["folds"] += 1
        pe.fold(fold, j, idx, pending["reads"], pending["writes"])
        prev_fold = fold
    drains, frees = [], []
    for ti, L, parent, nb, positions, change in sorted(tracked, key=lambda tr: tr[1]):
        retire(ti, L, parent, nb, current[(ti, L)], prev_fold, drains, frees)
    finish(drains, frees)

    steady = math.ceil(math.prod(mapping.temporal[0]) * problem.ops_per_point / problem.ops_per_cycle)
    stationary = _stationary(problem, mapping, dataflow)
    rf = storage[0]
    held = [t for ti, t in enumerate(tensors) if rf.holds[ti] and (t.role == stationary)]
    double = bool(held) and all(2 * t.footprint(tuple(mapping.temporal[0])) * t.bits / 8 <= rf.capacity for t in held)
    timing = fold_timing(
        problem.rows, problem.cols, steady, network=problem.network, stationary=stationary,
        hop_latency=problem.hop_latency, pipeline_depth=problem.pipeline_depth,
        double_buffered=double and problem.network == "systolic",
    )
    return EinsumProgram(
        einsum=problem.einsum, unit=problem.unit, timing=timing, steps=tuple(steps), macs=problem.macs,
        ops=problem.total_ops, rows_used=mapping.rows_used, cols_used=mapping.cols_used,
        pe_accesses=pe.accesses(), noc_bits=pe.noc_bits,
        inputs=tuple(t.name for t in tensors if t.role != "output"),
        outputs=tuple(t.name for t in tensors if t.role == "output"),
    )
