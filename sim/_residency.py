"""What a cascade schedule does with each Einsum's tensors: the one reading both simulators share.

A COSMA schedule (``memory.Schedule`` over a ``memory.TensorGraph``) keeps
some tensors in the on-chip scratchpad between Einsums, loads others from
DRAM, and stores some outputs and spills.  :func:`schedule_residency` turns it
into one :class:`Residency` per operator; the cycle-level simulator lowers
each Einsum with it and the analytical model counts the same DRAM and
scratchpad traffic from it, so the two price one schedule alike.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Residency", "schedule_residency", "spill_bits", "mapping_of", "cascade_run"]


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


def spill_bits(cascade: Any, graph: Any, tensor: str) -> int:
    """Element width of a whole-tensor spill of ``tensor``: its bytes in ``graph`` over its elements in ``cascade``."""
    return max(1, round(graph.tensor[tensor].size * 8 / cascade.tensor_elements(tensor)))


def mapping_of(item: Any, where: str) -> Any:
    """The ``mapping.Mapping`` of ``item`` (a Mapping or a MapResult); ``where`` names it in the error.

    Raises
    ------
    TypeError
        For anything else.
    """
    from mapping import Mapping  # sim reads mapping's types; imported here to keep import time light

    m = getattr(item, "mapping", item)
    if not isinstance(m, Mapping):
        raise TypeError(f"{where} must be a mapping.Mapping (or a MapResult), not {item!r}")
    return m


def cascade_run(who: str, cascade: Any, mappings: Any, schedule: Any = None, graph: Any = None) -> tuple[dict[str, Any], list[str]]:
    """Check a mapped cascade (and its schedule) for a simulator; return mappings by Einsum and the run order.

    Parameters
    ----------
    who : str
        The calling function, named in errors.
    cascade : dataflow.Cascade
    mappings : mapping of str to Mapping, or sequence of Mapping / MapResult, or mapping.CascadeMapping
        One mapping per Einsum (by name, or in cascade order).
    schedule : memory.Schedule, optional
    graph : memory.TensorGraph, optional
        Required with ``schedule``.

    Raises
    ------
    TypeError
        For mappings of the wrong type.
    ValueError
        For a missing mapping, a schedule without its graph, or a schedule
        that does not run exactly the cascade's Einsums.
    """
    if hasattr(mappings, "results"):
        mappings = mappings.results
    if isinstance(mappings, MappingABC):
        by_name = {name: mapping_of(v, f"mappings[{name!r}]") for name, v in mappings.items()}
    elif isinstance(mappings, Sequence) and not isinstance(mappings, str):
        if len(mappings) != len(cascade.einsums):
            raise ValueError(f"{who}: {len(mappings)} mappings for the {len(cascade.einsums)} Einsums of {cascade.name!r}")
        by_name = {e.name: mapping_of(v, f"mappings[{i}]") for i, (e, v) in enumerate(zip(cascade.einsums, mappings))}
    else:
        raise TypeError(f"{who}: mappings must be a dict or a sequence of mappings, not {mappings!r}")
    missing = [e.name for e in cascade.einsums if e.name not in by_name]
    if missing:
        raise ValueError(f"{who}: no mapping for Einsum {missing[0]!r} of {cascade.name!r}")
    if schedule is not None and graph is None:
        raise ValueError(f"{who}: a schedule needs the memory.TensorGraph it was made for (graph=...)")
    order = list(schedule.order) if schedule is not None else [e.name for e in cascade.einsums]
    if sorted(order) != sorted(e.name for e in cascade.einsums):
        raise ValueError(f"{who}: the schedule runs {order!r}, not the Einsums of {cascade.name!r}")
    return by_name, order
