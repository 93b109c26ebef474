"""What a mapper returns.

The report a result carries is the simulators' (``sim.Report``), which sits a layer above this one: a
:class:`MapResult` is generic in it, and :class:`CostReport` is what this layer reads of one, so the searches
(above the simulators) return ``MapResult[sim.Report]`` without this module importing ``sim``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from accel.arch import JsonObject

from ._mapping import Mapping

__all__ = ["MapResult", "CostReport", "OBJECTIVES", "objective_of"]

#: Objectives the mappers minimize (EDP is pJ x cycles).
OBJECTIVES: tuple[str, ...] = ("edp", "latency", "energy")


class CostReport(Protocol):
    """What the mapping layer reads of a simulator's report (``sim.Report`` is one)."""

    @property
    def total_cycles(self) -> float:
        """Cycles, in total."""

    @property
    def energy_pj(self) -> float:
        """Energy, in pJ."""

    @property
    def edp(self) -> float:
        """Energy-delay product, in pJ x cycles."""

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready)."""


#: The report type a :class:`MapResult` carries.
ReportT = TypeVar("ReportT", bound=CostReport)


def objective_of(report: CostReport, objective: str) -> float:
    """``objective`` of a ``sim.Report``: EDP in pJ x cycles, latency in cycles, energy in pJ."""
    return {"edp": report.edp, "latency": report.total_cycles, "energy": report.energy_pj}[objective]


@dataclass(frozen=True)
class MapResult(Generic[ReportT]):
    """The mapping a mapper chose and how it got there.

    Parameters
    ----------
    mapping : Mapping
    report : sim.Report
        The analytical model's report of ``mapping`` (the type parameter; any :class:`CostReport`).
    status : str
        ``'optimal'`` (the ILP proved its optimum), ``'feasible'`` (time limit,
        incumbent returned), ``'exhaustive'`` (every mapping of the space scored),
        ``'sampled'`` (random search), ``'vector'`` (element-wise Einsum mapped
        without a solver).
    gap : float or None
        Relative MIP gap the solver reported on the ILP's own objective (log2
        cycles for latency and EDP, linear energy for energy); within the
        stopping tolerance when ``'optimal'``; None for searches.
    objective : str
        ``'edp'``, ``'latency'`` or ``'energy'``.
    objective_value : float
        That objective of ``mapping`` under the exact analytical model.
    solver : str
        ``'cbc'``, ``'highs'``, ``'exhaustive'`` or ``'random'``.
    solve_seconds : float
        Wall time of the whole call.
    evaluated : int
        Mappings scored by the analytical model.
    notes : tuple of str
        Anything the caller should know (fallbacks, ILP objective, time-outs).
    """

    mapping: Mapping
    report: ReportT
    status: str
    gap: float | None
    objective: str
    objective_value: float
    solver: str
    solve_seconds: float
    evaluated: int = 0
    notes: tuple[str, ...] = ()

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready)."""
        return {
            "mapping": self.mapping.to_dict(),
            "report": self.report.to_dict(),
            "status": self.status,
            "gap": self.gap,
            "objective": self.objective,
            "objective_value": self.objective_value,
            "solver": self.solver,
            "solve_seconds": self.solve_seconds,
            "evaluated": self.evaluated,
            "notes": list(self.notes),
        }
