"""The pipeline's options: one frozen value, its vocabularies taken from the packages that own them."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from accel._types import JsonObject

from accel.errors import BadInputError
from mapping import OBJECTIVES
from mapping.cosma import METHODS as SCHEDULE_METHODS
from mapping.search import FUSION_MODES, FUSION_UNITS, MAPPERS, SOLVERS
from sim import SIMULATORS

__all__ = ["Options", "OptionsError", "SCHEDULERS", "NO_SCHEDULE", "AUTO_SCHEDULE"]

#: The cascade streams every tensor through DRAM (each Einsum alone).
NO_SCHEDULE = "none"
#: One COSMA ILP for small graphs, divide-and-conquer for large ones.
AUTO_SCHEDULE = "auto"
#: What ``Options.scheduler`` may name: the COSMA methods, ``auto`` and ``none``.
SCHEDULERS: tuple[str, ...] = (*SCHEDULE_METHODS, AUTO_SCHEDULE, NO_SCHEDULE)


class OptionsError(BadInputError):
    """An option out of its vocabulary or range (the message names the option)."""


@dataclass(frozen=True)
class Options:
    """Everything that decides how a cascade is scheduled, mapped and priced.

    Parameters
    ----------
    objective : str
        What the mapper minimizes: one of :data:`mapping.OBJECTIVES`.
    mapper : str
        ``'ilp'`` (the CoSA-style ILP) or ``'search'`` (seeded random search): :data:`mapping.search.MAPPERS`.
    solver : str
        ILP solver of the mapper and, by default, of the scheduler: :data:`mapping.search.SOLVERS`.
    time_limit : float
        Seconds per mapping ILP solve.
    samples, seed : int
        Mappings drawn per Einsum by the search, and its seed.
    scheduler : str
        How the cascade is scheduled on the on-chip level: one of :data:`SCHEDULERS`.
    schedule_solver : str, optional
        The scheduler's ILP solver (default: ``solver``).
    schedule_time_limit : float
        Seconds the scheduler's ILP may take (shared by all rounds of divide-and-conquer).
    schedule_threads, window, lookahead : int
        Scheduler threads, and the divide-and-conquer window and look-ahead.
    scratchpad : int, optional
        Bytes of the scheduled level instead of its capacity (a what-if size; banks and alignment follow the level);
        with fusion, the buffer a fused group's tiles must fit.
    level : str, optional
        The on-chip level the cascade is scheduled on (default: the outermost).
    bits : int, optional
        Bits of every tensor for the schedule, instead of the widths the architecture moves.
    map_for_schedule : bool
        Schedule first, then map each Einsum for the traffic the schedule leaves it.
    fusion : str
        ``'auto'`` (the fusion search groups Einsums under shared loops where it helps, see
        :func:`mapping.search.fuse_cascade`) or ``'none'`` (every Einsum alone): :data:`mapping.search.FUSION_MODES`.
        Fused groups keep their intermediates on chip as tiles; between groups tensors go through DRAM. With a
        scheduler as well, :func:`run` keeps whichever scores better: the fused plan, or every Einsum alone under
        that schedule. Both simulators run fused groups.
    fusion_units : str
        Where the fusion search may bind element-wise Einsums (:data:`mapping.search.FUSION_UNITS`): ``'auto'``,
        ``'vector'`` (as FLAT binds the softmax) or ``'pe_array'``.
    simulator : str
        ``'analytical'`` or ``'cycle'``: :data:`sim.SIMULATORS`.
    trace : bool
        Record the cycle-level timeline (``simulator='cycle'`` only).
    max_cycles : int, optional
        The cycle-level simulator's watchdog.

    Raises
    ------
    OptionsError
        For a value out of its vocabulary or range.
    """

    objective: str = "edp"
    mapper: str = "ilp"
    solver: str = "highs"
    time_limit: float = 1.2
    samples: int = 2000
    seed: int = 0
    scheduler: str = "greedy-belady"
    schedule_solver: str | None = None
    schedule_time_limit: float = 60.0
    schedule_threads: int = 1
    window: int = 6
    lookahead: int = 4
    scratchpad: int | None = None
    level: str | None = None
    bits: int | None = None
    map_for_schedule: bool = False
    fusion: str = "none"
    fusion_units: str = "auto"
    simulator: str = "analytical"
    trace: bool = False
    max_cycles: int | None = None

    def __post_init__(self) -> None:
        for name, allowed in (("objective", OBJECTIVES), ("mapper", MAPPERS), ("solver", SOLVERS),
                              ("scheduler", SCHEDULERS), ("simulator", SIMULATORS), ("fusion", FUSION_MODES),
                              ("fusion_units", FUSION_UNITS)):
            if getattr(self, name) not in allowed:
                raise OptionsError(f"option {name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")
        if self.schedule_solver is not None and self.schedule_solver not in SOLVERS:
            raise OptionsError(f"option schedule_solver must be one of {', '.join(SOLVERS)}, not {self.schedule_solver!r}")
        for name in ("time_limit", "schedule_time_limit"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
                raise OptionsError(f"option {name} must be a finite number of seconds > 0, not {v!r}")
        for name, low, optional in (("samples", 1, False), ("seed", 0, False), ("schedule_threads", 1, False),
                                    ("window", 1, False), ("lookahead", 0, False), ("scratchpad", 1, True),
                                    ("bits", 1, True), ("max_cycles", 1, True)):
            v = getattr(self, name)
            if v is None and optional:
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise OptionsError(f"option {name} must be an integer >= {low}, not {v!r}")
        if self.scheduler == NO_SCHEDULE:
            for name in ("scratchpad", "level", "bits"):
                if name == "scratchpad" and self.fusion == "auto":
                    continue  # the buffer a fused group's tiles must fit
                if getattr(self, name) is not None:
                    raise OptionsError(f"option {name} needs a scheduler (scheduler is 'none')")
            if self.map_for_schedule:
                raise OptionsError("option map_for_schedule needs a scheduler (scheduler is 'none')")
        if self.fusion == "auto" and self.map_for_schedule:
            raise OptionsError("option map_for_schedule maps every Einsum alone for the schedule; fusion 'auto' "
                               "starts from each Einsum mapped alone without one: use fusion 'none' with it")
        if self.trace and self.simulator != "cycle":
            raise OptionsError("option trace needs simulator 'cycle'")

    @property
    def scheduled(self) -> bool:
        """Whether the cascade is scheduled on chip (else every tensor streams through DRAM)."""
        return self.scheduler != NO_SCHEDULE

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready)."""
        return asdict(self)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))
