"""A schedule (operator order, addresses, loads, stores, evictions) and its traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class Allocation:
    """Tensor ``tensor`` occupies scratchpad bytes ``[start, end)`` during a step."""

    tensor: str
    start: int
    end: int

    @property
    def size(self) -> int:
        """Bytes occupied."""
        return self.end - self.start


@dataclass(frozen=True)
class Step:
    """One time step: one operator runs with every allocated tensor resident.

    Before the operator runs, ``loads`` are copied from DRAM into their ranges;
    the operator's outputs appear in theirs.  ``stores`` are written back to
    DRAM (outputs, and spills of intermediates); after the step ``evictions``
    leave the scratchpad.
    """

    operator: str
    allocations: tuple[Allocation, ...]
    loads: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()
    evictions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("allocations", "loads", "stores", "evictions"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def resident(self) -> Mapping[str, Allocation]:
        """Allocations by tensor name."""
        return MappingProxyType({a.tensor: a for a in self.allocations})

    @property
    def used_bytes(self) -> int:
        """Bytes occupied during the step."""
        return sum(a.size for a in self.allocations)


@dataclass(frozen=True)
class Schedule:
    """A complete schedule: one :class:`Step` per operator, in execution order."""

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))

    @property
    def order(self) -> tuple[str, ...]:
        """Operator names in execution order."""
        return tuple(s.operator for s in self.steps)

    @property
    def peak_bytes(self) -> int:
        """Largest number of bytes resident at any step."""
        return max((s.used_bytes for s in self.steps), default=0)


@dataclass(frozen=True)
class PartialSchedule:
    """Steps for a run of operators that starts from a given scratchpad state.

    ``before_stores`` and ``before_evictions`` act on tensors resident before the
    first step (a caller stitching runs together attaches them to the previous
    run's last step).
    """

    steps: tuple[Step, ...]
    before_stores: tuple[str, ...] = ()
    before_evictions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("steps", "before_stores", "before_evictions"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class TrafficReport:
    """DRAM traffic of a schedule, recomputed by :func:`~memory.check_schedule`.

    ``compulsory`` is one load of every read input/weight plus one write of every
    output; ``non_compulsory`` is everything else (reloads and spills).
    """

    compulsory: int
    non_compulsory: int
    loads: Mapping[str, int] = field(default_factory=dict)
    stores: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "loads", MappingProxyType(dict(sorted(self.loads.items()))))
        object.__setattr__(self, "stores", MappingProxyType(dict(sorted(self.stores.items()))))

    @property
    def total(self) -> int:
        """All bytes moved between DRAM and the scratchpad."""
        return self.compulsory + self.non_compulsory

    @property
    def load_bytes(self) -> int:
        """Bytes read from DRAM."""
        return sum(self.loads.values())

    @property
    def store_bytes(self) -> int:
        """Bytes written to DRAM."""
        return sum(self.stores.values())

    def as_dict(self) -> dict[str, object]:
        """Plain-data form for JSON output."""
        return {
            "compulsory": self.compulsory,
            "non_compulsory": self.non_compulsory,
            "total": self.total,
            "load_bytes": self.load_bytes,
            "store_bytes": self.store_bytes,
            "loads": dict(self.loads),
            "stores": dict(self.stores),
        }


@dataclass(frozen=True)
class ScheduleResult:
    """What a scheduler returns: the schedule, its checked traffic and how it was found.

    Attributes
    ----------
    method:
        ``"ilp"``, ``"divide"``, ``"greedy-lru"`` or ``"greedy-belady"``.
    status:
        ``"optimal"``, ``"time-limit"`` (best incumbent, see ``gap``) or
        ``"heuristic"`` (no optimality claim).  The divide-and-conquer
        heuristic reports ``"optimal"`` only when it meets the lower bound of
        :func:`~memory.traffic_lower_bound`.
    source:
        Which algorithm produced the returned schedule (differs from ``method``
        when a solver found nothing better than its warm start or no incumbent).
    objective, bound, gap:
        Solver figures in bytes of DRAM traffic (``bound`` a lower bound, ``gap``
        the relative gap ``(traffic - bound) / traffic``); None for the greedy
        baselines.  For divide-and-conquer the bound is :func:`~memory.traffic_lower_bound`.
    """

    schedule: Schedule
    traffic: TrafficReport
    method: str
    status: str
    source: str
    solver: str | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes))

    def as_dict(self) -> dict[str, object]:
        """Plain-data form for JSON output (the schedule as one record per step)."""
        return {
            "method": self.method,
            "status": self.status,
            "source": self.source,
            "solver": self.solver,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "traffic": self.traffic.as_dict(),
            "peak_bytes": self.schedule.peak_bytes,
            "steps": [
                {
                    "operator": s.operator,
                    "loads": list(s.loads),
                    "stores": list(s.stores),
                    "evictions": list(s.evictions),
                    "allocations": {a.tensor: [a.start, a.end] for a in s.allocations},
                }
                for s in self.schedule.steps
            ],
        }
