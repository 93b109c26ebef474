"""CoSA's log-domain mixed-integer program for one Einsum (Huang et al., ISCA 2021), in PuLP.

Variables (all binary but ``g``, ``y`` and the epigraph variables):

* ``z[r,o]``: rank ``r`` is padded to its ``o``-th size (:func:`padded_sizes`);
* ``x[r,o,q,s]``: how many copies of prime ``q`` of that size go to slot ``s``
  (a storage level's temporal loop, the array rows or columns) -- CoSA's
  binary per prime instance, aggregated per prime to remove the symmetry
  between equal primes.  ``Lf[r,s] = sum log2(q) x`` is the log of the factor
  of ``r`` at ``s``, so products of factors are sums;
* ``u[l,k]``: level ``l`` uses loop order ``k`` of the stationarity family.

Constraints: every prime factor of the chosen size in exactly one slot; the
array's rows and columns;
per on-chip level and held tensor, ``log2(tile bytes) <= log2(capacity *
share)`` with equal shares among the tensors a level holds (so the sum fits),
where a dimension ``sum c_k (E_k - 1) + 1`` is bounded by the product of its
terms (CoSA's product linearization, conservative), each term ``c (E - 1) + 1``
by the smaller of ``c E`` and ``E^(1 + log2 c)`` (a binary picks which).

Costs: a tensor's traffic between a child level and its parent is its size
times the product of the loops above the child that do not index it, less
those the chosen order makes stationary at the level right above (``g``:
``g <= Lf``, ``g <= M u``), i.e. ``log2 traffic = log2 size + IR``.  Every
``2^(linear expression)`` (traffic, compute cycles) is a variable bounded below
by its tangents at the integers (exact there), so latency -- an epigraph over
compute and every level's summed traffic over its bandwidth -- and energy are
linear, each in units of a lower bound (full-array compute or compulsory DRAM
traffic; compulsory energy).  EDP minimizes ``L/Lr + E/Er``, the tangent of
``log(L E)`` at the lower bounds, an upper bound of ``log EDP - log(Lr Er)``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulp

from .._constraints import EinsumConstraints
from .._problem import Problem
from ._space import order_family, padded_sizes, prime_factors

if TYPE_CHECKING:
    import numpy as np

    from sim.analytical import ActionEnergy

__all__ = ["IlpModel", "build_ilp"]


@dataclass
class IlpModel:
    """The PuLP problem with handles to read a solution back."""

    prob: pulp.LpProblem
    problem: Problem
    options: list[list[int]]  # per rank: padded sizes
    primes: dict[tuple[int, int], list[tuple[int, int]]]  # (prime, multiplicity)
    x: dict[tuple[int, int, int, int], pulp.LpVariable]
    z: dict[tuple[int, int], pulp.LpVariable]
    u: dict[tuple[int, int], pulp.LpVariable]
    family: np.ndarray  # loop orders (count, ranks), from order_family
    slots: int
    notes: list[str] = field(default_factory=list)

    def fits(self, fm: list[list[int]]) -> bool:
        """Whether factor matrix ``fm`` (ranks x slots) meets the ILP's own capacity and array constraints."""
        p = self.problem
        nl = len(p.storage)
        rows = math.prod(f[nl] for f in fm)
        cols = math.prod(f[nl + 1] for f in fm)
        if rows > p.rows or cols > p.cols:
            return False
        for i, st in enumerate(p.storage[:-1]):
            held = [t for t, h in zip(p.tensors, st.holds) if h]
            for t in held:
                total = math.log2(t.bits / 8)
                for row in t.coeffs:
                    for r, c in enumerate(row):
                        if c:
                            e = math.prod(fm[r][: i + 1]) * (fm[r][nl] * fm[r][nl + 1] if i >= 1 else 1)
                            total += min(math.log2(c) + math.log2(e), (1 + math.log2(c)) * math.log2(e))
                if total > math.log2(st.capacity / len(held)) + 1e-6:
                    return False
        return True

    def warm_start(self, fm: list[list[int]] | None = None, order_idx: list[int] | None = None) -> None:
        """Start values for the integer variables: factor matrix ``fm`` (default: everything in DRAM)."""
        top = len(self.problem.storage) - 1
        if fm is None:
            fm = [[1] * top + [size, 1, 1] for size in (opts[0] for opts in self.options)]
        for r, opts in enumerate(self.options):
            size = math.prod(fm[r])
            for o, padded in enumerate(opts):
                if not isinstance(self.z[r, o], (int, float)):
                    self.z[r, o].setInitialValue(1 if padded == size else 0)
                for q, _ in self.primes[r, o]:
                    for s in range(self.slots):
                        xv = self.x.get((r, o, q, s))
                        if xv is not None:
                            xv.setInitialValue(Counter(prime_factors(fm[r][s]))[q] if padded == size else 0)
        for (lv, k), uv in self.u.items():
            uv.setInitialValue(1 if k == (order_idx[lv] if order_idx else 0) else 0)

    def factors(self) -> tuple[list[list[int]], list[int]]:
        """Solved factor matrix (ranks x slots) and the order-family index per level."""
        nl = len(self.problem.storage)
        fm = [[1] * self.slots for _ in self.problem.ranks]
        for r, opts in enumerate(self.options):
            for o in range(len(opts)):
                if _val(self.z[r, o]) < 0.5:
                    continue
                for q, _ in self.primes[r, o]:
                    for s in range(self.slots):
                        fm[r][s] *= q ** int(round(_val(self.x.get((r, o, q, s), 0))))
        orders = [max(range(len(self.family)), key=lambda k: _val(self.u[lv, k])) for lv in range(nl)]
        return fm, orders


def _var(prob: pulp.LpProblem, name: str, low: float | None = None, up: float | None = None, cat: str = "Continuous") -> pulp.LpVariable:
    """A variable attached to ``prob`` (PuLP >= 3.3 spelling when available)."""
    add = getattr(prob, "add_variable", None)
    if add is not None:
        return add(name, low, up, cat=cat)
    return pulp.LpVariable(name, low, up, cat=cat)  # pragma: no cover - older PuLP


def _val(v: pulp.LpVariable | float) -> float:
    if isinstance(v, (int, float)):
        return float(v)
    return float(v.value() or 0.0)


def _free_ranks(problem: Problem, family: np.ndarray) -> list[list[set[int]]]:
    """free[t][k]: ranks not indexing tensor t at the innermost end of family order k."""
    out = []
    for t in problem.tensors:
        rel = t.relevant
        row = []
        for order in family:
            free: set[int] = set()
            for r in reversed([int(v) for v in order]):
                if rel[r]:
                    break
                free.add(r)
            row.append(free)
        out.append(row)
    return out


def build_ilp(problem: Problem, energies: dict[str, ActionEnergy], objective: str, order: int | None = None,
              constraints: EinsumConstraints | None = None) -> IlpModel:
    """Formulate the mapping ILP of ``problem`` for ``objective`` (``'edp'``, ``'latency'`` or ``'energy'``).

    With ``order`` (an index into the stationarity family) every level uses
    that loop order; otherwise the ILP chooses one per level.  With
    ``constraints`` each level's exact and maximum factors bound its loops
    (in the log domain), and a fixed order keeps the ranks it leaves out at
    factor 1 there; the spatial ranks are the problem's (narrow it first).
    """
    p = problem
    nl, nr = len(p.storage), len(p.ranks)
    row_s, col_s, slots = nl, nl + 1, nl + 2
    prob = pulp.LpProblem(f"map_{p.einsum}", pulp.LpMinimize)
    options = [list(padded_sizes(size)) for size in p.sizes]
    x, z, primes, lf = {}, {}, {}, {(r, s): [] for r in range(nr) for s in range(slots)}
    log_sizes = []
    for r in range(nr):
        zs = []
        for o, size in enumerate(options[r]):
            z[r, o] = _var(prob, f"z_{r}_{o}", 0, 1, "Binary") if len(options[r]) > 1 else 1
            zs.append((z[r, o], math.log2(size)))
            counts = Counter(prime_factors(size))
            primes[r, o] = sorted(counts.items())
            for q, mult in primes[r, o]:
                allowed = [s for s in range(slots) if (s != row_s or p.row_allowed[r]) and (s != col_s or p.col_allowed[r])]
                allowed = [s for s in allowed if not (s == row_s and q > p.rows) and not (s == col_s and q > p.cols)]
                for s in allowed:
                    x[r, o, q, s] = _var(prob, f"x_{r}_{o}_{q}_{s}", 0, mult, "Integer")
                    lf[r, s].append((x[r, o, q, s], math.log2(q)))
                prob += pulp.lpSum(x[r, o, q, s] for s in allowed) == mult * z[r, o], f"assign_{r}_{o}_{q}"
        if len(options[r]) > 1:
            prob += pulp.lpSum(v for v, _ in zs) == 1, f"pad_{r}"
        log_sizes.append(pulp.lpSum(v * w for v, w in zs))
    L = {k: pulp.lpSum(v * w for v, w in terms) for k, terms in lf.items()}
    bound = {r: math.log2(max(options[r])) for r in range(nr)}
    for level, lc in (constraints.levels.items() if constraints is not None else ()):
        s_ = p.level_names.index(level)
        for r in range(nr):
            name = p.ranks[r]
            if name in lc.factors:
                prob += L[r, s_] == math.log2(lc.factors[name]), f"fix_{r}_{s_}"
            elif lc.order is not None and name not in lc.order:
                prob += L[r, s_] == 0, f"fix_{r}_{s_}"
            elif name in lc.max_factors:
                prob += L[r, s_] <= math.log2(lc.max_factors[name]) + 1e-6, f"max_{r}_{s_}"
    prob += pulp.lpSum(L[r, row_s] for r in range(nr)) <= math.log2(p.rows) + 1e-6, "rows"
    prob += pulp.lpSum(L[r, col_s] for r in range(nr)) <= math.log2(p.cols) + 1e-6, "cols"

    def inner(i: int, r: int):
        ss = list(range(i + 1)) + ([row_s, col_s] if i >= 1 else [])
        return pulp.lpSum(L[r, s] for s in ss)

    for i, st in enumerate(p.storage[:-1]):
        held = [t for t, h in zip(p.tensors, st.holds) if h]
        for t in held:
            terms = []
            for d, row in enumerate(t.coeffs):
                for r in (r for r in range(nr) if row[r]):
                    if row[r] == 1:
                        terms.append(inner(i, r))
                        continue
                    # c(E-1)+1 <= min(c E, E^(1 + log2 c)): pick the tighter bound with a binary
                    c, e_log = row[r], inner(i, r)
                    big = (1 + math.log2(c)) * bound[r] + math.log2(c)
                    pick = _var(prob, f"b_{i}_{t.name}_{d}_{r}", 0, 1, "Binary")
                    term = _var(prob, f"w_{i}_{t.name}_{d}_{r}", 0)
                    prob += term >= e_log + math.log2(c) - big * pick, f"wa_{i}_{t.name}_{d}_{r}"
                    prob += term >= (1 + math.log2(c)) * e_log - big * (1 - pick), f"wb_{i}_{t.name}_{d}_{r}"
                    terms.append(term)
            prob += pulp.lpSum(terms) + math.log2(t.bits / 8) <= math.log2(st.capacity / len(held)) + 1e-6, f"cap_{i}_{t.name}"

    family = order_family(p)
    u = {(lv, k): _var(prob, f"u_{lv}_{k}", 0, 1, "Binary") for lv in range(nl) for k in range(len(family))}
    for lv in range(nl):
        prob += pulp.lpSum(u[lv, k] for k in range(len(family))) == 1, f"order_{lv}"
        if order is not None:
            prob += u[lv, order] == 1, f"fixed_order_{lv}"
    free = _free_ranks(p, family)
    g = {}
    for lv in range(nl):
        for k in range(len(family)):
            for r in set().union(*(free[ti][k] for ti in range(len(p.tensors)))):
                g[r, lv, k] = _var(prob, f"g_{r}_{lv}_{k}", 0)
                prob += g[r, lv, k] <= L[r, lv], f"g_lf_{r}_{lv}_{k}"
                prob += g[r, lv, k] <= bound[r] * u[lv, k], f"g_u_{r}_{lv}_{k}"

    ln2 = math.log(2)
    count = [0]

    def exp2(expr: pulp.LpAffineExpression, hi: int) -> pulp.LpVariable:
        """y >= 2^expr for expr in [0, hi], by tangents at the integers (exact there)."""
        y = _var(prob, f"y_{count[0]}", 1)
        for b in range(hi + 1):
            prob.addConstraint(y >= 2.0**b * (1 + ln2 * (expr - b)), f"tan_{count[0]}_{b}")
        count[0] += 1
        return y

    reads: dict[int, list] = {i: [] for i in range(nl)}
    writes: dict[int, list] = {i: [] for i in range(nl)}
    energy_terms, e_lower, dram_bytes = [], 0.0, 0.0
    hop = energies["noc.hop"]
    for ti, t in enumerate(p.tensors):
        rel = t.relevant
        chain = [-1] + [i for i in range(nl) if p.storage[i].holds[ti]]
        size_bytes = t.elements * t.bits / 8
        dram_bytes += size_bytes
        top = math.ceil(sum(bound[r] for r in range(nr) if not rel[r]) - 1e-9)
        for c, par in zip(chain[:-1], chain[1:]):
            ir = pulp.lpSum(L[r, j] for j in range(c + 1, nl) for r in range(nr) if not rel[r])
            ir -= pulp.lpSum(g[r, c + 1, k] for k in range(len(family)) for r in free[ti][k])
            rep = pulp.lpSum(L[r, s] for r in range(nr) if not rel[r] for s in (row_s, col_s)) if c <= 0 else 0
            both = 2.0 if t.role == "output" else 1.0
            st = p.storage[par]
            key = "rf" if par == 0 else st.name
            e_par = energies[f"{key}.read"].pj / energies[f"{key}.read"].bits * t.bits
            y_par = exp2(ir + (rep if (c == -1 and par == 0) else 0), top)
            reads[par].append((both * size_bytes, y_par))
            energy_terms.append((y_par, both * t.elements * e_par))
            e_lower += both * t.elements * e_par
            if c >= 0 or par >= 1:
                y_child = exp2(ir + rep, top)  # what the child (every PE of it) receives
                if c >= 0:
                    ckey = "rf" if c == 0 else p.storage[c].name
                    e_child = energies[f"{ckey}.write"].pj / energies[f"{ckey}.write"].bits * t.bits
                    writes[c].append((both * size_bytes, y_child))
                    energy_terms.append((y_child, both * t.elements * e_child))
                    e_lower += both * t.elements * e_child
                if c <= 0 and par >= 1:
                    e_hop = both * t.elements * hop.pj * t.bits / hop.bits
                    energy_terms.append((y_child, e_hop))
                    e_lower += e_hop
    # latency in units of a lower bound, linear in the 2^(log) variables
    per_op = math.log2(p.ops_per_point / p.ops_per_cycle) if p.ops_per_point else 0.0
    c_min = math.log2(p.points) - math.log2(p.rows * p.cols) + per_op
    l_ref = max(1.0, 2.0**c_min if p.ops_per_point else 0.0, dram_bytes / p.storage[-1].read_bandwidth)
    lat = _var(prob, "latency", 0)
    if p.ops_per_point:
        c0 = math.floor(c_min)
        compute = pulp.lpSum(log_sizes) - pulp.lpSum(L[r, s] for r in range(nr) for s in (row_s, col_s)) + per_op
        y_c = exp2(compute - c0, math.ceil(sum(bound.values()) + per_op - c0))
        prob += lat >= 2.0**c0 / l_ref * y_c, "lat_compute"
    for i, st in enumerate(p.storage):
        if not math.isfinite(st.read_bandwidth):
            continue
        if st.shared_bandwidth:
            prob += lat >= pulp.lpSum(b / st.read_bandwidth / l_ref * y for b, y in reads[i] + writes[i]), f"lat_bw_{i}"
        else:
            if reads[i]:
                prob += lat >= pulp.lpSum(b / st.read_bandwidth / l_ref * y for b, y in reads[i]), f"lat_rd_{i}"
            if writes[i]:
                prob += lat >= pulp.lpSum(b / st.write_bandwidth / l_ref * y for b, y in writes[i]), f"lat_wr_{i}"
    compute_pj = energies["vector.op" if p.unit == "vector" else "mac"].pj * p.total_ops
    e_ref = e_lower + compute_pj
    energy = pulp.lpSum(coef / e_ref * y for y, coef in energy_terms) + compute_pj / e_ref  # in units of e_ref
    if objective == "latency":
        prob += lat + 1e-3 * energy
    elif objective == "energy":
        prob += energy + 1e-3 * lat
    else:  # log(L E) <= log(Lr Er) + (L - Lr)/Lr + (E - Er)/Er: minimize the tangent upper bound
        prob += lat + energy
    return IlpModel(prob, p, options, primes, x, z, u, family, slots)
