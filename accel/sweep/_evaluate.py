"""Evaluate one design point: derive the architecture, map every Einsum, score it, measure its area.

This is what a worker runs.  A :class:`PointTask` carries plain data only
(the architecture as :func:`accel.to_dict` writes it, the cascade as YAML
text), so it pickles cheaply to Dask workers on any machine.

* Pipeline: every point goes through :func:`accel.pipeline.run`, the one
  orchestration the CLI uses too, with :func:`pipeline_options` built from the
  spec's ``mapping`` section.
* Mapping: every Einsum of the workload is mapped with a seeded random search
  scored by the analytical model (``mapper: search``) or the CoSA-style ILP
  (``mapper: ilp``, falling back to a seeded search where the ILP finds
  nothing); repeated layers are mapped once.  With ``simulator: cycle`` the
  mapped cascade is run by the SimPy cycle-level simulator (no trace), which
  is slower: for small sweeps.
* Schedule: by default every Einsum reads its inputs from DRAM and writes
  its outputs there; with ``mapping: {schedule: greedy-belady}`` (or
  another COSMA method) the cascade is scheduled on the outermost on-chip
  level before mapping, every Einsum is mapped for the traffic the schedule
  leaves it, and both simulators price what the schedule keeps on chip
  (:func:`sim.analytical.evaluate_cascade`); a cascade that cannot be
  scheduled there is ``'infeasible'`` with the scheduler's reason.
* Area: computed once per design when the sweep is planned (see
  :mod:`accel.sweep._area`) and carried by the task.
* A workload that does not fit a design point (no legal mapping) is a result
  with status ``'infeasible'`` and the mapper's reason; an architecture
  variant the spec validator rejects is ``'invalid'``; an unexpected failure
  is ``'error'`` with its message.  None of them stops the sweep.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from accel.arch import JsonObject, YamlValue

from ._axes import Change
from ._options import MappingOptions

if TYPE_CHECKING:
    from accel.arch import Architecture
    from accel.pipeline import Options
    from dataflow import Cascade
    from sim import Report

__all__ = ["PointTask", "PointResult", "evaluate_point", "STATUSES", "METRICS"]

#: Result statuses.
STATUSES: tuple[str, ...] = ("ok", "infeasible", "invalid", "error")
#: Numeric metrics of an ``'ok'`` result (store columns, export columns).
METRICS: tuple[str, ...] = (
    "latency_cycles", "latency_s", "energy_pj", "area_mm2", "edp", "utilization", "spatial_utilization",
    "macs", "ops", "dram_bytes", "peak_ops_per_s", "dram_bytes_per_s",
)


@dataclass(frozen=True)
class PointTask:
    """One (design point, workload) pair to evaluate.

    Parameters
    ----------
    key : str
        Content hash of the pair (see :mod:`accel.sweep._hash`).
    design : int
        Index of the design point in the sweep.
    workload : str
        Workload label.
    changes : tuple of (str, YamlValue)
        Dotted path -> value applied to the base.
    labels : tuple of (str, YamlValue)
        Axis name -> display value.
    arch : dict or None
        The derived architecture as plain data; ``None`` when it is invalid.
    workload_text : str
        The cascade as YAML.
    mapping : MappingOptions
    simulator : str
    invalid_reason : str
        Why the derived architecture is invalid (empty when it is valid).
    area : tuple of (str, float)
        mm^2 per component of the design (empty when it is invalid).
    fpga : tuple of (str, int)
        With ``area: rtl``: the synthesized PE array's FPGA resources
        (:func:`accel.sweep._area.design_fpga`; empty otherwise).
    """

    key: str
    design: int
    workload: str
    changes: tuple[Change, ...]
    labels: tuple[tuple[str, YamlValue], ...]
    arch: JsonObject | None
    workload_text: str
    mapping: MappingOptions
    simulator: str = "analytical"
    invalid_reason: str = ""
    area: tuple[tuple[str, float], ...] = ()
    fpga: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class PointResult:
    """What one evaluation produced.

    Parameters
    ----------
    key : str
        The task's content hash.
    status : str
        One of :data:`STATUSES`.
    reason : str
        Why the point is not ``'ok'`` (empty when it is).
    metrics : tuple of (str, float)
        :data:`METRICS` of an ``'ok'`` point, in that order (empty otherwise).
    energy_breakdown : tuple of (str, float)
        pJ per component (``mac``, ``rf``, levels, ``dram``, ``noc``, ``vector``).
    area_breakdown : tuple of (str, float)
        mm^2 per component.
    cycles_by_cause : tuple of (str, float)
    report : str
        The full :meth:`sim.Report.to_dict` as JSON (empty when not ``'ok'``).
    seconds : float
        Wall time of the evaluation (not part of the result's identity).
    """

    key: str
    status: str
    reason: str = ""
    metrics: tuple[tuple[str, float], ...] = ()
    energy_breakdown: tuple[tuple[str, float], ...] = ()
    area_breakdown: tuple[tuple[str, float], ...] = ()
    cycles_by_cause: tuple[tuple[str, float], ...] = ()
    report: str = ""
    seconds: float = field(default=0.0, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"result status must be one of {STATUSES!r}, not {self.status!r}")

    def metric(self, name: str) -> float | None:
        """Metric ``name``, or ``None`` when the point has no metrics."""
        return dict(self.metrics).get(name)


@functools.lru_cache(maxsize=16)
def _cascade(text: str) -> Cascade:
    from dataflow import loads_cascade

    return loads_cascade(text, source="<sweep workload>")


def pipeline_options(options: MappingOptions, simulator: str) -> Options:
    """The pipeline's :class:`accel.pipeline.Options` for a sweep's mapping section and simulator.

    A scheduled sweep maps every Einsum for its schedule; the section's one ``time_limit`` bounds both the
    mapper's and the scheduler's ILP.
    """
    from accel.pipeline import Options

    return Options(objective=options.objective, mapper=options.mapper, solver=options.solver,
                   time_limit=options.time_limit, samples=options.samples, seed=options.seed,
                   scheduler=options.schedule, schedule_time_limit=options.time_limit,
                   map_for_schedule=options.schedule != "none", simulator=simulator, fusion=options.fusion)


def _map_report(cascade: Cascade, arch: Architecture, options: MappingOptions, simulator: str) -> Report:
    from accel.pipeline import run

    return run(cascade, arch, pipeline_options(options, simulator)).report.total


def _result(task: PointTask, arch: Architecture, report: Report, seconds: float) -> PointResult:
    dram_bytes = sum(e.count for e in report.energy if e.component == "dram" and e.per == "byte")
    metrics = (
        ("latency_cycles", float(report.total_cycles)),
        ("latency_s", float(report.seconds)),
        ("energy_pj", float(report.energy_pj)),
        ("area_mm2", float(sum(mm2 for _, mm2 in task.area))),
        ("edp", float(report.edp)),
        ("utilization", float(report.utilization)),
        ("spatial_utilization", float(report.spatial_utilization)),
        ("macs", float(report.macs)),
        ("ops", float(report.ops)),
        ("dram_bytes", float(dram_bytes)),
        # One op is one MAC or one element-wise operation, as sim.Report counts ops.
        ("peak_ops_per_s", float(arch.peak_macs_per_cycle * arch.clock_hz)),
        ("dram_bytes_per_s", float(arch.dram_bytes_per_second)),
    )
    return PointResult(
        key=task.key,
        status="ok",
        metrics=metrics,
        energy_breakdown=tuple(sorted(report.energy_by_component().items())),
        area_breakdown=tuple(task.area),
        cycles_by_cause=tuple(report.cycles_by_cause),
        report=json.dumps(report.to_dict(), sort_keys=True, default=str),
        seconds=seconds,
    )


def evaluate_point(task: PointTask) -> PointResult:
    """Evaluate ``task``; never raises for a point that fails, records why instead.

    Parameters
    ----------
    task : PointTask

    Raises
    ------
    TypeError
        If ``task`` is not a :class:`PointTask`.
    """
    if not isinstance(task, PointTask):
        raise TypeError(f"evaluate_point takes a PointTask, not {task!r}")
    start = time.perf_counter()
    if task.arch is None:
        return PointResult(task.key, "invalid", task.invalid_reason, seconds=time.perf_counter() - start)
    from accel import parse_architecture
    from mapping import InfeasibleMappingError
    from memory import InfeasibleScheduleError

    try:
        arch = parse_architecture(task.arch, source=f"design {task.design}")
        report = _map_report(_cascade(task.workload_text), arch, task.mapping, task.simulator)
        return _result(task, arch, report, time.perf_counter() - start)
    except (InfeasibleMappingError, InfeasibleScheduleError) as exc:
        return PointResult(task.key, "infeasible", str(exc), seconds=time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - one bad point must not stop a sweep; the reason is kept
        return PointResult(task.key, "error", f"{type(exc).__name__}: {exc}", seconds=time.perf_counter() - start)
