"""Greedy baselines: a topological order, LRU or Belady eviction, first-fit placement."""

from __future__ import annotations

import time
from typing import Sequence

from ._checker import check_schedule
from ._errors import InfeasibleScheduleError, ScheduleError
from ._fit import first_fit, require_fits
from ._graph import TensorGraph
from ._schedule import Allocation, Schedule, ScheduleResult, Step
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
    uses: dict[str, list[int]] = {t.name: [] for t in graph.tensors}
    for index, name in enumerate(order):
        for tensor in graph.operator[name].inputs:
            uses[tensor].append(index)

    resident: dict[str, Allocation] = {}
    in_dram = {t.name for t in graph.tensors if t.external}
    last_touch: dict[str, int] = {}
    records: list[dict[str, list]] = []

    def next_use(name: str, now: int) -> int:
        return next((u for u in uses[name] if u >= now), len(order) + 1)

    for index, op_name in enumerate(order):
        op = graph.operator[op_name]
        pinned = set(op.tensors)
        loads = [t for t in op.inputs if t not in resident]
        needed = sorted(loads + list(op.outputs), key=lambda t: (-graph.tensor[t].size, t))
        for name in needed:
            size = graph.tensor[name].size
            while (start := first_fit(scratchpad, resident.values(), size)) is None:
                victims = [v for v in resident if v not in pinned]
                if not victims:
                    raise InfeasibleScheduleError(
                        f"step {index} ({op_name!r}): no contiguous room for tensor {name!r} "
                        f"({size} bytes) even with every other tensor evicted"
                    )
                if policy == "lru":
                    victim = min(victims, key=lambda v: (last_touch[v], v))
                else:
                    victim = min(victims, key=lambda v: (-next_use(v, index), v not in in_dram, v))
                previous = records[-1]
                if victim not in in_dram:
                    previous["stores"].append(victim)
                    in_dram.add(victim)
                previous["evictions"].append(victim)
                del resident[victim]
            resident[name] = Allocation(name, start, start + scratchpad.footprint(size))
        for name in op.tensors:
            last_touch[name] = index
        stores = [t for t in op.outputs if graph.tensor[t].kind == "output"]
        in_dram.update(stores)
        record = {
            "operator": op_name,
            "allocations": sorted(resident.values(), key=lambda a: a.start),
            "loads": loads,
            "stores": stores,
            "evictions": [],
        }
        records.append(record)
        for name in list(resident):
            if next_use(name, index + 1) > len(order):
                record["evictions"].append(name)
                del resident[name]

    steps = tuple(
        Step(r["operator"], tuple(r["allocations"]), tuple(r["loads"]), tuple(r["stores"]), tuple(r["evictions"]))
        for r in records
    )
    schedule = Schedule(steps)
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


def _check_order(graph: TensorGraph, order: Sequence[str]) -> None:
    if sorted(order) != sorted(op.name for op in graph.operators):
        raise ValueError(f"operator order must list every operator exactly once, not {list(order)!r}")
    done: set[str] = set()
    for name in order:
        for pred in graph.predecessors[name]:
            if pred not in done:
                raise ScheduleError(f"operator order runs {name!r} before its producer {pred!r}")
        done.add(name)
