"""Greedy baselines: a topological order, LRU or Belady eviction, first-fit placement."""

from __future__ import annotations

import time
from typing import Iterable, Sequence

from ._checker import check_schedule
from ._errors import InfeasibleScheduleError, ScheduleError
from ._fit import first_fit, require_fits
from ._graph import TensorGraph
from ._schedule import Allocation, PartialSchedule, Schedule, ScheduleResult, Step
from ._scratchpad import Scratchpad

POLICIES = ("lru", "belady")


def schedule_greedy(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    policy: str = "belady",
    order: Sequence[str] | None = None,
) -> ScheduleResult:
    """Schedule with a fixed operator order, demand loading and a replacement policy.

    Each step loads its missing operands and places them and its outputs first-fit
    (largest first).  When no hole is large enough the policy picks a victim among
    the resident tensors the operator does not use (``"lru"``: least recently
    used; ``"belady"``: next used furthest in the future), spilling it to DRAM
    first when it is a produced tensor still needed and not yet there; victims are
    evicted until a contiguous hole appears.  Outputs are written to DRAM when
    produced and tensors no longer needed are dropped after each step.

    Parameters
    ----------
    graph, scratchpad:
        The problem.
    policy:
        ``"lru"`` or ``"belady"``.
    order:
        Operator names in execution order; default :attr:`TensorGraph.topological_order`.

    Raises
    ------
    ValueError
        If ``policy`` is unknown or ``order`` is not a dependence-respecting
        permutation of the operators.
    InfeasibleScheduleError
        If a tensor or an operator's working set cannot fit, or placement rules
        (banks) leave no room even with everything else evicted.
    """
    if policy not in POLICIES:
        raise ValueError(f"greedy policy must be one of {POLICIES}, not {policy!r}")
    began = time.perf_counter()
    require_fits(graph, scratchpad)
    order = tuple(graph.topological_order if order is None else order)
    _check_order(graph, order)
    plan = greedy_plan(graph, scratchpad, order, policy)
    schedule = Schedule(plan.steps)
    traffic = check_schedule(graph, scratchpad, schedule)
    method = f"greedy-{policy}"
    return ScheduleResult(
        schedule=schedule,
        traffic=traffic,
        method=method,
        status="heuristic",
        source=method,
        seconds=time.perf_counter() - began,
    )


def greedy_plan(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    order: Sequence[str],
    policy: str = "belady",
    start: int = 0,
    stop: int | None = None,
    resident: Iterable[Allocation] = (),
    in_dram: Iterable[str] | None = None,
) -> PartialSchedule:
    """Run the greedy policy over ``order[start:stop]`` from a given scratchpad state.

    Next uses (for Belady, and for dropping dead tensors) look at the whole
    ``order``, so a run can continue a schedule made by another method.

    Parameters
    ----------
    graph, scratchpad:
        The problem.
    order:
        The full operator order (already checked by the caller).
    policy:
        ``"lru"`` or ``"belady"``.
    start, stop:
        The slice of ``order`` to schedule.
    resident:
        Allocations resident before ``order[start]`` runs.
    in_dram:
        Tensors DRAM holds before ``order[start]`` runs; default the inputs and weights.

    Raises
    ------
    ValueError
        If ``policy`` is unknown.
    InfeasibleScheduleError
        If placement rules leave no room even with everything else evicted.
    """
    if policy not in POLICIES:
        raise ValueError(f"greedy policy must be one of {POLICIES}, not {policy!r}")
    stop = len(order) if stop is None else stop
    uses: dict[str, list[int]] = {t.name: [] for t in graph.tensors}
    for index, name in enumerate(order):
        for tensor in graph.operator[name].inputs:
            uses[tensor].append(index)
    current = {a.tensor: a for a in resident}
    dram = {t.name for t in graph.tensors if t.external} if in_dram is None else set(in_dram)
    last_touch = {name: start - 1 for name in current}
    before: dict[str, list] = {"stores": [], "evictions": []}
    records: list[dict[str, list]] = []

    def next_use(name: str, now: int) -> int:
        return next((u for u in uses[name] if u >= now), len(order) + 1)

    def evict(victim: str, index: int) -> None:
        previous = records[-1] if records else before
        if victim not in dram and next_use(victim, index) <= len(order):
            previous["stores"].append(victim)
            dram.add(victim)
        previous["evictions"].append(victim)
        del current[victim]

    def choose_victim(victims: list[str], index: int) -> str:
        if policy == "lru":
            return min(victims, key=lambda v: (last_touch[v], v))
        return min(victims, key=lambda v: (-next_use(v, index), v not in dram, v))

    def place(name: str, pinned: set[str], index: int) -> bool:
        size = graph.tensor[name].size
        footprint = scratchpad.footprint(size)
        while (address := first_fit(scratchpad, current.values(), size)) is None:
            victims = [v for v in current if v not in pinned]
            if not victims:
                return False
            evict(choose_victim(victims, index), index)
        current[name] = Allocation(name, address, address + footprint)
        return True

    for index in range(start, stop):
        op_name = order[index]
        op = graph.operator[op_name]
        pinned = set(op.tensors)
        loads = [t for t in op.inputs if t not in current]
        needed = sorted(loads + list(op.outputs), key=lambda t: (-graph.tensor[t].size, t))
        placed_now: list[str] = []
        for name in needed:
            if not place(name, pinned, index):
                break
            placed_now.append(name)
        if len(placed_now) < len(needed):
            # Fragmentation the resident operands block: evict them too and place everything afresh.
            for name in placed_now:
                del current[name]
            for name in [t for t in op.inputs if t in current]:
                evict(name, index)
            loads = list(op.inputs)
            needed = sorted(op.tensors, key=lambda t: (-graph.tensor[t].size, t))
            for name in needed:
                if not place(name, pinned, index):
                    raise InfeasibleScheduleError(
                        f"step {index} ({op_name!r}): no contiguous room for tensor {name!r} "
                        f"({graph.tensor[name].size} bytes) even with every other tensor evicted"
                    )
        for name in op.tensors:
            last_touch[name] = index
        stores = [t for t in op.outputs if graph.tensor[t].kind == "output"]
        dram.update(stores)
        record = {
            "operator": op_name,
            "allocations": sorted(current.values(), key=lambda a: a.start),
            "loads": loads,
            "stores": stores,
            "evictions": [],
        }
        records.append(record)
        for name in list(current):
            if next_use(name, index + 1) > len(order):
                record["evictions"].append(name)
                del current[name]

    steps = tuple(
        Step(r["operator"], tuple(r["allocations"]), tuple(r["loads"]), tuple(r["stores"]), tuple(r["evictions"]))
        for r in records
    )
    return PartialSchedule(steps, tuple(before["stores"]), tuple(before["evictions"]))


def _check_order(graph: TensorGraph, order: Sequence[str]) -> None:
    if sorted(order) != sorted(op.name for op in graph.operators):
        raise ValueError(f"operator order must list every operator exactly once, not {list(order)!r}")
    done: set[str] = set()
    for name in order:
        for pred in graph.predecessors[name]:
            if pred not in done:
                raise ScheduleError(f"operator order runs {name!r} before its producer {pred!r}")
        done.add(name)
