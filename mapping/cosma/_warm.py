"""Warm starts: re-place a greedy plan so every tensor keeps one address, which always fits the ILP."""

from __future__ import annotations

from dataclasses import replace

from memory import Allocation, PartialSchedule, Scratchpad, TensorGraph, first_fit

from ._window import Window


def single_address_plan(
    graph: TensorGraph, grid: Scratchpad, window: Window, plan: PartialSchedule
) -> PartialSchedule | None:
    """Keep ``plan``'s order and residency but give each tensor one address, or None.

    Tensors carried in resident keep their addresses; the others are placed
    first-fit clear of every tensor they are ever resident with (tried in three
    orders: by first step, by size, by lifetime).  None when all three fail.
    """
    resident = [set(step.resident) for step in plan.steps]
    steps_of: dict[str, set[int]] = {}
    for index, names in enumerate(resident):
        for name in names:
            steps_of.setdefault(name, set()).add(index)
    fixed = {a.tensor: a.start for a in window.resident if resident and a.tensor in resident[0]}
    size = {name: graph.tensor[name].size for name in steps_of}
    free = [name for name in steps_of if name not in fixed]
    orders = (
        sorted(free, key=lambda n: (min(steps_of[n]), -size[n], n)),
        sorted(free, key=lambda n: (-size[n], min(steps_of[n]), n)),
        sorted(free, key=lambda n: (-len(steps_of[n]), -size[n], n)),
    )
    for names in orders:
        placed = dict(fixed)
        for name in names:
            clash = [
                Allocation(u, start, start + grid.footprint(size[u]))
                for u, start in placed.items()
                if steps_of[u] & steps_of[name]
            ]
            address = first_fit(grid, clash, size[name])
            if address is None:
                break
            placed[name] = address
        else:
            steps = tuple(
                replace(
                    step,
                    allocations=tuple(
                        sorted(
                            (Allocation(a.tensor, placed[a.tensor], placed[a.tensor] + a.size) for a in step.allocations),
                            key=lambda a: a.start,
                        )
                    ),
                )
                for step in plan.steps
            )
            return replace(plan, steps=steps)
    return None
