"""The COSMA integer linear program for one window.

Time steps are operator executions.  Binary variables choose which operator
runs at each step (``x[o, t]``), which tensors are resident during each step
and where (``r[v, k, t]``: tensor ``v`` resident in its address slot ``k``),
which are loaded from DRAM before it (``l[v, t]``) and which produced tensors
are written to DRAM (``w[v]``, at most once: afterwards DRAM holds a clean
copy).  Each address slot ``(v, k)`` has one address ``a[v, k]`` on the
:class:`Quantum` grid.  A tensor that may be dropped and brought back has two
slots, so a reload may land at a new address; a tensor used at one step only
has one.  Moving between slots costs a reload.  Two slots resident at a common
step must not overlap: a pair of ordering binaries and big-M disjunctions.

The objective is DRAM traffic in bytes: loads, spills of intermediates and,
for a window that is not the last, a penalty for live-out tensors left in DRAM.
Dominance constraints (a tensor is resident only between its first
availability and its last use; the second slot is used only after the first)
cut the search space without excluding any optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulp

from memory import Scratchpad, TensorGraph

from ._window import Quantum, Window


@dataclass
class WindowModel:
    """A built PuLP problem and the variables needed to read a schedule back."""

    problem: pulp.LpProblem
    steps: int
    tensors: list[str]
    slots: dict[str, int]
    x: dict[tuple[str, int], pulp.LpVariable]
    r: dict[tuple[str, int, int], pulp.LpVariable]
    loads: dict[tuple[str, int], pulp.LpVariable]
    w: dict[str, pulp.LpVariable]
    a: dict[tuple[str, int], pulp.LpVariable]
    bank: dict[tuple[str, int], pulp.LpVariable]
    order_vars: dict[tuple[tuple[str, int], tuple[str, int]], tuple[pulp.LpVariable, pulp.LpVariable]]
    units: dict[str, int]
    capacity_units: int


def _levels(graph: TensorGraph, ops: tuple[str, ...]) -> tuple[dict[str, int], dict[str, int]]:
    """Earliest and latest step of each operator given the dependences inside the window."""
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
    return asap, {op: len(ops) - 1 - tail[op] for op in ops}


def build_model(graph: TensorGraph, scratchpad: Scratchpad, window: Window, quantum: Quantum) -> WindowModel:
    """Build the window's ILP (see the module docstring)."""
    ops = window.operators
    T = len(ops)
    asap, alap = _levels(graph, ops)
    inside = set(ops)
    carried = {a.tensor: a for a in window.resident}
    touched = [t for op in ops for t in graph.operator[op].tensors]
    tensors = list(dict.fromkeys(touched + [a.tensor for a in window.resident]))
    index = {v: j for j, v in enumerate(tensors)}
    prob = pulp.LpProblem("cosma_window", pulp.LpMinimize)

    x = {(o, t): pulp.LpVariable(f"x_{i}_{t}", cat="Binary") for i, o in enumerate(ops) for t in range(asap[o], alap[o] + 1)}
    for o in ops:
        prob += pulp.lpSum(x[o, t] for t in range(asap[o], alap[o] + 1)) == 1
    for t in range(T):
        prob += pulp.lpSum(x[o, t] for o in ops if (o, t) in x) == 1

    def xv(o: str, t: int):
        return x.get((o, t), 0)

    def ran_by(o: str, t: int):  # 1 if o ran at a step <= t
        return pulp.lpSum(x[o, s] for s in range(asap[o], min(t, alap[o]) + 1))

    def runs_from(o: str, t: int):  # 1 if o runs at a step >= t
        return pulp.lpSum(x[o, s] for s in range(max(t, asap[o]), alap[o] + 1))

    for o in ops:
        for p in graph.predecessors[o]:
            if p in inside:
                for t in range(asap[o], alap[o] + 1):
                    prob += ran_by(o, t) <= ran_by(p, t - 1)

    producer = {v: graph.producer.get(v) if graph.producer.get(v) in inside else None for v in tensors}
    users = {v: [o for o in graph.consumers[v] if o in inside] for v in tensors}
    span: dict[str, tuple[int, int]] = {}
    slots: dict[str, int] = {}
    for v in tensors:
        p = producer[v]
        lo = asap[p] if p is not None else 0 if v in carried else min(asap[o] for o in users[v])
        if v in window.live_out:
            hi = T - 1
        elif users[v]:
            hi = max(alap[o] for o in users[v])
        else:
            hi = alap[p] if p is not None else -1
        span[v] = (lo, hi)
        # one slot when the tensor can only be resident at a single step, or one contiguous stay
        single = p is None and v not in carried and v not in window.live_out and len(users[v]) == 1
        slots[v] = 1 if single or (p is not None and not users[v] and v not in window.live_out) else 2

    r = {
        (v, k, t): pulp.LpVariable(f"r_{index[v]}_{k}_{t}", cat="Binary")
        for v in tensors
        for k in range(slots[v])
        for t in range(span[v][0], span[v][1] + 1)
    }

    def res(v: str, t: int):
        return pulp.lpSum(r[v, k, t] for k in range(slots[v]) if (v, k, t) in r)

    size = {v: graph.tensor[v].size for v in tensors}
    units = {v: quantum.units(scratchpad.footprint(size[v])) for v in tensors}
    dirty = {v for v in tensors if v not in window.in_dram and graph.tensor[v].kind != "output"}
    w = {v: pulp.LpVariable(f"w_{index[v]}", cat="Binary") for v in tensors if v in dirty}
    loads: dict[tuple[str, int], pulp.LpVariable] = {}
    cost = []
    for v in tensors:
        lo, hi = span[v]
        p = producer[v]
        if slots[v] == 2:
            for t in range(lo, hi + 1):
                prob += r[v, 0, t] + r[v, 1, t] <= 1
                earlier = pulp.lpSum(r[v, 0, s] for s in range(lo, t)) + (1 if v in carried else 0)
                prob += r[v, 1, t] <= earlier
        for o in users[v]:
            for t in range(asap[o], alap[o] + 1):
                prob += res(v, t) >= x[o, t]
        if p is not None:
            for t in range(lo, hi + 1):
                prob += res(v, t) >= xv(p, t)
                prob += res(v, t) <= ran_by(p, t)
        elif v not in carried and users[v]:
            for t in range(lo, hi + 1):
                prob += res(v, t) <= pulp.lpSum(ran_by(o, t) for o in users[v])
        if v not in window.live_out:
            for t in range(lo, hi + 1):
                later = [runs_from(o, t) for o in users[v]] if users[v] else [xv(p, t)] if p is not None else []
                prob += res(v, t) <= pulp.lpSum(later)
        for t in range(lo, hi + 1):
            if p is not None and t == lo:
                continue  # it can only appear at its first possible step by being produced
            load = pulp.LpVariable(f"l_{index[v]}_{t}", cat="Binary")
            for k in range(slots[v]):
                before = r.get((v, k, t - 1), 0) if t > 0 else (1 if v in carried and k == 0 else 0)
                prob += load >= r[v, k, t] - before - (xv(p, t) if p is not None else 0)
            if v in w:
                prob += load <= w[v]
            loads[v, t] = load
            cost.append(size[v] * load)
        if graph.tensor[v].external and v not in carried and users[v]:
            prob += pulp.lpSum(var for (u, _), var in loads.items() if u == v) >= 1  # valid cut
        if v in w:
            cost.append(size[v] * w[v])
        if v in window.live_out:
            if v in w:
                prob += w[v] >= 1 - res(v, T - 1)
            if window.end_penalty:
                cost.append(window.end_penalty * size[v] * (1 - res(v, T - 1)))

    cap = quantum.capacity_units if scratchpad.banks == 1 else quantum.bank_units * scratchpad.banks
    for t in range(T):
        prob += pulp.lpSum(units[v] * res(v, t) for v in tensors if span[v][0] <= t <= span[v][1]) <= cap

    virtual = [(v, k) for v in tensors for k in range(slots[v]) if span[v][0] <= span[v][1]]
    a = {(v, k): pulp.LpVariable(f"a_{index[v]}_{k}", lowBound=0, upBound=cap - units[v]) for v, k in virtual}
    bank: dict[tuple[str, int], pulp.LpVariable] = {}
    if scratchpad.banks > 1:
        bu = quantum.bank_units
        for v, k in virtual:
            whole = -(-units[v] // bu)
            bank[v, k] = pulp.LpVariable(f"b_{index[v]}_{k}", lowBound=0, upBound=scratchpad.banks - whole, cat="Integer")
            if units[v] <= bu:
                prob += a[v, k] >= bu * bank[v, k]
                prob += a[v, k] + units[v] <= bu * bank[v, k] + bu
            else:
                prob += a[v, k] == bu * bank[v, k]
    for v, alloc in carried.items():
        if (v, 0, 0) in r:
            home = alloc.start // quantum.unit
            prob += a[v, 0] - home <= cap * (1 - r[v, 0, 0])
            prob += home - a[v, 0] <= cap * (1 - r[v, 0, 0])

    order_vars = {}
    for i, (u, ku) in enumerate(virtual):
        for v, kv in virtual[i + 1 :]:
            if u == v:
                continue
            common = range(max(span[u][0], span[v][0]), min(span[u][1], span[v][1]) + 1)
            if not len(common):
                continue
            below = pulp.LpVariable(f"p_{index[u]}_{ku}_{index[v]}_{kv}", cat="Binary")
            above = pulp.LpVariable(f"q_{index[u]}_{ku}_{index[v]}_{kv}", cat="Binary")
            order_vars[(u, ku), (v, kv)] = (below, above)
            prob += below + above <= 1
            for t in common:
                prob += below + above >= r[u, ku, t] + r[v, kv, t] - 1
            prob += a[u, ku] + units[u] <= a[v, kv] + cap * (1 - below)
            prob += a[v, kv] + units[v] <= a[u, ku] + cap * (1 - above)

    prob += pulp.lpSum(cost)
    return WindowModel(prob, T, tensors, slots, x, r, loads, w, a, bank, order_vars, units, cap)
