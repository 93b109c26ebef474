"""Calibration against a real accelerator: predict measured GPU kernel times through the project's models.

The GPU is an :class:`accel.Architecture` (``accel/examples/h100.yaml``,
``h200.yaml``: SMs as PE rows, tensor cores as columns; a measurement file's
``device`` picks it, :data:`DEVICES`); each measured operator becomes a
``dataflow`` cascade, tiled into CTAs by a GPU mapping layer whose per-CTA
costs come from :mod:`sim.analytical` on the slice of one SM; the grid then
runs in waves over the SMs, timed by a closed form (``'analytical'``) or a
SimPy event simulation (``'simpy'``).  PyTorch's row-wise kernels (soft-max,
layer-norm) are described by their launch shape and counted instructions
(:mod:`accel.calibrate._rows`).  A few physical knobs (:class:`Knobs`:
achievable fraction of peak per kernel family, HBM efficiency, per-SM
streaming bandwidth, launch overhead, CTA prologues, the warps a row kernel
needs resident to issue at its rate) are fitted by least squares on log time
over H100 calibration rows and stored in ``accel/calibrate/h100_knobs.json`` (the
H200 is then predicted from its spec alone; ``h100_h200_knobs.json`` is the
joint fit); :func:`compare` reports the error of every row per device, with
calibration, repeated and held-out rows kept apart.

Typical use::

    sets = [load_measurements(p) for p in default_measurement_files()]
    result = compare(sets, None, load_knobs())  # None: each file on its own device
    result.summary("simpy", "held-out", "goal rows", device="h200").median_abs
"""

from ._errors import CalibrationError
from ._files import default_measurement_files
from ._fit import EXTRA_CALIBRATION, REFERENCE_FILE, fit_knobs, select_calibration
from ._gpu import DEVICES, PRECISIONS, SPECS, GPUModel, Precision, device_gpu, gpu_model, load_gpu
from ._knobs import BACKENDS, FAMILIES, Knobs, default_knobs, load_knobs, save_knobs
from ._measurements import KINDS, Measurement, MeasurementSet, load_measurements, parse_measurements
from ._plan import CtaClass, Kernel, KernelPlan, candidate_plans
from ._predict import MODELS, Comparison, ComparisonRow, Prediction, Summary, compare, gpus_of, in_goal, predict

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
    "SPECS",
    "DEVICES",
    "device_gpu",
    "gpus_of",
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
