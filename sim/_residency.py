"""What a cascade schedule does with each Einsum's tensors: the one reading both simulators share.

A COSMA schedule (``memory.Schedule`` over a ``memory.TensorGraph``) keeps
some tensors in the on-chip scratchpad between Einsums, loads others from
DRAM, and stores some outputs and spills.  :func:`schedule_residency` turns it
into one :class:`Residency` per operator; the cycle-level simulator lowers
each Einsum with it and the analytical model counts the same DRAM and
scratchpad traffic from it, so the two price one schedule alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Residency", "schedule_residency"]


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


def schedule_residency(schedule: Any, graph: Any) -> dict[str, Residency]:
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
