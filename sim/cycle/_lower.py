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
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from mapping import Mapping, Problem

from ._perpe import PerPE
from ._program import DRAM, SPAD, Alloc, EinsumProgram, Move, TileStep
from ._systolic import STATIONARY, fold_timing

__all__ = ["lower", "cycle_floor"]


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


@dataclass(frozen=True)
class _Loop:
    """One temporal loop above the array: its level (index into the storage), rank (index) and trip count."""

    level: int
    rank: int
    factor: int


class _Nest:
    """The temporal loops above the array, outermost first, with a mixed-radix counter."""

    def __init__(self, mapping: Mapping) -> None:
        self.loops: list[_Loop] = []
        for li in range(len(mapping.levels) - 1, 0, -1):
            for rank in mapping.orders[li]:
                r = mapping.ranks.index(rank)
                f = mapping.temporal[li][r]
                if f > 1:
                    self.loops.append(_Loop(li, r, f))
        self.folds = math.prod(loop.factor for loop in self.loops)

    def boundary(self, level: int) -> int:
        """Number of loops above ``level`` (they sit at the outer end of the nest)."""
        return sum(1 for loop in self.loops if loop.level > level)

    def walk(self) -> Iterator[tuple[int, int, list[int]]]:
        """Yield ``(fold, j, idx)``: ``j`` the outermost loop position that changed (0 at fold 0)."""
        n = len(self.loops)
        idx = [0] * n
        yield 0, 0, idx
        for fold in range(1, self.folds):
            p = n - 1
            while True:
                idx[p] += 1
                if idx[p] < self.loops[p].factor:
                    break
                idx[p] = 0
                p -= 1
            yield fold, p, idx


@dataclass(frozen=True)
class _Tile:
    """The tile of one tensor kept at one shared level.

    ``parent`` is the next outer level holding the tensor (DRAM at the top), ``nbytes`` the tile's size,
    ``positions`` the loops above the level that index the tensor (the tile's key), and ``changes[j]`` whether
    a change of loop position ``j`` moves to a new tile.
    """

    tensor: int
    level: int
    parent: int
    nbytes: int
    positions: tuple[int, ...]
    changes: tuple[bool, ...]

    def key(self, idx: list[int]) -> tuple[int, ...]:
        return tuple(idx[p] for p in self.positions)


@dataclass
class _Step:
    """A tile step being built: the folds that share one set of tiles, and what enters and leaves around them."""

    label: str
    folds: int = 0
    allocs: list[Alloc] = field(default_factory=list)
    fills: list[Move] = field(default_factory=list)
    reads: dict[int, int] = field(default_factory=dict)
    writes: dict[int, int] = field(default_factory=dict)


class _Lowering:
    """The state of one :func:`lower` call: where each tile comes from and goes to, and the steps so far."""

    def __init__(self, problem: Problem, mapping: Mapping, resident: Collection[str], loaded: Collection[str],
                 stored: Collection[str] | None) -> None:
        self.problem, self.mapping = problem, mapping
        self.storage, self.tensors = problem.storage, problem.tensors
        self.dram = len(self.storage) - 1
        self.nest = _Nest(mapping)
        self.cascade = stored is not None
        # In a cascade the schedule's scratchpad is the outermost on-chip level: a tensor there is
        # already in place, so that level's tiles take no extra space and copies to/from it vanish.
        self.in_place = self.dram - 1 if self.cascade and self.dram >= 2 else -1
        self.stored = set(stored) if stored is not None else {t.name for t in self.tensors if t.role == "output"}
        self.resident, self.loaded = set(resident), set(loaded)
        self.tiles = self._tiles()
        # Innermost shared level holding each tensor (where the array streams it from/to).
        self.inner = [next((L for L in range(1, self.dram) if self.storage[L].holds[ti]), self.dram)
                      for ti in range(len(self.tensors))]
        self.last_visit = self._last_visits()
        self.seen: dict[tuple[int, int], set[tuple[int, ...]]] = {}
        self.fetched: dict[tuple[int, int], set[tuple[int, ...]]] = {}
        self.current: dict[tuple[int, int], tuple[int, ...]] = {}
        self.steps: list[TileStep] = []

    def _extents(self, level: int) -> tuple[int, ...]:
        """Tile extents at shared ``level``, spatial factors included."""
        m = self.mapping
        ext = [math.prod(m.temporal[j][r] for j in range(level + 1)) for r in range(len(self.problem.ranks))]
        return tuple(e * s for e, s in zip(ext, m.spatial))

    def _tiles(self) -> list[_Tile]:
        tiles, loops = [], self.nest.loops
        for ti, t in enumerate(self.tensors):
            for L in range(1, self.dram):
                if not self.storage[L].holds[ti]:
                    continue
                parent = next(P for P in range(L + 1, len(self.storage)) if P == self.dram or self.storage[P].holds[ti])
                positions = tuple(p for p in range(self.nest.boundary(L)) if t.relevant[loops[p].rank])
                changes = tuple(any(j <= p for p in positions) for j in range(len(loops) + 1))
                tiles.append(_Tile(ti, L, parent, _nbytes(t, self._extents(L)), positions, changes))
        return tiles

    def _last_visits(self) -> dict[tuple[int, int, tuple[int, ...]], int]:
        """The last fold visiting each output tile whose parent is DRAM (its final drain goes to DRAM)."""
        last: dict[tuple[int, int, tuple[int, ...]], int] = {}
        if self.cascade:
            outputs = [t for t in self.tiles if t.parent == self.dram and self.tensors[t.tensor].role == "output"]
            for fold, _, idx in self.nest.walk():
                for t in outputs:
                    last[(t.tensor, t.level, t.key(idx))] = fold
        return last

    def place(self, level: int) -> str:
        return DRAM if level == self.dram else self.storage[level].name

    def drain_target(self, tile: _Tile, key: tuple[int, ...], fold: int) -> str:
        if tile.parent != self.dram:
            return self.place(tile.parent)
        if not self.cascade:
            return DRAM
        final = self.last_visit.get((tile.tensor, tile.level, key)) == fold
        return DRAM if final and self.tensors[tile.tensor].name in self.stored else SPAD

    def fill_source(self, tile: _Tile, key: tuple[int, ...]) -> str:
        if tile.parent != self.dram:
            return self.place(tile.parent)
        t = self.tensors[tile.tensor]
        if not self.cascade:
            return DRAM
        if t.name in self.resident:
            return SPAD
        if t.role == "output":
            return SPAD  # partial sums spilled during this Einsum stay on chip
        got = self.fetched.setdefault((tile.tensor, tile.level), set())
        first = key not in got
        got.add(key)
        return DRAM if first and t.name in self.loaded else SPAD

    def retire(self, tile: _Tile, fold: int, drains: list[Move], frees: list[Alloc]) -> None:
        """A tile leaves its level after ``fold``: drain an output's partial sums, give the space back."""
        t = self.tensors[tile.tensor]
        if t.role == "output":
            dst = self.drain_target(tile, self.current[(tile.tensor, tile.level)], fold)
            if not (tile.level == self.in_place and dst == SPAD):
                drains.append(Move(t.name, self.place(tile.level), dst, tile.nbytes, "drain"))
        if tile.level != self.in_place:
            frees.append(Alloc(self.place(tile.level), t.name, tile.nbytes))

    def enter(self, tile: _Tile, idx: list[int], step: _Step) -> None:
        """A new tile arrives at its level: its space, and a fill unless it is an output visited for the first time."""
        t = self.tensors[tile.tensor]
        key = tile.key(idx)
        self.current[(tile.tensor, tile.level)] = key
        if tile.level != self.in_place:
            step.allocs.append(Alloc(self.place(tile.level), t.name, tile.nbytes))
        visited = self.seen.setdefault((tile.tensor, tile.level), set())
        if t.role != "output" or key in visited:
            src = self.fill_source(tile, key)
            if not (tile.level == self.in_place and src == SPAD):
                step.fills.append(Move(t.name, src, self.place(tile.level), tile.nbytes, "fill"))
        visited.add(key)

    def finish(self, step: _Step, drains: list[Move], frees: list[Alloc]) -> None:
        def traffic(counts: dict[int, int]) -> tuple[tuple[str, str, int], ...]:
            return tuple((self.place(self.inner[ti]), self.tensors[ti].name, math.ceil(n * self.tensors[ti].bits / 8))
                         for ti, n in counts.items() if n)

        self.steps.append(TileStep(
            index=len(self.steps), label=step.label, folds=step.folds, allocs=tuple(step.allocs), fills=tuple(step.fills),
            reads=traffic(step.reads), writes=traffic(step.writes), drains=tuple(drains), frees=tuple(frees),
        ))

    def run(self, pe: PerPE) -> list[TileStep]:
        """Walk the folds; consecutive folds with no tile change form one step."""
        names = [self.problem.ranks[loop.rank] for loop in self.nest.loops]
        outer_first = sorted(self.tiles, key=lambda t: -t.level)
        inner_first = sorted(self.tiles, key=lambda t: t.level)
        step: _Step | None = None
        prev_fold = -1
        for fold, j, idx in self.nest.walk():
            changed = fold == 0 or any(t.changes[j] for t in self.tiles)
            if changed or step is None:
                if step is not None:
                    drains, frees = [], []
                    for tile in (t for t in inner_first if t.changes[j]):
                        self.retire(tile, prev_fold, drains, frees)
                    self.finish(step, drains, frees)
                label = ", ".join(f"{n}={i}" for n, i in zip(names, idx))
                step = _Step(f"{self.problem.einsum} step {len(self.steps)} [{label}]")
                for tile in (t for t in outer_first if fold == 0 or t.changes[j]):
                    self.enter(tile, idx, step)
            step.folds += 1
            pe.fold(fold, j, idx, step.reads, step.writes)
            prev_fold = fold
        drains, frees = [], []
        for tile in inner_first:
            self.retire(tile, prev_fold, drains, frees)
        self.finish(step, drains, frees)
        return self.steps


def cycle_floor(problem: Problem, mapping: Mapping) -> int:
    """Cycles the mapped Einsum takes at the least: every fold's steady-state compute, nothing else.

    Known before lowering (which holds every tile step in memory), so a watchdog can refuse a run that could
    never finish inside it without building the program.
    """
    steady = math.ceil(math.prod(mapping.temporal[0]) * problem.ops_per_point / problem.ops_per_cycle)
    return _Nest(mapping).folds * steady


def lower(
    problem: Problem,
    mapping: Mapping,
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
    lowering = _Lowering(problem, mapping, resident, loaded, stored)
    pe = PerPE(problem, mapping, [(loop.level, loop.rank, loop.factor) for loop in lowering.nest.loops])
    steps = lowering.run(pe)
    tensors, storage = problem.tensors, problem.storage

    steady = math.ceil(math.prod(mapping.temporal[0]) * problem.ops_per_point / problem.ops_per_cycle)
    stationary = _stationary(problem, mapping, dataflow)
    rf = storage[0]
    held = [t for ti, t in enumerate(tensors) if rf.holds[ti] and (t.role == stationary)]
    double = bool(held) and all(2 * t.footprint(tuple(mapping.temporal[0])) * t.bits / 8 <= rf.capacity for t in held)
    timing = fold_timing(
        problem.rows, problem.cols, steady, network=problem.network, stationary=stationary,
        hop_latency=problem.hop_latency, pipeline_depth=problem.pipeline_depth,
        double_buffered=double and problem.network == "systolic", pipelined=problem.fold_pipelining,
    )
    return EinsumProgram(
        einsum=problem.einsum, unit=problem.unit, timing=timing, steps=tuple(steps), macs=problem.macs,
        ops=problem.total_ops, rows_used=mapping.rows_used, cols_used=mapping.cols_used,
        pe_accesses=pe.accesses(), noc_bits=pe.noc_bits,
        inputs=tuple(t.name for t in tensors if t.role != "output"),
        outputs=tuple(t.name for t in tensors if t.role == "output"),
    )
