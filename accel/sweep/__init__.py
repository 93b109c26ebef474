"""accel.sweep: design-space sweeps that survive interruption and scale past one machine.

A sweep spec (YAML: base architecture, axes by dotted path, workloads,
sampling, mapping options) is validated into a :class:`SweepSpec`;
:func:`run_sweep` plans its (design point, workload) pairs, keys each by a
content hash, and evaluates the pending ones on Dask, writing every result to
a SQLite :class:`ResultStore` as it arrives, so :func:`resume_sweep` picks up
a killed sweep with nothing lost and nothing computed twice.
:func:`results_frame` / :func:`export` give the results as a table
(Parquet/CSV); :func:`pareto_mask` finds the (latency, energy, area) front;
:func:`plot_pareto`, :func:`plot_energy_breakdown` and :func:`plot_roofline`
write PNGs.
"""

from ._axes import Axis
from ._errors import ResultsError, SchedulerError, StoreError, SweepArgumentError, SweepSpecError
from ._evaluate import METRICS, STATUSES, PointResult, PointTask, evaluate_point
from ._export import export, results_frame
from ._hash import canonical_json, content_hash, source_digest, tool_version
from ._options import MappingOptions, WorkloadSpec
from ._pareto import pareto_front, pareto_mask
from ._plan import plan
from ._plots import plot_energy_breakdown, plot_pareto, plot_roofline
from ._runner import RunSummary, resume_sweep, run_sweep, spec_from_store, store_status
from ._sampling import DesignPoint, sample
from ._spec import OBJECTIVES, Sampling, SweepSpec, load_spec, parse_spec
from ._store import ResultStore

__all__ = [
    "SweepSpec",
    "Sampling",
    "Axis",
    "MappingOptions",
    "WorkloadSpec",
    "DesignPoint",
    "PointTask",
    "PointResult",
    "RunSummary",
    "ResultStore",
    "SweepSpecError",
    "StoreError",
    "SchedulerError",
    "ResultsError",
    "SweepArgumentError",
    "OBJECTIVES",
    "METRICS",
    "STATUSES",
    "load_spec",
    "parse_spec",
    "sample",
    "plan",
    "evaluate_point",
    "run_sweep",
    "resume_sweep",
    "store_status",
    "spec_from_store",
    "results_frame",
    "export",
    "pareto_mask",
    "pareto_front",
    "plot_pareto",
    "plot_energy_breakdown",
    "plot_roofline",
    "content_hash",
    "canonical_json",
    "tool_version",
    "source_digest",
]
