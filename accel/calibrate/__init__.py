"""Calibration against a real accelerator: predict measured GPU kernel times through the project's models.

The GPU is an :class:`accel.Architecture` (``accel/examples/h100.yaml``: SMs as
PE rows, tensor cores as columns); each measured operator becomes a
``dataflow`` cascade, tiled into CTAs by a GPU mapping layer whose per-CTA
costs come from :mod:`sim.analytical` on the slice of one SM; the grid then
runs in waves over the SMs, timed by a closed form (``'analytical'``) or a
SimPy event simulation (``'simpy'``).  A few physical knobs (:class:`Knobs`:
achievable fraction of peak per kernel family, HBM efficiency, per-SM
streaming bandwidth, launch overhead, CTA prologue) are fitted by least
squares on log time over calibration rows and stored in
``accel/calibrate/h100_knobs.json``; :func:`compare` reports the error of every
row, with calibration, repeated and held-out shapes kept apart.

Typical use::

    gpu = load_gpu("h100")
    sets = [load_measurements(p) for p in default_measurement_files()]
    result = compare(sets, gpu, load_knobs())
    result.summary("simpy", "held-out", "goal rows").median_abs
"""

from ._errors import CalibrationError
from ._files import default_measurement_files
from ._fit import EXTRA_CALIBRATION, REFERENCE_FILE, fit_knobs, select_calibration
from ._gpu import PRECISIONS, GPUModel, Precision, gpu_model, load_gpu
from ._knobs import BACKENDS, FAMILIES, Knobs, default_knobs, load_knobs, save_knobs
from ._measurements import KINDS, Measurement, MeasurementSet, load_measurements, parse_measurements
from ._plan import CtaClass, Kernel, KernelPlan, candidate_plans
from ._predict import MODELS, Comparison, ComparisonRow, Prediction, Summary, compare, in_goal, predict

__all__ = [
    "CalibrationError",
    # measurements
    "KINDS",
    "Measurement",
    "MeasurementSet",
    "load_measurements",
    "parse_measurements",
    "default_measurement_files",
    # the GPU
    "GPUModel",
    "Precision",
    "PRECISIONS",
    "gpu_model",
    "load_gpu",
    # knobs
    "Knobs",
    "FAMILIES",
    "BACKENDS",
    "load_knobs",
    "save_knobs",
    "default_knobs",
    # plans and predictions
    "CtaClass",
    "Kernel",
    "KernelPlan",
    "candidate_plans",
    "MODELS",
    "Prediction",
    "predict",
    "compare",
    "Comparison",
    "ComparisonRow",
    "Summary",
    "in_goal",
    # fitting
    "fit_knobs",
    "select_calibration",
    "REFERENCE_FILE",
    "EXTRA_CALIBRATION",
]
