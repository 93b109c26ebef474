"""First-fit placement and the up-front feasibility check."""

from __future__ import annotations

from typing import Iterable

from ._errors import InfeasibleScheduleError
from ._graph import TensorGraph
from ._schedule import Allocation
from ._scratchpad import Scratchpad


def first_fit(scratchpad: Scratchpad, occupied: Iterable[Allocation], size: int) -> int | None:
    """Return the lowest legal start address for ``size`` bytes clear of ``occupied``, or None.

    Parameters
    ----------
    scratchpad:
        Supplies capacity, alignment and bank rules.
    occupied:
        Ranges already in use.
    size:
        Tensor size in bytes (rounded up to the alignment here).
    """
    ranges = sorted((a.start, a.end) for a in occupied)
    footprint = scratchpad.footprint(size)
    start = scratchpad.lowest_start(size, 0)
    while start is not None:
        end = start + footprint
        clash = next((r for r in ranges if r[0] < end and start < r[1]), None)
        if clash is None:
            return start
        start = scratchpad.lowest_start(size, clash[1])
    return None


def require_fits(graph: TensorGraph, scratchpad: Scratchpad) -> None:
    """Raise if some tensor or some operator's working set cannot fit the scratchpad.

    Parameters
    ----------
    graph, scratchpad:
        The problem.

    Raises
    ------
    InfeasibleScheduleError
        Naming the first tensor larger than the scratchpad (or than its placement
        rules allow), or the first operator whose inputs and outputs together
        exceed the capacity.
    """
    for tensor in graph.tensors:
        if not scratchpad.fits(tensor.size):
            raise InfeasibleScheduleError(
                f"tensor {tensor.name!r} ({tensor.size} bytes) is larger than the scratchpad "
                f"({scratchpad.capacity} bytes)"
            )
    for op in graph.operators:
        need = sum(scratchpad.footprint(graph.tensor[t].size) for t in op.tensors)
        if need > scratchpad.capacity:
            raise InfeasibleScheduleError(
                f"operator {op.name!r} needs {need} bytes resident at once "
                f"(inputs {', '.join(op.inputs) or 'none'}; outputs {', '.join(op.outputs)}) "
                f"but the scratchpad holds {scratchpad.capacity} bytes"
            )
