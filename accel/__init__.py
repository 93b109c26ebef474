"""accel: accelerator design-space exploration, from Einsum cascades to verified RTL.

The package's bottom layer is the architecture (:mod:`accel.arch`: YAML specs, validation, frozen types, energy
and area estimators), re-exported here; every other layer imports it. The top layer sits beside it: the one
orchestration (:mod:`accel.pipeline`), the command line (:mod:`accel.cli`), sweeps (:mod:`accel.sweep`) and GPU
calibration (:mod:`accel.calibrate`). This module imports only the bottom layer.
"""

from .arch import *  # noqa: F403 - the architecture's public names are the package's
from .arch import __all__  # noqa: F401
