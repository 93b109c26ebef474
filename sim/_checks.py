"""What both simulators check of a mapped cascade before they price it (one helper, so they agree)."""

from __future__ import annotations

from collections.abc import Mapping as MappingABC, Sequence
from typing import TYPE_CHECKING, Protocol, Union

from mapping import MapResult, Mapping
from memory import CascadeSchedule

from ._report import Report

if TYPE_CHECKING:
    from dataflow import Cascade

__all__ = ["mapping_of", "cascade_run", "MappedEinsum", "CascadeMappings", "HasResults"]


class HasResults(Protocol):
    """A whole cascade's mapper results (``mapping.search.CascadeMapping``, which lives a layer up)."""

    @property
    def results(self) -> Sequence[MapResult[Report]]: ...


#: One Einsum's mapping as the simulators take it: the mapping, or the mapper's result holding it.
MappedEinsum = Union[Mapping, MapResult[Report]]
#: A cascade's mappings as the simulators take them: by Einsum name, in cascade order, or a cascade mapping.
CascadeMappings = Union[MappingABC[str, MappedEinsum], Sequence[MappedEinsum], HasResults]


def mapping_of(item: object, where: str) -> Mapping:
    """The ``mapping.Mapping`` of ``item`` (a Mapping or a MapResult); ``where`` names it in the error.

    Raises
    ------
    TypeError
        For anything else.
    """
    m = getattr(item, "mapping", item)
    if not isinstance(m, Mapping):
        raise TypeError(f"{where} must be a mapping.Mapping (or a MapResult), not {item!r}")
    return m


def cascade_run(who: str, cascade: Cascade, mappings: CascadeMappings,
                schedule: CascadeSchedule | None = None) -> tuple[dict[str, Mapping], list[str]]:
    """Check a mapped cascade (and its schedule) for a simulator; return mappings by Einsum and the run order.

    Parameters
    ----------
    who : str
        The calling function, named in errors.
    cascade : dataflow.Cascade
    mappings : mapping of str to Mapping, or sequence of Mapping / MapResult, or mapping.CascadeMapping
        One mapping per Einsum (by name, or in cascade order).
    schedule : memory.CascadeSchedule, optional

    Raises
    ------
    TypeError
        For mappings of the wrong type.
    ValueError
        For a missing mapping, or a schedule that does not run exactly the cascade's Einsums.
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
    if schedule is not None and not isinstance(schedule, CascadeSchedule):
        raise TypeError(f"{who}: schedule must be a memory.CascadeSchedule (schedule, graph and scratchpad), not {schedule!r}")
    order = list(schedule.order) if schedule is not None else [e.name for e in cascade.einsums]
    if sorted(order) != sorted(e.name for e in cascade.einsums):
        raise ValueError(f"{who}: the schedule runs {order!r}, not the Einsums of {cascade.name!r}")
    return by_name, order
