"""Running CBC or HiGHS on a built model and reading status, objective, bound and gap."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass

import pulp

from ..search._solvers import SOLVERS, quiet_highs


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver said: ``status`` is ``optimal``, ``time-limit``, ``infeasible`` or ``error``."""

    status: str
    has_solution: bool
    objective: float | None
    bound: float | None


class _WarmHiGHS(pulp.HiGHS):
    """PuLP's highspy interface, handing the variables' initial values to HiGHS as a start."""

    def callSolver(self, lp):  # noqa: N802 - PuLP's name
        import highspy

        if self.optionsDict.get("warmStart"):
            values = [0.0] * lp.solverModel.getNumCol()
            given = False
            for var in lp.variables():
                if var.varValue is not None:
                    values[var.index] = float(var.varValue)
                    given = True
            if given:
                solution = highspy.HighsSolution()
                solution.col_value = values
                lp.solverModel.setSolution(solution)
        lp.solverModel.run()


def solve(problem: pulp.LpProblem, solver: str, time_limit: float, threads: int, warm: bool) -> SolveOutcome:
    """Solve ``problem`` in place (variable values are set) and report the outcome.

    Parameters
    ----------
    problem:
        The model.
    solver:
        ``"cbc"`` or ``"highs"``.
    time_limit:
        Seconds.
    threads:
        Solver threads.
    warm:
        Pass the variables' initial values as a starting solution.

    Raises
    ------
    ValueError
        If ``solver`` is unknown or ``time_limit`` is not positive.
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, not {solver!r}")
    if not time_limit > 0:
        raise ValueError(f"time limit must be positive seconds, not {time_limit!r}")
    run = _solve_cbc if solver == "cbc" else _solve_highs
    try:
        return run(problem, time_limit, threads, warm)
    except pulp.PulpSolverError:
        if not warm:
            return SolveOutcome("error", False, None, None)
    # CBC occasionally dies while processing a start near its time limit: try once without it
    try:
        return run(problem, time_limit, threads, False)
    except pulp.PulpSolverError:
        return SolveOutcome("error", False, None, None)


def _solve_cbc(problem: pulp.LpProblem, time_limit: float, threads: int, warm: bool) -> SolveOutcome:
    with tempfile.TemporaryDirectory(prefix="cosma_cbc_") as folder:
        log = os.path.join(folder, "cbc.log")
        cmd = pulp.PULP_CBC_CMD(
            msg=False, timeLimit=max(1, round(time_limit)), threads=threads, warmStart=warm, logPath=log,
            keepFiles=False,
        )
        problem.solve(cmd)
        with open(log) as handle:
            text = handle.read()
    has = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    objective = pulp.value(problem.objective) if has else None
    if objective is None and has:
        objective = 0.0
    if problem.status == pulp.LpStatusInfeasible or "Result - Problem proven infeasible" in text:
        return SolveOutcome("infeasible", False, None, None)
    optimal = problem.sol_status == pulp.LpSolutionOptimal and "Result - Optimal solution found" in text
    bound = _number(text, r"Lower bound:\s*(-?[\d.eE+-]+)")
    if bound is not None:
        bound += _constant(problem)
    if optimal:
        bound = objective
    return SolveOutcome("optimal" if optimal else "time-limit", has, objective, bound)


def _solve_highs(problem: pulp.LpProblem, time_limit: float, threads: int, warm: bool) -> SolveOutcome:
    quiet_highs()
    cmd = _WarmHiGHS(msg=False, timeLimit=time_limit, threads=threads, warmStart=warm)
    problem.solve(cmd)
    model = problem.solverModel
    import highspy

    status = model.getModelStatus()
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return SolveOutcome("infeasible", False, None, None)
    info = model.getInfo()
    has = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) and info.primal_solution_status == 2
    objective = pulp.value(problem.objective) if has else None
    if objective is None and has:
        objective = 0.0
    bound = float(info.mip_dual_bound)
    if bound != bound or abs(bound) == float("inf"):
        bound = None
    else:
        bound += _constant(problem)
    optimal = status == highspy.HighsModelStatus.kOptimal
    if optimal and objective is not None:
        bound = objective if bound is None else min(bound, objective)
    return SolveOutcome("optimal" if optimal else "time-limit", has, objective, bound)


def _number(text: str, pattern: str) -> float | None:
    found = re.findall(pattern, text)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None


def _constant(problem: pulp.LpProblem) -> float:
    """The objective's constant term, which PuLP keeps out of the solver's figures."""
    return float(problem.objective.constant) if problem.objective is not None else 0.0
