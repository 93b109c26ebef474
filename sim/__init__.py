"""Simulation: what a mapped workload costs.

:class:`Report` is the one result type of both simulators (the analytical
model in :mod:`sim.analytical` and the cycle-level one); :func:`combine` sums
the reports of a cascade's Einsums.
"""

from ._report import CAUSES, CascadeReport, EnergyItem, Report, ReportError, TensorAccesses, combine
from ._group import InPlace, in_place
from . import analytical

from . import cycle

#: The two simulators: the vectorized analytical model and the SimPy cycle-level one.
SIMULATORS: tuple[str, ...] = ("analytical", "cycle")

__all__ = ["SIMULATORS", "CascadeReport", "Report", "EnergyItem", "TensorAccesses", "ReportError", "CAUSES", "combine", "InPlace", "in_place",
           "analytical", "cycle"]
