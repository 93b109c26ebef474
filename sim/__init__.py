"""Simulation: what a mapped workload costs.

:class:`Report` is the one result type of both simulators (the analytical
model in :mod:`sim.analytical` and the cycle-level one); :func:`combine` sums
the reports of a cascade's Einsums.
"""

# --- shared report and analytical model (issue 5) --------------------------
from ._report import CAUSES, EnergyItem, Report, ReportError, TensorAccesses, combine
from ._residency import Residency, schedule_residency
from . import analytical

__all__ = ["Report", "EnergyItem", "TensorAccesses", "ReportError", "CAUSES", "combine", "analytical", "Residency",
           "schedule_residency"]
# --- end of analytical block ------------------------------------------------

# --- cycle-level simulator (issue 7) ----------------------------------------
from . import cycle  # noqa: E402

__all__ += ["cycle"]
# --- end of cycle-level block -----------------------------------------------
