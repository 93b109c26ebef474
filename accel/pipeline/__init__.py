"""The one pipeline from a cascade to a report (the orchestration layer, above the searches and simulators).

:func:`run` schedules the cascade on the architecture's on-chip level (:mod:`mapping.cosma`, carried as one
:class:`memory.CascadeSchedule`), maps every Einsum (:mod:`mapping.search`, for the schedule where asked) and
prices the result with either simulator (:mod:`sim`), returning an :class:`Evaluation`. ``accel map``,
``accel schedule``, ``accel simulate``, sweeps, benchmarks and studies call it (or its stages) and only print,
store or plot what it returns. :class:`Options` is the one frozen value of choices.
"""

from ._options import AUTO_SCHEDULE, NO_SCHEDULE, SCHEDULERS, Options, OptionsError
from ._run import Evaluation, fuse, map_for, price, run, schedule_cascade, schedule_graph

__all__ = ["run", "Options", "OptionsError", "Evaluation", "SCHEDULERS", "NO_SCHEDULE", "AUTO_SCHEDULE",
           "schedule_cascade", "schedule_graph", "map_for", "price", "fuse"]
