"""The cycle-level simulator: a mapped, scheduled cascade run on SimPy models of the hardware.

DMA engines move tiles between DRAM and banked on-chip levels, the PE array
runs folds with systolic fill and drain (SCALE-Sim 3's ``2R + C + T - 2`` cycles
per fold, ``R + C + T - 2`` output stationary), and a double-buffering controller follows each Einsum's mapping
and the cascade's schedule so loads overlap compute.  Each SimPy event
covers a whole tile transfer or run of folds, so runs are fast while cycle
counts stay exact.  Results are the shared :class:`sim.Report` (cycles by
cause, energy by component and action, accesses, utilization) and a
Chrome / Perfetto trace of every engine's timeline.

:func:`simulate` runs one Einsum, :func:`simulate_cascade` a cascade, :func:`simulate_fused` a fused plan
(:func:`simulate_group` one fused group, its units as concurrent processes);
:func:`lower` and :func:`run_programs` are the two stages they chain.

Against the analytical model (``sim.analytical``): both count accesses with
the same whole-tile semantics, and the analytical model's fill/drain is this
simulator's closed form (per-fold timing of :func:`fold_timing`, the first
tile step's loads with :class:`HardwareConfig`'s default two DMA channels,
the last output tiles' write-back), so with ample bandwidth and perfect
tilings one Einsum's total cycles agree exactly.  Two effects are simulated
here only, as a modelling choice of the analytical model: a later tile
step's loads that do not hide under the folds of the step before (a DRAM or
level latency long against a step, many small tiles) stall the array, and
transfers of different tensors contend for a single-port level (one cycle
per collision); a different ``dma_channels`` changes the first load when
more tensors than channels come from DRAM with a latency.
"""

from ._api import SimulationResult, simulate, simulate_cascade
from ._engine import CAUSES, EinsumStats, EngineResult
from ._runner import run_programs
from ._fused import FAST_FORWARD, GroupRun, simulate_fused, simulate_group
from ._errors import CapacityError, DeadlockError, SimulationError, WatchdogError
from ._hardware import HardwareConfig
from ._lower import lower
from ._program import Alloc, EinsumProgram, Move, TileStep
from ._report import MODEL_NAME
from ._systolic import FoldTiming, fold_timing
from ._trace import TraceEvent, trace_json, write_trace

__all__ = [
    "simulate",
    "simulate_cascade",
    "simulate_group",
    "simulate_fused",
    "GroupRun",
    "FAST_FORWARD",
    "SimulationResult",
    "HardwareConfig",
    "lower",
    "run_programs",
    "EinsumProgram",
    "TileStep",
    "Move",
    "Alloc",
    "EngineResult",
    "EinsumStats",
    "CAUSES",
    "FoldTiming",
    "fold_timing",
    "TraceEvent",
    "trace_json",
    "write_trace",
    "SimulationError",
    "CapacityError",
    "DeadlockError",
    "WatchdogError",
    "MODEL_NAME",
]
