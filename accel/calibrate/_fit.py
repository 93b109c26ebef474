"""Fit the knobs: least squares on log(predicted / measured) over calibration rows.

``scipy.optimize.least_squares`` (trust-region reflective, bounded, finite
differences) from fixed starting values: no random draws, so a fit of the
same rows is the same every time.  The closed-form model is fitted (it is the
one fast enough to call inside the optimizer); the SimPy model then uses the
same knobs.  The loss is soft-L1 with a 10% scale, so one odd row (the
reference's FP8 1024^3 GEMM is 2.9x our measurement of the same shape) cannot
drag every knob.  A fraction no calibration row depends on (a kernel family
with no calibration row) is not fitted and keeps its starting value; the
provenance says which.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy.optimize import least_squares

from ._analytical import plan_time
from ._errors import CalibrationError
from ._gpu import DEVICES, GPUModel, device_gpu
from ._knobs import FAMILIES, Knobs, default_knobs
from ._measurements import Measurement, MeasurementSet
from ._plan import candidate_plans

__all__ = ["fit_knobs", "select_calibration", "EXTRA_CALIBRATION", "REFERENCE_FILE"]

#: The shared reference measurements, the default calibration set.
REFERENCE_FILE = "h100_calibration.json"
#: Rows added from other files: the reference has no FlashAttention-2 row (its
#: attention ran on cuDNN), so one flash row fits that backend's fraction; no
#: soft-max row long enough for the multi-pass kernel, so one 32K-column row
#: shows a row kernel waiting on its loads; no row kernel with few warps resident
#: (its soft-max rows hold two 1024-thread blocks per SM), so one 8192-column row
#: (one block per SM: 37 registers per thread) fits ``issue_warps``; and no kernel
#: short enough to show the launch overhead alone, so one 2 MB copy (a few
#: microseconds) pins it.
EXTRA_CALIBRATION: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = (
    ("attention_bf16", (("backend", "flash"), ("s", 4096), ("causal", False), ("d", 128))),
    ("softmax_bf16", (("rows", 1024), ("cols", 32768))),
    ("softmax_bf16", (("rows", 8192), ("cols", 8192))),
    ("copy", (("bytes", 2097152),)),
)

_LOW = [0.05] * len(FAMILIES) + [0.3, 5.0, 0.0, 0.0, 0.2, 0.0, 1.0]
_HIGH = [1.0] * len(FAMILIES) + [1.0, 5000.0, 50.0, 50.0, 1.0, 50.0, 64.0]
_F_SCALE = 0.1  # soft-L1 loss: residuals beyond ~10% count linearly, so one odd row cannot drag every knob


def _same_shape(a: Measurement, b: Measurement) -> bool:
    pa, pb = dict(a.params), dict(b.params)
    if a.kind == "attention_bf16":  # a row naming no backend ran on the default, cuDNN
        pa.setdefault("backend", "cudnn")
        pb.setdefault("backend", "cudnn")
    return a.kind == b.kind and pa == pb


def select_calibration(sets: Iterable[MeasurementSet], reference: str = REFERENCE_FILE,
                       extra: Sequence[tuple[str, tuple[tuple[str, object], ...]]] = EXTRA_CALIBRATION,
                       joint: bool = False, lowest: bool = True) -> list[Measurement]:
    """The calibration rows: H100 rows only, unless ``joint``.

    The H100 rows are every row of the file named ``reference`` plus the rows
    ``extra`` selects, both from files measured on an H100 (:data:`DEVICES`).
    With ``lowest``, a shape measured more than once on the H100 (the reference's
    rows measured again in our H100 file) is fitted on its lowest measurement, the
    rule every row of the H200 file follows (the lowest of 3 to 6 runs: interference
    on the host only ever slows a run down); the other measurements stay repeats.
    With ``joint``, rows measured on any other modelled GPU with the shape of one
    of those rows join them (the same operators, fitted on both devices at once);
    every other row stays unseen.

    Parameters
    ----------
    sets : iterable of MeasurementSet
    reference : str
        File name (as in :attr:`Measurement.source`).
    extra : sequence of (kind, ((field, value), ...))
        Rows of other H100 files with that kind and those field values.
    joint : bool
    lowest : bool

    Raises
    ------
    CalibrationError
        If no row is selected, or a file's device is not modelled.
    """
    sets = list(sets)
    for s in sets:
        device_gpu(s.device, s.source)  # an unknown device is an error here too
    rows = []
    for s in sets:
        if DEVICES[s.device] != "h100":
            continue
        for m in s.rows:
            if m.source == reference or any(m.kind == kind and all(m.get(k) == v for k, v in fields) for kind, fields in extra):
                rows.append(m)
    if not rows:
        raise CalibrationError(f"no calibration rows: no H100 file named {reference!r} and no H100 row matching {list(extra)!r}")
    if lowest:
        h100_rows = [m for s in sets if DEVICES[s.device] == "h100" for m in s.rows]
        chosen: list[Measurement] = []
        for m in rows:
            best = min((o for o in h100_rows if _same_shape(o, m)), key=lambda o: o.ms)
            if best not in chosen:
                chosen.append(best)
        rows = chosen
    if joint:
        h100 = list(rows)
        for s in sets:
            if DEVICES[s.device] != "h100":
                rows.extend(m for m in s.rows if any(_same_shape(m, c) for c in h100))
    return rows


def fit_knobs(rows: Sequence[Measurement], gpu: GPUModel | Mapping[str, GPUModel], start: Knobs | None = None,
              fitted_on: str = "unknown") -> Knobs:
    """Fit the knobs to ``rows`` (see the module docstring).

    Parameters
    ----------
    rows : sequence of Measurement
        Calibration rows.
    gpu : GPUModel or mapping of file name to GPUModel
        The GPU every row ran on, or per file (:attr:`Measurement.source`) when the rows
        come from several devices.
    start : Knobs, optional
        Starting values (default :func:`default_knobs`).
    fitted_on : str
        Date recorded in the provenance (the caller supplies it; no clock is read here).

    Raises
    ------
    CalibrationError
        For no rows, or a row the model lacks.
    """
    rows = list(rows)
    if not rows:
        raise CalibrationError("fit_knobs needs at least one calibration row, got none")
    start = default_knobs() if start is None else start
    gpus = [_gpu_of(gpu, m) for m in rows]
    plans = [candidate_plans(m, g, start) for m, g in zip(rows, gpus)]
    measured = np.array([m.seconds for m in rows])
    used = {k.family for cands in plans for p in cands for k in p.kernels if k.family}
    unfitted = [f for f in FAMILIES if f not in used]
    base = np.clip(np.array(start.vector()), _LOW, _HIGH)
    free = np.array([i for i in range(len(base)) if i >= len(FAMILIES) or FAMILIES[i] not in unfitted])

    def full(x: np.ndarray) -> np.ndarray:
        v = base.copy()
        v[free] = x
        return v

    def residuals(x: np.ndarray) -> np.ndarray:
        knobs = start.with_vector(full(x))
        pred = [min(plan_time(p, g, knobs).seconds for p in cands) for cands, g in zip(plans, gpus)]
        return np.log(np.array(pred) / measured)

    x0 = base[free]
    low, high = np.array(_LOW)[free], np.array(_HIGH)[free]
    result = least_squares(residuals, x0, bounds=(low, high), method="trf", loss="soft_l1", f_scale=_F_SCALE,
                           x_scale=np.maximum(x0, 0.1), diff_step=1e-3)
    rms = math.sqrt(float(np.mean(result.fun ** 2)))
    provenance = (
        ("fitted_on", fitted_on),
        ("model", "analytical"),
        ("method", "scipy.optimize.least_squares (trf, bounded, soft-L1 loss, scale 0.1) on log(predicted/measured), fixed start"),
        ("calibration_rows", ";".join(f"{m.source}#{m.row}" for m in rows)),
        ("rows", str(len(rows))),
        ("rms_log_residual", f"{rms:.4f}"),
        ("unconstrained", ", ".join(unfitted) if unfitted else "none"),
    )
    return start.with_vector(full(result.x), provenance=provenance)


def _gpu_of(gpu: GPUModel | Mapping[str, GPUModel], m: Measurement) -> GPUModel:
    if isinstance(gpu, GPUModel):
        return gpu
    try:
        return gpu[m.source]
    except KeyError:
        raise CalibrationError(f"{m.where}: no GPU given for file {m.source!r}") from None
