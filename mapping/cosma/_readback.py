"""Between plans and the ILP: loading a warm start, reading a solution back as steps."""

from __future__ import annotations

from memory import Allocation, PartialSchedule, Scratchpad, Step, TensorGraph

from ._model import WindowModel
from ._window import Quantum, Window


def _slot_plan(model: WindowModel, window: Window, plan: PartialSchedule) -> dict[tuple[str, int], int] | None:
    """Slot of each (tensor, step) in ``plan``: a new slot for each new address; None if too many."""
    carried = {a.tensor: a.start for a in window.resident}
    addresses: dict[str, list[int]] = {v: [] for v in model.tensors}
    for v, start in carried.items():
        if plan.steps and v in plan.steps[0].resident and plan.steps[0].resident[v].start == start:
            addresses[v].append(start)
    slot: dict[tuple[str, int], int] = {}
    for t, step in enumerate(plan.steps):
        for alloc in step.allocations:
            seen = addresses.setdefault(alloc.tensor, [])
            if alloc.start not in seen:
                seen.append(alloc.start)
            k = seen.index(alloc.start)
            if k >= model.slots.get(alloc.tensor, 0):
                return None
            slot[alloc.tensor, t] = k
    return slot


def set_warm_start(model: WindowModel, graph: TensorGraph, window: Window, plan: PartialSchedule, quantum: Quantum) -> bool:
    """Load a plan as the solver's starting point; False if it does not fit the model."""
    slot = _slot_plan(model, window, plan)
    if slot is None or len(plan.steps) != model.steps:
        return False
    steps = plan.steps
    values = {}
    for (o, t), var in model.x.items():
        values[var] = 1.0 if steps[t].operator == o else 0.0
    for (v, t), k in slot.items():
        if (v, k, t) not in model.r:
            return False
    for (v, k, t), var in model.r.items():
        values[var] = 1.0 if slot.get((v, t)) == k else 0.0
    stored = set(plan.before_stores) | {n for s in steps for n in s.stores}
    for v, var in model.w.items():
        values[var] = 1.0 if v in stored else 0.0
    for (v, t), var in model.loads.items():
        values[var] = 1.0 if v in steps[t].loads else 0.0
    address: dict[tuple[str, int], int] = {}
    for (v, t), k in slot.items():
        address[v, k] = steps[t].resident[v].start
        if address[v, k] % quantum.unit:
            return False
    for key, var in model.a.items():
        values[var] = address.get(key, 0) // quantum.unit
        if key in model.bank:
            values[model.bank[key]] = address.get(key, 0) // (quantum.bank_units * quantum.unit)
    resident = [{(a.tensor, slot[a.tensor, t]) for a in s.allocations} for t, s in enumerate(steps)]
    for (p, q), (below, above) in model.order_vars.items():
        both = any(p in res and q in res for res in resident)
        values[below] = 1.0 if both and address[p] < address[q] else 0.0
        values[above] = 1.0 if both and address[p] > address[q] else 0.0
    for var, value in values.items():
        var.setInitialValue(value)
    return True


def read_plan(
    model: WindowModel, graph: TensorGraph, scratchpad: Scratchpad, window: Window, quantum: Quantum
) -> PartialSchedule | None:
    """Turn solver values into a plan with exact integer addresses; None if they do not make one.

    Addresses are recomputed from the solver's relative placement (each slot
    as low as the slots below it allow), which keeps every disjointness the
    solver found and removes round-off.
    """
    T = model.steps
    order: list[str] = []
    for t in range(T):
        ran = [o for (o, s), var in model.x.items() if s == t and (var.varValue or 0) > 0.5]
        if len(ran) != 1:
            return None
        order.append(ran[0])
    slot: list[dict[str, int]] = [{} for _ in range(T)]
    for (v, k, t), var in model.r.items():
        if (var.varValue or 0) > 0.5:
            slot[t][v] = k
    carried = {a.tensor: a for a in window.resident}
    value = {key: (var.varValue or 0.0) for key, var in model.a.items()}
    used = sorted({(v, k) for res in slot for v, k in res.items()}, key=lambda key: (value[key], key))
    live = [{(v, k) for v, k in res.items()} for res in slot]
    bu = quantum.bank_units
    placed: dict[tuple[str, int], int] = {}
    for key in used:
        v, k = key
        home = carried[v].start // quantum.unit if v in carried and slot[0].get(v) == 0 and k == 0 else None
        low = home if home is not None else 0
        if home is None and scratchpad.banks > 1:
            low = int(value[key] + 1e-6) // bu * bu
        for other, start in placed.items():
            if other[0] != v and any(key in res and other in res for res in live):
                low = max(low, start + model.units[other[0]])
        if home is not None and low != home:
            return None
        placed[key] = low
    wrote = {v for v, var in model.w.items() if (var.varValue or 0) > 0.5}
    steps = []
    for t, op_name in enumerate(order):
        op = graph.operator[op_name]
        before = slot[t - 1] if t else {v: 0 for v in carried}
        allocs = []
        for v, k in sorted(slot[t].items(), key=lambda item: placed[item]):
            start = placed[v, k] * quantum.unit
            if scratchpad.placement_error(start, graph.tensor[v].size) is not None:
                return None
            allocs.append(Allocation(v, start, start + scratchpad.footprint(graph.tensor[v].size)))
        loads = tuple(v for v in sorted(slot[t]) if before.get(v) != slot[t][v] and v not in op.outputs)
        stores = [v for v in op.outputs if graph.tensor[v].kind == "output" or v in wrote]
        if t == 0:
            stores += sorted(v for v in wrote if v in carried and slot[0].get(v) == 0)
        after = slot[t + 1] if t + 1 < T else None
        if after is not None:
            evictions = tuple(sorted(v for v, k in slot[t].items() if after.get(v) != k))
        else:
            evictions = tuple(sorted(v for v in slot[t] if v not in window.live_out))
        steps.append(Step(op_name, tuple(allocs), loads, tuple(stores), evictions))
    before_evictions = tuple(sorted(v for v in carried if slot[0].get(v) != 0)) if T else ()
    before_stores = tuple(v for v in before_evictions if v in wrote)
    return PartialSchedule(tuple(steps), before_stores, before_evictions)
