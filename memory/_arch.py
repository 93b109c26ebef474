"""What an architecture means for scheduling: the scratchpad (one of its on-chip levels) and the tensor widths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ._cascade import graph_from_cascade
from ._errors import ScheduleError
from ._graph import TensorGraph
from ._scratchpad import Scratchpad

if TYPE_CHECKING:
    from accel import Architecture
    from dataflow import Cascade
    from mapping import Problem


def graph_for_architecture(cascade: Cascade, arch: Architecture, problems: Mapping[str, Problem] | None = None) -> TensorGraph:
    """The scheduler's graph of ``cascade`` with the widths ``arch`` moves.

    A produced tensor has its producer's output width (``accumulator_bits`` after a MAC Einsum, see
    :func:`mapping.build_problem`); a cascade input the width its first reader gives it. Scheduling this graph
    makes the scratchpad bytes of the schedule the bytes both simulators move. ``problems`` are the Einsums'
    problems where already built (:func:`mapping.cascade_problems`).

    Raises
    ------
    GraphError
        If the cascade cannot be scheduled (see :class:`TensorGraph`).
    """
    from mapping import cascade_problems, tensor_bits  # mapping's types share this layer

    if problems is None:
        problems = cascade_problems(cascade, arch)
    return graph_from_cascade(cascade, tensor_bits(cascade, problems))


def scratchpad_from_architecture(arch: Architecture, level: str | None = None, capacity: int | None = None) -> Scratchpad:
    """The :class:`Scratchpad` of one on-chip level of an ``accel.Architecture``.

    Capacity and banks come from the level; the alignment is one access word
    (``word_bits / 8`` bytes), or 1 where the word does not divide a bank.

    Parameters
    ----------
    arch:
        An ``accel.Architecture`` (anything with ``levels`` of ``name``,
        ``capacity``, ``banks`` and ``word_bits``).
    level:
        Name of the level; default the outermost on-chip level.
    capacity:
        Bytes to use instead of the level's capacity (a what-if size); banks and alignment still follow the
        level where they divide it.

    Raises
    ------
    ValueError
        If the architecture has no on-chip level or none named ``level``.
    """
    levels = tuple(arch.levels)
    if not levels:
        raise ScheduleError(f"architecture {arch.name!r} has no on-chip memory level to schedule into")
    if level is None:
        chosen = levels[-1]
    else:
        chosen = next((lv for lv in levels if lv.name == level), None)
        if chosen is None:
            names = ", ".join(repr(lv.name) for lv in levels)
            raise ScheduleError(f"architecture {arch.name!r} has no level {level!r}; it has {names}")
    size = chosen.capacity if capacity is None else Scratchpad(capacity).capacity
    banks = chosen.banks if size % chosen.banks == 0 else 1
    word = max(1, chosen.word_bits // 8)
    alignment = word if (size // banks) % word == 0 else 1
    return Scratchpad(size, banks=banks, alignment=alignment)
