"""Predict measured rows with either model and compare: error per row, median and max.

The plan for a row is the fastest candidate under the closed-form model (for
GEMMs: the tiling and split-K that cuBLAS-style heuristics aim for); the
chosen plan is then timed by the model asked for.  Each prediction carries a
:class:`sim.Report` (cycles by cause at the chip clock, the per-CTA mappings,
provenance); energy and accesses are not modelled here and stay empty.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sim import Report

from ._analytical import KernelTime, plan_time
from ._errors import CalibrationError
from ._gpu import PRECISIONS, GPUModel, device_gpu
from ._knobs import Knobs
from ._measurements import Measurement, MeasurementSet
from ._plan import KernelPlan, candidate_plans
from ._simpy import simulate_plan

__all__ = ["MODELS", "Prediction", "ComparisonRow", "Summary", "Comparison", "predict", "compare", "in_goal", "shape_key",
           "gpus_of"]

#: The two models: the closed form and the SimPy event simulation.
MODELS: tuple[str, ...] = ("analytical", "simpy")
_SIMULATOR = {"analytical": "analytical", "simpy": "cycle"}


@dataclass(frozen=True)
class Prediction:
    """One row predicted by one model.

    Parameters
    ----------
    measurement : Measurement
    model : str
    seconds : float
    plan : KernelPlan
    report : sim.Report
    """

    measurement: Measurement
    model: str
    seconds: float
    plan: KernelPlan
    report: Report

    @property
    def rel_error(self) -> float:
        """``(predicted - measured) / measured``."""
        return (self.seconds - self.measurement.seconds) / self.measurement.seconds


def _check_model(model: str) -> None:
    if model not in MODELS:
        raise CalibrationError(f"model must be one of {MODELS!r}, not {model!r}")


def best_plan(m: Measurement, gpu: GPUModel, knobs: Knobs) -> tuple[KernelPlan, KernelTime]:
    """The fastest candidate plan of ``m`` under the closed-form model, with its time."""
    best: tuple[KernelPlan, KernelTime] | None = None
    for plan in candidate_plans(m, gpu, knobs):
        t = plan_time(plan, gpu, knobs)
        if best is None or t.seconds < best[1].seconds:
            best = (plan, t)
    assert best is not None  # candidate_plans never returns an empty tuple
    return best


def _report(plan: KernelPlan, t: KernelTime, model: str, gpu: GPUModel, knobs: Knobs) -> Report:
    clock = gpu.clock_hz
    macs = sum(k.macs for k in plan.kernels)
    ctas = max(k.ctas for k in plan.kernels)
    return Report(
        name=plan.measurement.label,
        simulator=_SIMULATOR[model],
        arch=gpu.arch.name,
        clock_mhz=gpu.arch.clock_mhz,
        total_cycles=t.seconds * clock,
        cycles_by_cause=(("compute", t.compute * clock), ("bandwidth_stall.dram", t.bandwidth_stall * clock),
                         ("fill_drain", t.fill_drain * clock)),
        energy=(),
        accesses=(),
        macs=macs,
        ops=macs,
        peak_ops_per_cycle=gpu.arch.peak_macs_per_cycle * PRECISIONS[plan.precision].rate_ratio,
        spatial_utilization=min(1.0, ctas / gpu.sms),
        mappings=tuple(mp for k in plan.kernels for mp in k.mappings),
        provenance=(("model", f"accel.calibrate {model}"), ("plan", plan.description),
                    ("kernels", "; ".join(f"{k.name} ({k.ctas} CTAs)" for k in plan.kernels)),
                    *(("knobs." + k, v) for k, v in knobs.provenance)),
    )


def predict(m: Measurement, gpu: GPUModel, knobs: Knobs, model: str = "analytical") -> Prediction:
    """Predict the time of one measured row.

    Parameters
    ----------
    m : Measurement
    gpu : GPUModel
    knobs : Knobs
    model : str
        ``'analytical'`` or ``'simpy'``.

    Raises
    ------
    CalibrationError
        For an unknown model, or a row whose operator or backend the model lacks.
    """
    _check_model(model)
    plan, t = best_plan(m, gpu, knobs)
    if model == "simpy":
        t = simulate_plan(plan, gpu, knobs)
    return Prediction(m, model, t.seconds, plan, _report(plan, t, model, gpu, knobs))


def shape_key(m: Measurement, knobs: Knobs) -> tuple:
    """What a row measures, independent of the file (attention backend resolved)."""
    params = dict(m.params)
    if m.kind == "attention_bf16":
        params["backend"] = params.get("backend") or knobs.attention_default_backend
    return (m.kind, tuple(sorted(params.items())))


def in_goal(m: Measurement) -> bool:
    """Whether a row is in the issue's goal set: GEMM m x 4096 x 4096 (m <= 16384) or attention of 512 to 32K tokens."""
    if m.kind.startswith("gemm_"):
        return m.get("n") == 4096 and m.get("k") == 4096 and 1 <= m.get("m") <= 16384
    if m.kind == "attention_bf16":
        return 512 <= m.get("s") <= 32768
    return False


@dataclass(frozen=True)
class ComparisonRow:
    """A row's prediction against its measurement.

    Parameters
    ----------
    prediction : Prediction
    split : str
        ``'calibration'`` (fitted on), ``'repeat'`` (a shape fitted on, measured
        again in another file) or ``'held-out'`` (a shape the fit never saw).
    goal : bool
        In the issue's goal set (:func:`in_goal`).
    device : str
        The GPU model's name (``'h100'``, ``'h200'``).
    """

    prediction: Prediction
    split: str
    goal: bool
    device: str = ""

    @property
    def measurement(self) -> Measurement:
        """The measured row."""
        return self.prediction.measurement

    @property
    def rel_error(self) -> float:
        """Relative error of the prediction."""
        return self.prediction.rel_error


@dataclass(frozen=True)
class Summary:
    """Median and max absolute relative error of a group of rows.

    Parameters
    ----------
    model, split, scope : str
        The group: model, ``'all'``/``'calibration'``/``'held-out'``/``'repeat'``,
        and ``'all rows'`` or ``'goal rows'``.
    count : int
    median_abs, max_abs : float
    worst : str
        Label of the row with the largest error.
    device : str
        ``'all'`` or one GPU model's name.
    """

    model: str
    split: str
    scope: str
    count: int
    median_abs: float
    max_abs: float
    worst: str
    device: str = "all"


@dataclass(frozen=True)
class Comparison:
    """Every row under every model, and the summaries."""

    rows: tuple[ComparisonRow, ...]
    summaries: tuple[Summary, ...]

    def summary(self, model: str, split: str = "all", scope: str = "all rows", device: str = "all") -> Summary | None:
        """The summary of one group (``None`` when it has no rows)."""
        for s in self.summaries:
            if (s.model, s.split, s.scope, s.device) == (model, split, scope, device):
                return s
        return None


def _summaries(rows: Sequence[ComparisonRow], models: Sequence[str]) -> tuple[Summary, ...]:
    out = []
    names = sorted({r.device for r in rows})
    devices = ["all"] + names if len(names) > 1 else ["all"]
    for device in devices:
        for model in models:
            for split in ("all", "calibration", "repeat", "held-out"):
                for scope in ("all rows", "goal rows"):
                    group = [r for r in rows if r.prediction.model == model and split in ("all", r.split)
                             and (scope == "all rows" or r.goal) and device in ("all", r.device)]
                    if not group:
                        continue
                    errs = [abs(r.rel_error) for r in group]
                    worst = max(group, key=lambda r: abs(r.rel_error))
                    out.append(Summary(model, split, scope, len(group), statistics.median(errs), max(errs),
                                       f"{worst.measurement.where}: {worst.measurement.label}", device))
    return tuple(out)


def calibration_keys(knobs: Knobs) -> set[tuple[str, int]]:
    """``(file, row)`` of the rows the knobs were fitted on (from their provenance)."""
    text = dict(knobs.provenance).get("calibration_rows", "")
    keys = set()
    for item in filter(None, (x.strip() for x in text.split(";"))):
        source, _, row = item.rpartition("#")
        if source and row.isdigit():
            keys.add((source, int(row)))
    return keys


def gpus_of(sets: Iterable[MeasurementSet], gpu: GPUModel | None = None) -> dict[str, GPUModel]:
    """The GPU of every file: ``gpu`` for all, or (``None``) each file's own device (:func:`device_gpu`).

    Raises
    ------
    CalibrationError
        For a file whose device is not modelled, naming the file and the device.
    """
    return {s.source: gpu if gpu is not None else device_gpu(s.device, s.source) for s in sets}


def compare(sets: Iterable[MeasurementSet], gpu: GPUModel | None, knobs: Knobs, models: Sequence[str] = MODELS) -> Comparison:
    """Predict every row of ``sets`` with every model in ``models``.

    Parameters
    ----------
    sets : iterable of MeasurementSet
    gpu : GPUModel or None
        The GPU for every file, or ``None``: each file's own device (``device`` field).
    knobs : Knobs
        Their provenance names the calibration rows (see :func:`accel.calibrate.fit_knobs`).
    models : sequence of str

    Raises
    ------
    CalibrationError
        For an unknown model, a file from a device that is not modelled, or a row the
        model lacks (naming the row).
    """
    models = tuple(models)
    for model in models:
        _check_model(model)
    sets = list(sets)
    gpus = gpus_of(sets, gpu)
    fitted = calibration_keys(knobs)
    measurements = [m for s in sets for m in s.rows]
    # A repeat is a fitted shape measured again on the same GPU; on another GPU it is unseen.
    seen = {(gpus[m.source].arch.name, shape_key(m, knobs)) for m in measurements if (m.source, m.row) in fitted}
    rows = []
    for model in models:
        for m in measurements:
            if (m.source, m.row) in fitted:
                split = "calibration"
            else:
                split = "repeat" if (gpus[m.source].arch.name, shape_key(m, knobs)) in seen else "held-out"
            rows.append(ComparisonRow(predict(m, gpus[m.source], knobs, model), split, in_goal(m), gpus[m.source].arch.name))
    return Comparison(tuple(rows), _summaries(rows, models))
