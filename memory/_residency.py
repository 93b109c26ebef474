"""What a cascade schedule does with each Einsum's tensors: the one reading the mapper and both simulators share.

A COSMA schedule (``memory.Schedule`` over a ``memory.TensorGraph``) keeps
some tensors in the on-chip scratchpad between Einsums, loads others from
DRAM, and stores some outputs and spills.  :func:`schedule_residency` turns it
into one :class:`Residency` per operator; the cycle-level simulator lowers
each Einsum with it and the analytical model counts the same DRAM and
scratchpad traffic from it, so the two price one schedule alike.

:class:`CascadeSchedule` is the one value a schedule travels in: the schedule, the graph it was made for, the
scratchpad it fits (checked once, when the value is made) and its residency per operator (computed once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from ._checker import check_schedule
from ._errors import ScheduleError
from ._graph import TensorGraph
from ._schedule import Schedule, ScheduleResult
from ._scratchpad import Scratchpad

if TYPE_CHECKING:
    from dataflow import Cascade

__all__ = ["Residency", "CascadeSchedule", "schedule_residency", "spill_bits"]


@dataclass(frozen=True)
class Residency:
    """The schedule's treatment of one Einsum's tensors.

    Parameters
    ----------
    resident : frozenset of str
        Inputs already in the scratchpad when the Einsum starts (served from there).
    loaded : frozenset of str
        Inputs the schedule loads from DRAM for this Einsum: each tile comes
        from DRAM the first time, from the scratchpad after that.
    stored : frozenset of str
        The Einsum's outputs written to DRAM; the others stay on chip.
    spills : tuple of str
        Other tensors the schedule writes from the scratchpad to DRAM when the
        Einsum ends (evictions of live tensors).

    Raises
    ------
    TypeError
        If a field is not a collection of tensor names.
    """

    resident: frozenset[str] = frozenset()
    loaded: frozenset[str] = frozenset()
    stored: frozenset[str] = frozenset()
    spills: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name, kind in (("resident", frozenset), ("loaded", frozenset), ("stored", frozenset), ("spills", tuple)):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"Residency.{name} must be a collection of tensor names, not {value!r}")
            object.__setattr__(self, name, kind(value))

    def input_from_dram(self, name: str) -> bool:
        """Whether input ``name``'s first visit of each tile comes from DRAM (else every tile comes from the scratchpad)."""
        return name in self.loaded and name not in self.resident


def schedule_residency(schedule: Schedule, graph: TensorGraph) -> dict[str, Residency]:
    """Per operator of ``schedule``: the tensors it keeps resident, loads, stores and spills at its step.

    Parameters
    ----------
    schedule : memory.Schedule
    graph : memory.TensorGraph
        The graph the schedule was made for.
    """
    out: dict[str, Residency] = {}
    previous: set[str] = set()
    for step in schedule.steps:
        op = graph.operator[step.operator]
        here = {a.tensor for a in step.allocations}
        out[step.operator] = Residency(
            resident=frozenset(t for t in op.inputs if t in previous and t in here),
            loaded=frozenset(step.loads),
            stored=frozenset(t for t in step.stores if t in op.outputs),
            spills=tuple(t for t in step.stores if t not in op.outputs),
        )
        previous = here - set(step.evictions)
    return out


def spill_bits(cascade: Cascade, graph: TensorGraph, tensor: str) -> int:
    """Element width of a whole-tensor spill of ``tensor``: its bytes in ``graph`` over its elements in ``cascade``."""
    return max(1, round(graph.tensor[tensor].size * 8 / cascade.tensor_elements(tensor)))




@dataclass(frozen=True)
class CascadeSchedule:
    """A cascade's schedule with everything it implies, computed once.

    Parameters
    ----------
    schedule : Schedule
        The steps (operator order, loads, stores, evictions, allocations).
    graph : TensorGraph
        The graph the schedule was made for (its tensor sizes are the bytes it moves).
    scratchpad : Scratchpad
        The on-chip level it fits; checked with :func:`check_schedule` when the value is made.
    result : ScheduleResult, optional
        How the scheduler found it (method, status, solver figures); ``None`` for a schedule made by hand.

    Attributes
    ----------
    residency : mapping of str to Residency
        Per operator, what the schedule keeps resident, loads, stores and spills (:func:`schedule_residency`).

    Raises
    ------
    ScheduleError
        If the schedule is not legal on the scratchpad (the message names the step).
    TypeError
        For arguments of the wrong type.
    """

    schedule: Schedule
    graph: TensorGraph
    scratchpad: Scratchpad
    result: ScheduleResult | None = None
    residency: Mapping[str, Residency] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, kind in (("schedule", Schedule), ("graph", TensorGraph), ("scratchpad", Scratchpad)):
            if not isinstance(getattr(self, name), kind):
                raise TypeError(f"CascadeSchedule.{name} must be a memory.{kind.__name__}, not {getattr(self, name)!r}")
        if self.result is not None and self.result.schedule is not self.schedule:
            raise TypeError("CascadeSchedule.result must be the ScheduleResult the schedule came from")
        try:
            check_schedule(self.graph, self.scratchpad, self.schedule)
        except ScheduleError as exc:
            raise ScheduleError(f"the schedule is not legal on a scratchpad of {self.scratchpad.capacity:,} bytes: {exc}") from None
        object.__setattr__(self, "residency", MappingProxyType(schedule_residency(self.schedule, self.graph)))

    @classmethod
    def of(cls, result: ScheduleResult, graph: TensorGraph, scratchpad: Scratchpad) -> CascadeSchedule:
        """The value for a scheduler's ``result`` on ``graph`` and ``scratchpad``."""
        return cls(result.schedule, graph, scratchpad, result)

    @property
    def order(self) -> tuple[str, ...]:
        """The operators (Einsums) in the order the schedule runs them."""
        return tuple(self.schedule.order)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON: the scheduler's record (or the steps of a hand-made schedule) and the scratchpad."""
        if self.result is not None:
            record = self.result.as_dict()
        else:
            record = {"method": "given", "steps": [s.operator for s in self.schedule.steps]}
        record["scratchpad"] = {"capacity": self.scratchpad.capacity, "banks": self.scratchpad.banks,
                                "alignment": self.scratchpad.alignment}
        return record
