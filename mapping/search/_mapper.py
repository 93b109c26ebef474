"""The ILP mapper: solve CoSA's program, then re-score and refine with the exact analytical model.

``map_einsum`` formulates :mod:`mapping.search._ilp_model` for the objective, solves
it with CBC or HiGHS under a time limit, turns the solution into a
:class:`Mapping`, and re-scores it with the exact model together with its
order refinements and a greedy factor-move polish (each step kept only if it
improves the exact objective).  The solver's status and gap are reported.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tempfile
import time
import warnings
from collections.abc import Collection, Mapping as MappingABC
from typing import TYPE_CHECKING

import numpy as np
import pulp

from memory import Residency
from sim import Report
from sim.analytical import cost_model, report_for

from .._constraints import EinsumConstraints
from .._errors import InfeasibleMappingError, MappingError
from .._problem import Problem
from .._result import OBJECTIVES, MapResult, objective_of
from .._mapping import Mapping
from .._validate import check_fits
from ._ilp_model import IlpModel, build_ilp
from ._search import ScoringModel, batch_from_factors, factors_of, polish, refine_orders, search_mappings
from ._solvers import SOLVERS, quiet_highs
from ._space import order_family, rank_candidates

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Einsum
    from sim.analytical import BatchResult, CostModel, MappingBatch

__all__ = ["map_einsum", "SOLVERS"]

#: MIP gap at which the solvers stop (the ILP is a proxy re-scored by the exact model anyway): 2 %,
#: relative for the energy objective (linear in pJ), absolute log2(1.02) for the log-domain ones.
GAP_REL = 0.02


def _check(objective: str, solver: str, time_limit: float) -> None:
    if objective not in OBJECTIVES:
        raise MappingError(f"objective must be one of {OBJECTIVES!r}, not {objective!r}")
    if solver not in SOLVERS:
        raise MappingError(f"solver must be one of {SOLVERS!r}, not {solver!r}")
    if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)) or not time_limit > 0:
        raise MappingError(f"time_limit must be a positive number of seconds, not {time_limit!r}")


def _cbc_gap(log: str) -> float | None:
    m = re.search(r"^Gap:\s*([-+0-9.eE]+)", log, re.MULTILINE)
    if m:
        return abs(float(m.group(1)))
    obj = re.search(r"^Objective value:\s*([-+0-9.eE]+)", log, re.MULTILINE)
    low = re.search(r"^Lower bound:\s*([-+0-9.eE]+)", log, re.MULTILINE)
    if obj and low:
        o, lo = float(obj.group(1)), float(low.group(1))
        return abs(o - lo) / max(abs(o), 1e-12)
    return None


def _start(ilp: IlpModel, model: ScoringModel, objective: str, samples: int = 2000) -> tuple[list[list[int]], list[int]] | None:
    """The best of ``samples`` seeded random mappings that meets the ILP's constraints (a warm start)."""
    p = model.problem
    cands = [rank_candidates(p, r) for r in range(len(p.ranks))]
    fam = order_family(p)
    if len(fam) != len(ilp.family):
        return None
    rng = np.random.default_rng(0)
    fm = np.stack([c[rng.integers(0, len(c), samples)] for c in cands], axis=1)
    orders = rng.integers(0, len(fam), (samples, len(p.storage)))
    obj = model.score(batch_from_factors(fm, fam[orders])).objective(objective)
    for i in np.argsort(obj):
        if not np.isfinite(obj[i]):
            break
        if ilp.fits(fm[i].tolist()):
            return fm[i].tolist(), orders[i].tolist()
    return None


def _solve(ilp: IlpModel, solver: str, time_limit: float, objective: str = "edp") -> tuple[str, float | None]:
    """Solve; return (status, relative gap). Status: optimal, feasible, infeasible, timeout, error."""
    gaps = {"gapRel": GAP_REL} if objective == "energy" else {"gapAbs": math.log2(1 + GAP_REL)}
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "cbc.log")
        if solver == "cbc":
            with warnings.catch_warnings():  # PuLP 3.3 deprecates the bundled CBC; it is the one we have
                warnings.simplefilter("ignore", DeprecationWarning)
                cmd = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1, logPath=log_path, keepFiles=False,
                                        warmStart=True, **gaps)
        else:
            quiet_highs()
            cmd = pulp.HiGHS(msg=False, timeLimit=time_limit, threads=1, **gaps)
        try:
            ilp.prob.solve(cmd)
        except (pulp.PulpSolverError, IndexError, ArithmeticError):
            # the solver (or PuLP reading its answer back, e.g. on a model with huge coefficients) failed: the
            # ILP gives no mapping, and the caller falls back to the seeded search or reports it
            return "error", None
        sol = ilp.prob.sol_status
        gap = None
        if solver == "cbc":
            text = ""
            if os.path.exists(log_path):
                with open(log_path, encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            gap = _cbc_gap(text)
            timed_out = "time limit" in text.lower()
        else:
            info = ilp.prob.solverModel.getInfo()
            gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else None
            timed_out = "time limit" in ilp.prob.solverModel.modelStatusToString(ilp.prob.solverModel.getModelStatus()).lower()
    if sol == pulp.LpSolutionOptimal and not timed_out:
        return "optimal", 0.0 if gap is None else gap
    if sol in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionOptimal):
        return "feasible", gap
    if sol == pulp.LpSolutionInfeasible or ilp.prob.status == pulp.LpStatusInfeasible:
        return "infeasible", None
    return ("timeout" if timed_out else "error"), None


def _ilp_mapping(ilp: IlpModel, model: ScoringModel) -> Mapping:
    fm, order_idx = ilp.factors()
    orders = np.array([ilp.family[k] for k in order_idx])
    return batch_from_factors(np.array(fm)[None], orders[None]).mapping(0, model.problem)


class _Constrained:
    """A cost model whose scores call a mapping that breaks a mapspace constraint illegal (its problem narrowed).

    The searches (order refinement, polish) keep only legal mappings, so they stay within the constraints.
    """

    def __init__(self, model: CostModel, constraints: EinsumConstraints) -> None:
        self._model, self.constraints = model, constraints
        self.problem = constraints.narrow(model.problem)

    def __getattr__(self, name: str) -> object:
        return getattr(self._model, name)

    def score(self, batch: MappingBatch) -> BatchResult:
        res = self._model.score(batch)
        p = self.problem
        ok = self.constraints.allows(p.ranks, p.level_names, np.asarray(batch.temporal), np.asarray(batch.spatial_rows),
                                     np.asarray(batch.spatial_cols), np.asarray(batch.orders))
        return dataclasses.replace(res, valid=res.valid & ok)


def _fixed_orders(mapping: Mapping, constraints: EinsumConstraints | None) -> Mapping:
    """``mapping`` with each fixed order of ``constraints`` at its level (the listed ranks first, then the others)."""
    if constraints is None:
        return mapping
    orders = list(mapping.orders)
    for level, lc in constraints.levels.items():
        if lc.order is not None:
            orders[mapping.levels.index(level)] = tuple(lc.order) + tuple(r for r in mapping.ranks if r not in lc.order)
    return dataclasses.replace(mapping, orders=tuple(orders))


def map_einsum(
    einsum: Einsum,
    shapes: MappingABC[str, int],
    arch: Architecture,
    objective: str = "edp",
    solver: str = "highs",
    time_limit: float = 1.2,
    weights: Collection[str] | None = None,
    refine: bool = True,
    fallback: bool = False,
    residency: Residency | None = None,
    problem: Problem | None = None,
    constraints: EinsumConstraints | None = None,
) -> MapResult[Report]:
    """Map one Einsum with the CoSA-style ILP and the exact analytical model.

    Parameters
    ----------
    einsum : dataflow.Einsum
    shapes : mapping of str to int
        Rank sizes.
    arch : accel.Architecture
    objective : str
        ``'edp'``, ``'latency'`` or ``'energy'``.
    solver : str
        ``'highs'`` (default: on this ILP it proves optimality several times
        faster than CBC) or ``'cbc'`` (given a MIP start from a seeded
        random search).
    time_limit : float
        Seconds the solver may run; on time-out the incumbent is used (status ``'feasible'``).
    weights : collection of str, optional
        Tensors that are weights (see :func:`mapping.build_problem`).
    refine : bool
        Re-pick loop orders and polish factors with the exact model.
    fallback : bool
        When the ILP yields no mapping, return the best of a seeded random
        search (status ``'fallback'``) instead of raising.
    residency : memory.Residency, optional
        What a cascade schedule does with the Einsum's tensors.  The ILP's
        proxy still streams every tensor through DRAM; the exact re-scoring,
        order refinement and polish use the traffic the schedule leaves, so
        the mapping is chosen for it.
    constraints : mapping.EinsumConstraints, optional
        Mapspace constraints the mapping must keep (spatial ranks, fixed
        orders, factors per level): the ILP is built within them and the
        exact re-scoring treats any mapping that breaks one as illegal.

    Raises
    ------
    MappingError
        For an unknown objective or solver, or a bad time limit.
    InfeasibleMappingError
        If nothing fits, or the ILP is infeasible or times out without a
        solution (its ``best`` holds a random-search mapping when one was found),
        or no mapping keeps the constraints.
    """

    start = time.perf_counter()
    _check(objective, solver, time_limit)
    model = cost_model(einsum, shapes, arch, weights, residency=residency, problem=problem)
    if constraints is not None and not constraints.empty:
        model = _Constrained(model, constraints)
    p = model.problem
    check_fits(p)
    ilp = build_ilp(p, model.energies, objective, constraints=constraints)
    seed = _start(ilp, model, objective)
    if solver == "cbc":  # CBC takes a MIP start; HiGHS through PuLP's API does not
        ilp.warm_start(*(seed or (None, None)))
    status, gap = _solve(ilp, solver, float(time_limit), objective)
    notes = [f"ILP: {len(ilp.prob.variables())} variables, {ilp.prob.numConstraints()} constraints, {solver} {status}"]
    best, evaluated = None, 0
    if status in ("optimal", "feasible"):
        cand = _fixed_orders(_ilp_mapping(ilp, model), constraints)
        score = model.score(batch_from_factors(*[a[None] for a in factors_of(cand)]))
        evaluated += 1
        if bool(score.valid[0]):
            best = cand
            raw = float(score.objective(objective)[0])
            notes.append(f"ILP mapping scores {raw:.6g} ({objective}, exact model)")
        else:
            notes.append("the ILP's mapping breaks an exact capacity or array limit; falling back to search")
    if best is None:
        message = (
            f"the ILP for Einsum {p.einsum!r} on {p.arch!r} ({solver}, {time_limit:g} s) found no mapping: "
            f"status {status!r}"
        )
        try:
            found = search_mappings(einsum, shapes, arch, method="random", objective=objective, samples=20000, seed=0,
                                    weights=weights, residency=residency, problem=model.problem)
        except InfeasibleMappingError:
            found = None
        if found is not None and constraints is not None and constraints.violations(found.mapping):
            found = None  # the random search does not know the constraints: its mapping breaks one
        if found is not None and fallback:
            return MapResult(found.mapping, found.report, "fallback", None, objective, found.objective_value, solver,
                             time.perf_counter() - start, found.evaluated, tuple(notes) + (message, "returned a random-search mapping (seed 0)"))
        raise InfeasibleMappingError(message + ("; the best random-search mapping is attached" if found else ""), best=found)
    if refine:
        # refine the ILP's mapping and the heuristic start alike; keep the better (the ILP's on ties)
        starts = [best]
        if seed is not None:
            heuristic = _fixed_orders(batch_from_factors(np.array(seed[0])[None], ilp.family[np.array(seed[1])][None]).mapping(0, p),
                                      constraints)
            if constraints is None or not constraints.violations(heuristic):
                starts.append(heuristic)
        finals = []
        for cand in starts:
            for step in (refine_orders, polish):
                cand, n = step(model, cand, objective)
                evaluated += n
            finals.append(cand)
        values = model.score(batch_from_factors(*map(np.stack, zip(*[factors_of(m) for m in finals])))).objective(objective)
        best = finals[int(np.argmin(values))]
        if int(np.argmin(values)) > 0:
            notes.append("the refined heuristic start beat the refined ILP mapping")
    broken = constraints.violations(best) if constraints is not None else []
    if broken:
        raise InfeasibleMappingError(f"no mapping of Einsum {p.einsum!r} on {p.arch!r} found within the constraints "
                                     f"({constraints.source}): {'; '.join(broken)}")
    if constraints is not None and not constraints.empty:
        notes.append(f"within the constraints of {constraints.source}")
    report = report_for(model, best)
    return MapResult(
        mapping=best, report=report, status=status, gap=gap, objective=objective,
        objective_value=objective_of(report, objective), solver=solver, solve_seconds=time.perf_counter() - start,
        evaluated=evaluated, notes=tuple(notes),
    )
