"""Replay a schedule, prove it legal and recompute its DRAM traffic.

Independent of every scheduler: it trusts nothing in the schedule but the
recorded steps, and re-derives residency, DRAM contents and traffic itself.
"""

from __future__ import annotations

from ._errors import ScheduleError
from ._graph import TensorGraph
from ._schedule import Allocation, Schedule, TrafficReport
from ._scratchpad import Scratchpad


def check_schedule(graph: TensorGraph, scratchpad: Scratchpad, schedule: Schedule) -> TrafficReport:
    """Check every rule of the scratchpad model and return the traffic.

    The rules: each operator runs exactly once, after the producers of its
    inputs; during a step exactly the tensors kept from the previous step, the
    step's loads and the operator's outputs are allocated; every operand is
    resident; ranges are legal for the scratchpad (inside it, aligned, sized to
    the tensor, within a bank) and pairwise disjoint; a kept tensor does not
    move; only tensors held in DRAM are loaded; a produced tensor is dropped only
    when it is in DRAM or no longer needed; every output reaches DRAM.

    Parameters
    ----------
    graph, scratchpad, schedule:
        The problem and a candidate answer.

    Raises
    ------
    ScheduleError
        On the first violation, naming the step, operator and tensor.
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"check_schedule expects a Schedule, not {schedule!r}")
    seen: dict[str, int] = {}
    for index, step in enumerate(schedule.steps):
        if step.operator not in graph.operator:
            raise ScheduleError(f"step {index}: unknown operator {step.operator!r}")
        if step.operator in seen:
            raise ScheduleError(
                f"step {index}: operator {step.operator!r} already ran at step {seen[step.operator]}"
            )
        seen[step.operator] = index
    missing = [op.name for op in graph.operators if op.name not in seen]
    if missing:
        raise ScheduleError(f"operator {missing[0]!r} is never scheduled")

    in_dram = {t.name for t in graph.tensors if t.external}
    produced: set[str] = set()
    remaining_uses = {name: len(users) for name, users in graph.consumers.items()}
    resident: dict[str, Allocation] = {}
    loads: dict[str, int] = {}
    stores: dict[str, int] = {}

    for index, step in enumerate(schedule.steps):
        op = graph.operator[step.operator]
        where = f"step {index} ({step.operator!r})"
        for name in op.inputs:
            if name in graph.producer and name not in produced:
                raise ScheduleError(f"{where}: input {name!r} is read before {graph.producer[name]!r} writes it")
        allocs: dict[str, Allocation] = {}
        for alloc in step.allocations:
            if alloc.tensor not in graph.tensor:
                raise ScheduleError(f"{where}: allocation of unknown tensor {alloc.tensor!r}")
            if alloc.tensor in allocs:
                raise ScheduleError(f"{where}: tensor {alloc.tensor!r} is allocated twice")
            allocs[alloc.tensor] = alloc
        for name in step.loads:
            if name not in graph.tensor:
                raise ScheduleError(f"{where}: load of unknown tensor {name!r}")
            if name in resident:
                raise ScheduleError(f"{where}: tensor {name!r} is loaded but is already resident")
            if name not in in_dram:
                raise ScheduleError(f"{where}: tensor {name!r} is loaded but DRAM holds no copy of it")
            loads[name] = loads.get(name, 0) + graph.tensor[name].size
        for name in op.outputs:
            if name in resident:
                raise ScheduleError(f"{where}: output {name!r} is already resident before it is written")
        expected = set(resident) | set(step.loads) | set(op.outputs)
        for name in sorted(expected - set(allocs)):
            reason = "operand" if name in op.inputs else "output" if name in op.outputs else "tensor"
            raise ScheduleError(f"{where}: {reason} {name!r} is resident but has no allocation")
        for name in op.inputs:
            if name not in expected:
                raise ScheduleError(f"{where}: operand {name!r} is not resident (neither kept nor loaded)")
        for name in sorted(set(allocs) - expected):
            raise ScheduleError(f"{where}: tensor {name!r} is allocated but is neither kept, loaded nor written")
        _check_ranges(graph, scratchpad, where, allocs, resident)
        for name in op.inputs:
            remaining_uses[name] -= 1
        produced.update(op.outputs)
        for name in step.stores:
            if name not in allocs:
                raise ScheduleError(f"{where}: tensor {name!r} is stored but is not resident")
            in_dram.add(name)
            stores[name] = stores.get(name, 0) + graph.tensor[name].size
        for name in step.evictions:
            if name not in allocs:
                raise ScheduleError(f"{where}: tensor {name!r} is evicted but is not resident")
            if name not in in_dram and (remaining_uses[name] > 0 or graph.tensor[name].kind == "output"):
                raise ScheduleError(f"{where}: tensor {name!r} is evicted but DRAM holds no copy and it is still needed")
            del allocs[name]
        resident = allocs

    unstored = [t.name for t in graph.tensors if t.kind == "output" and t.name not in in_dram]
    if unstored:
        raise ScheduleError(f"output {unstored[0]!r} is never written to DRAM")
    moved = sum(loads.values()) + sum(stores.values())
    compulsory = graph.compulsory_traffic
    return TrafficReport(compulsory=compulsory, non_compulsory=moved - compulsory, loads=loads, stores=stores)


def _check_ranges(
    graph: TensorGraph,
    scratchpad: Scratchpad,
    where: str,
    allocs: dict[str, Allocation],
    previous: dict[str, Allocation],
) -> None:
    for name, alloc in allocs.items():
        size = graph.tensor[name].size
        if alloc.size != scratchpad.footprint(size):
            raise ScheduleError(
                f"{where}: tensor {name!r} gets {alloc.size} bytes [{alloc.start}, {alloc.end}) "
                f"but occupies {scratchpad.footprint(size)}"
            )
        problem = scratchpad.placement_error(alloc.start, size)
        if problem is not None:
            raise ScheduleError(f"{where}: tensor {name!r}: {problem}")
        old = previous.get(name)
        if old is not None and (old.start, old.end) != (alloc.start, alloc.end):
            raise ScheduleError(
                f"{where}: tensor {name!r} moves from [{old.start}, {old.end}) to "
                f"[{alloc.start}, {alloc.end}) without being reloaded"
            )
    ordered = sorted(allocs.values(), key=lambda a: (a.start, a.end))
    for low, high in zip(ordered, ordered[1:]):
        if high.start < low.end:
            raise ScheduleError(
                f"{where}: tensors {low.tensor!r} [{low.start}, {low.end}) and "
                f"{high.tensor!r} [{high.start}, {high.end}) overlap"
            )
