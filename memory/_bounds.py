"""A lower bound on the DRAM traffic of every legal schedule, from forced evictions."""

from __future__ import annotations

from ._graph import TensorGraph
from ._scratchpad import Scratchpad


def traffic_lower_bound(graph: TensorGraph, scratchpad: Scratchpad) -> int:
    """Bytes any legal schedule of ``graph`` on ``scratchpad`` moves, at least.

    The compulsory traffic, plus, for each tensor that some operator forces
    out: if an operator runs, in every dependence-respecting order, after a
    tensor is available (its producer, or a first reader for an input) and
    before a later reader, and its working set plus the tensor exceed the
    capacity, the tensor leaves the scratchpad while still needed.  It then
    costs one reload, and a produced intermediate also one write.  Where no
    single tensor is forced out but everything live across one operator does
    not fit with it, the cheapest fractional choice of tensors to move out
    bounds the traffic instead (the larger of the two figures is returned).

    Parameters
    ----------
    graph, scratchpad:
        The problem.
    """
    names = [op.name for op in graph.operators]
    bit = {name: 1 << i for i, name in enumerate(names)}
    ancestors: dict[str, int] = {}
    for name in graph.topological_order:
        mask = 0
        for pred in graph.predecessors[name]:
            mask |= ancestors[pred] | bit[pred]
        ancestors[name] = mask
    descendants = {name: 0 for name in names}
    for name in names:
        mask = ancestors[name]
        for other in names:
            if mask & bit[other]:
                descendants[other] |= bit[name]
    footprint = {t.name: scratchpad.footprint(t.size) for t in graph.tensors}
    need = {op.name: sum(footprint[t] for t in op.tensors) for op in graph.operators}
    extra = 0
    across: dict[str, list[str]] = {name: [] for name in names}  # tensors live across each operator
    for tensor in graph.tensors:
        readers = graph.consumers[tensor.name]
        if not readers or (tensor.external and len(readers) < 2):
            continue
        starts = [graph.producer[tensor.name]] if tensor.name in graph.producer else list(readers)
        after = 0  # operators that surely run after the tensor is available
        for start in starts:
            after |= descendants[start]
        before = 0  # operators that surely run before some later reader
        for reader in readers:
            before |= ancestors[reader]
        if not tensor.external:
            between = after & before
        else:  # after one reader and before another
            between = 0
            for first in readers:
                for last in readers:
                    if first != last:
                        between |= descendants[first] & ancestors[last]
        forced = False
        for name in names:
            if between & bit[name] and name not in readers:
                across[name].append(tensor.name)
                forced = forced or need[name] + footprint[tensor.name] > scratchpad.capacity
        if forced:
            extra += tensor.size * (2 if tensor.kind == "intermediate" else 1)
    # one operator with too much live across it: the cheapest (fractional) set of tensors to move out
    cover = 0.0
    for name in names:
        excess = need[name] + sum(footprint[t] for t in across[name]) - scratchpad.capacity
        if excess <= 0:
            continue
        cost = 0.0
        for t in sorted(across[name], key=lambda t: (2 if graph.tensor[t].kind == "intermediate" else 1)):
            per_byte = (2 if graph.tensor[t].kind == "intermediate" else 1) * graph.tensor[t].size / footprint[t]
            take = min(excess, footprint[t])
            cost += take * per_byte
            excess -= take
            if excess <= 0:
                break
        cover = max(cover, cost)
    return graph.compulsory_traffic + max(extra, int(-(-cover // 1)))
