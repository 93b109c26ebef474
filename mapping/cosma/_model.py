"""The COSMA integer linear program for one window, and reading a schedule back from it.

Time steps are operator executions.  Binary variables choose which operator
runs at each step (``x``), which tensors are resident during each step
(``r``), which are loaded from DRAM before it (``l``) and which produced
tensors are written to DRAM (``w``, at most once: afterwards DRAM holds a clean
copy).  Every tensor gets one address ``a`` (on the :class:`Quantum` grid) for
the whole window; two tensors resident at a common step must not overlap,
expressed with a pair of ordering binaries and big-M disjunctions.  The
objective is DRAM traffic in bytes: loads, spills of intermediates and, for a
window that is not the last, a penalty for live-out tensors left in DRAM.

Dominance constraints (a tensor is resident only between its first
availability and its last use) cut the search space without excluding any
optimum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulp

from memory import Allocation, PartialSchedule, Scratchpad, Step, TensorGraph

from ._window import Quantum, Window


@dataclass
class WindowModel:
    """A built PuLP problem and the variables needed to read a schedule back."""

    problem: pulp.LpProblem
    steps: int
    x: dict[tuple[str, int], pulp.LpVariable]
    r: dict[tuple[str, int], pulp.LpVariable]
    w: dict[str, pulp.LpVariable]
    a: dict[str, pulp.LpVariable]
    bank: dict[str, pulp.LpVariable]
    order_vars: dict[tuple[str, str], tuple[pulp.LpVariable, pulp.LpVariable]]
    loads: dict[tuple[str, int], pulp.LpVariable]
    tensors: list[str]
    initial: dict[str, int] = field(default_factory=dict)


def _levels(graph: TensorGraph, ops: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    inside = set(ops)
    asap: dict[str, int] = {}
    for op in ops:
        asap[op] = max((asap[p] + 1 for p in graph.predecessors[op] if p in inside), default=0)
    succs: dict[str, list[str]] = {op: [] for op in ops}
    for op in ops:
        for p in graph.predecessors[op]:
            if p in inside:
                succs[p].append(op)
    tail: dict[str, int] = {}
    for op in reversed(ops):
        tail[op] = max((tail[s] + 1 for s in succs[op]), default=0)
    alap = {op: len(ops) - 1 - tail[op] for op in ops}
    return asap, alap


def build_model(graph: TensorGraph, scratchpad: Scratchpad, window: Window, quantum: Quantum) -> WindowModel:
    """Build the window's ILP (see the module docstring)."""
    ops = window.operators
    T = len(ops)
    asap, alap = _levels(graph, ops)
    inside = set(ops)
    carried = {a.tensor: a for a in window.resident}
    touched = [t for op in ops for t in graph.operator[op].tensors]
    tensors = list(dict.fromkeys(touched + [a.tensor for a in window.resident]))
    prob = pulp.LpProblem("cosma_window", pulp.LpMinimize)

    x = {(o, t): pulp.LpVariable(f"x_{i}_{t}", cat="Binary") for i, o in enumerate(ops) for t in range(asap[o], alap[o] + 1)}
    for o in ops:
        prob += pulp.lpSum(x[o, t] for t in range(asap[o], alap[o] + 1)) == 1
    for t in range(T):
        prob += pulp.lpSum(x[o, t] for o in ops if (o, t) in x) == 1

    def xv(o: str, t: int):
        return x.get((o, t), 0)

    def ran_by(o: str, t: int) -> pulp.LpAffineExpression:  # 1 if o ran at a step <= t
        return pulp.lpSum(x[o, s] for s in range(asap[o], min(t, alap[o]) + 1))

    def runs_from(o: str, t: int) -> pulp.LpAffineExpression:  # 1 if o runs at a step >= t
        return pulp.lpSum(x[o, s] for s in range(max(t, asap[o]), alap[o] + 1))

    for o in ops:
        for p in graph.predecessors[o]:
            if p in inside:
                for t in range(asap[o], alap[o] + 1):
                    prob += ran_by(o, t) <= ran_by(p, t - 1)

    producer = {t: graph.producer.get(t) for t in tensors}
    users = {t: [o for o in graph.consumers[t] if o in inside] for t in tensors}
    span: dict[str, tuple[int, int]] = {}
    for v in tensors:
        p = producer[v] if producer[v] in inside else None
        if p is not None:
            lo = asap[p]
        elif v in carried:
            lo = 0
        else:
            lo = min(asap[o] for o in users[v])
        if v in window.live_out:
            hi = T - 1
        elif users[v]:
            hi = max(alap[o] for o in users[v])
        else:
            hi = alap[p] if p is not None else -1
        span[v] = (lo, hi)

    r = {(v, t): pulp.LpVariable(f"r_{j}_{t}", cat="Binary") for j, v in enumerate(tensors) for t in range(span[v][0], span[v][1] + 1)}

    def res(v: str, t: int):
        return r.get((v, t), 0)

    size = {v: graph.tensor[v].size for v in tensors}
    units = {v: quantum.units(scratchpad.footprint(size[v])) for v in tensors}
    dirty = {v for v in tensors if v not in window.in_dram and graph.tensor[v].kind != "output"}
    w = {v: pulp.LpVariable(f"w_{j}", cat="Binary") for j, v in enumerate(tensors) if v in dirty and not graph.tensor[v].external}
    loads: dict[tuple[str, int], pulp.LpVariable] = {}
    initial = {v: 1 if v in carried else 0 for v in tensors}
    cost = []
    for v in tensors:
        lo, hi = span[v]
        p = producer[v] if producer[v] in inside else None
        for o in users[v]:
            for t in range(asap[o], alap[o] + 1):
                prob += r[v, t] >= x[o, t]
        if p is not None:
            for t in range(lo, hi + 1):
                prob += r[v, t] >= xv(p, t)
                prob += r[v, t] <= ran_by(p, t)
        elif v not in carried and users[v]:
            for t in range(lo, hi + 1):
                prob += r[v, t] <= pulp.lpSum(ran_by(o, t) for o in users[v])
        if v not in window.live_out:
            for t in range(lo, hi + 1):
                later = [runs_from(o, t) for o in users[v]]
                if not users[v] and p is not None:
                    later = [xv(p, t)]
                prob += r[v, t] <= pulp.lpSum(later)
        for t in range(lo, hi + 1):
            before = res(v, t - 1) if t > 0 else initial[v]
            arrive = r[v, t] - before - (xv(p, t) if p is not None else 0)
            if p is not None and t == asap[p] and lo == t:
                continue  # can only appear here by being produced
            var = pulp.LpVariable(f"l_{tensors.index(v)}_{t}", lowBound=0, upBound=1, cat="Binary")
            prob += var >= arrive
            if v in w:
                prob += var <= w[v]
            elif v in dirty:
                prob += var == 0
            loads[v, t] = var
            cost.append(size[v] * var)
        if v in w:
            cost.append(size[v] * w[v])
        if v in window.live_out:
            if v in w:
                prob += w[v] >= 1 - res(v, T - 1)
            if window.end_penalty:
                cost.append(window.end_penalty * size[v] * (1 - res(v, T - 1)))

    cap = quantum.capacity_units if scratchpad.banks == 1 else quantum.bank_units * scratchpad.banks
    for t in range(T):
        prob += pulp.lpSum(units[v] * r[v, t] for v in tensors if (v, t) in r) <= cap

    a = {v: pulp.LpVariable(f"a_{j}", lowBound=0, upBound=cap - units[v]) for j, v in enumerate(tensors)}
    bank: dict[str, pulp.LpVariable] = {}
    if scratchpad.banks > 1:
        bu = quantum.bank_units
        for j, v in enumerate(tensors):
            whole = -(-units[v] // bu)
            bank[v] = pulp.LpVariable(f"b_{j}", lowBound=0, upBound=scratchpad.banks - whole, cat="Integer")
            if units[v] <= bu:
                prob += a[v] >= bu * bank[v]
                prob += a[v] + units[v] <= bu * bank[v] + bu
            else:
                prob += a[v] == bu * bank[v]
    for v, alloc in carried.items():
        if (v, 0) in r:
            home = alloc.start // quantum.unit
            prob += a[v] - home <= cap * (1 - r[v, 0])
            prob += home - a[v] <= cap * (1 - r[v, 0])

    order_vars: dict[tuple[str, str], tuple[pulp.LpVariable, pulp.LpVariable]] = {}
    for i, u in enumerate(tensors):
        for k in range(i + 1, len(tensors)):
            v = tensors[k]
            common = range(max(span[u][0], span[v][0]), min(span[u][1], span[v][1]) + 1)
            if not len(common):
                continue
            below = pulp.LpVariable(f"p_{i}_{k}", cat="Binary")
            above = pulp.LpVariable(f"q_{i}_{k}", cat="Binary")
            order_vars[u, v] = (below, above)
            prob += below + above <= 1
            for t in common:
                prob += below + above >= r[u, t] + r[v, t] - 1
            prob += a[u] + units[u] <= a[v] + cap * (1 - below)
            prob += a[v] + units[v] <= a[u] + cap * (1 - above)

    prob += pulp.lpSum(cost)
    return WindowModel(prob, T, x, r, w, a, bank, order_vars, loads, tensors, initial)


def set_warm_start(model: WindowModel, graph: TensorGraph, window: Window, plan: PartialSchedule, quantum: Quantum) -> bool:
    """Load a plan as the solver's starting point; False if it does not fit the model."""
    steps = plan.steps
    address: dict[str, int] = {a.tensor: a.start for a in window.resident}
    for step in steps:
        for alloc in step.allocations:
            if address.setdefault(alloc.tensor, alloc.start) != alloc.start or alloc.start % quantum.unit:
                return False
    values: dict[pulp.LpVariable, float] = {}
    for (o, t), var in model.x.items():
        values[var] = 1.0 if steps[t].operator == o else 0.0
    resident = [set(s.resident) for s in steps]
    for (v, t), var in model.r.items():
        values[var] = 1.0 if v in resident[t] else 0.0
    for v in model.tensors:
        for t in range(model.steps):
            if v in resident[t] and (v, t) not in model.r:
                return False
    stored = set(plan.before_stores) | {n for s in steps for n in s.stores}
    for v, var in model.w.items():
        values[var] = 1.0 if v in stored else 0.0
    for (v, t), var in model.loads.items():
        values[var] = 1.0 if v in steps[t].loads else 0.0
    for v, var in model.a.items():
        values[var] = address.get(v, 0) // quantum.unit
        if v in model.bank:
            values[model.bank[v]] = address.get(v, 0) // (quantum.bank_units * quantum.unit)
    for (u, v), (below, above) in model.order_vars.items():
        both = any(u in res and v in res for res in resident)
        values[below] = 1.0 if both and address.get(u, 0) < address.get(v, 0) else 0.0
        values[above] = 1.0 if both and address.get(u, 0) > address.get(v, 0) else 0.0
    for var, value in values.items():
        var.setInitialValue(value)
    return True


def read_plan(
    model: WindowModel, graph: TensorGraph, scratchpad: Scratchpad, window: Window, quantum: Quantum
) -> PartialSchedule | None:
    """Turn solver values into a plan with exact integer addresses; None if they do not make one."""
    T = model.steps
    order: list[str] = []
    for t in range(T):
        ran = [o for (o, s), var in model.x.items() if s == t and (var.varValue or 0) > 0.5]
        if len(ran) != 1:
            return None
        order.append(ran[0])
    resident = [{v for (v, s), var in model.r.items() if s == t and (var.varValue or 0) > 0.5} for t in range(T)]
    value = {v: (var.varValue or 0.0) for v, var in model.a.items()}
    carried = {a.tensor: a for a in window.resident}
    bu = quantum.bank_units
    units = {v: quantum.units(scratchpad.footprint(graph.tensor[v].size)) for v in model.tensors}
    placed: dict[str, int] = {}
    live = [v for v in sorted(model.tensors, key=lambda v: (value[v], v)) if any(v in res for res in resident)]
    for v in live:
        low = 0
        if v in carried and v in resident[0]:
            low = carried[v].start // quantum.unit
        elif scratchpad.banks > 1:
            low = (int(round(value[v])) // bu) * bu if units[v] > bu else int(value[v] + 1e-6) // bu * bu
        for u, start in placed.items():
            if any(u in res and v in res for res in resident):
                low = max(low, start + units[u])
        if v in carried and v in resident[0] and low != carried[v].start // quantum.unit:
            return None
        placed[v] = low
    steps = []
    for t, op_name in enumerate(order):
        op = graph.operator[op_name]
        before = resident[t - 1] if t else {v for v in carried}
        allocs = []
        for v in sorted(resident[t], key=lambda v: placed[v]):
            start = placed[v] * quantum.unit
            allocs.append(Allocation(v, start, start + scratchpad.footprint(graph.tensor[v].size)))
            if scratchpad.placement_error(start, graph.tensor[v].size) is not None:
                return None
        loads = tuple(v for v in op.inputs if v not in before) + tuple(
            v for v in sorted(resident[t]) if v not in before and v not in op.tensors
        )
        stores = [v for v in op.outputs if graph.tensor[v].kind == "output"]
        stores += [v for v in op.outputs if v in model.w and (model.w[v].varValue or 0) > 0.5]
        if t == 0:
            stores += [v for v in model.w if v in carried and v in resident[0] and (model.w[v].varValue or 0) > 0.5]
        after = resident[t + 1] if t + 1 < T else None
        evictions = tuple(sorted(v for v in resident[t] if after is not None and v not in after))
        if after is None:
            evictions = tuple(sorted(v for v in resident[t] if v not in window.live_out))
        steps.append(Step(op_name, tuple(allocs), loads, tuple(stores), evictions))
    before_evictions = tuple(sorted(v for v in carried if v not in resident[0]))
    before_stores = tuple(
        sorted(v for v in before_evictions if v in model.w and (model.w[v].varValue or 0) > 0.5)
    )
    return PartialSchedule(tuple(steps), before_stores, before_evictions)
