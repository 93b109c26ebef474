"""A fusion plan run tile by tile on the numpy executor, checked against the cascade run whole.

:func:`plan_boxes` spells a plan out as the sequence of tiles its loop nests execute (LoopTree's order, as
:mod:`mapping._fusion` defines it): in each group, an Einsum at depth ``d`` runs once per tile of the first ``d``
shared loops, and the Einsums deeper than ``d`` that follow it form the loop over the next shared rank.
:func:`execute_plan` evaluates those tiles with :func:`dataflow.execute_boxes`, so every tile reads the
intermediates as the plan leaves them at that moment; :func:`verify_plan` compares every tensor with
:func:`dataflow.execute`. A plan that reads a partial reduction, or a tile before its producer wrote it, comes out
different, and the error names the group, the Einsum and the tensor.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._fusion import FusionError, FusionGroup, FusionPlan
from ._fusion_facts import _depths, check_tiles

if TYPE_CHECKING:
    from dataflow import Cascade

__all__ = ["PlanCheck", "plan_boxes", "execute_plan", "verify_plan"]

#: Largest cascade (elements over all tensors) a plan is executed on; the check is meant for small shapes.
_MAX_ELEMENTS = 1 << 24


@dataclass(frozen=True)
class PlanCheck:
    """What :func:`verify_plan` compared: tiles executed, tensors compared and the largest error seen."""

    plan: FusionPlan
    tiles: int
    tensors: int
    max_abs_error: float
    max_rel_error: float


def _group_boxes(cascade: Cascade, group: FusionGroup) -> Iterator[tuple[str, dict[str, range]]]:
    check_tiles(cascade, group)
    depth = _depths(cascade, group)
    shapes = cascade.shapes

    def body(names: tuple[str, ...], d: int, spans: dict[str, range]) -> Iterator[tuple[str, dict[str, range]]]:
        i = 0
        while i < len(names):
            if depth[names[i]] == d:
                yield names[i], spans
                i += 1
                continue
            j = i
            while j < len(names) and depth[names[j]] > d:
                j += 1
            rank, tile = group.ranks[d], group.tiles[d]
            for start in range(0, shapes[rank], tile):
                yield from body(names[i:j], d + 1, {**spans, rank: range(start, start + tile)})
            i = j

    yield from body(group.einsums, 0, {})


def plan_boxes(cascade: Cascade, plan: FusionPlan) -> list[tuple[str, str, dict[str, range]]]:
    """Every tile the plan executes, in order: ``(group label, Einsum, spans of the shared ranks)``.

    Raises
    ------
    FusionError
        If the groups do not cover the cascade's Einsums once each, in cascade order, or a tile does not divide
        its rank.
    """
    names = [e.name for e in cascade.einsums]
    listed = [e for g in plan.groups for e in g.einsums]
    if listed != names:
        missing = [n for n in names if n not in listed]
        extra = [n for n in listed if n not in names]
        why = (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}" if extra
               else "not in cascade order, or an Einsum twice")
        raise FusionError(f"fusion plan of {cascade.name!r}: its groups must list the cascade's Einsums once each, "
                          f"in order ({why})")
    return [(g.label, e, spans) for g in plan.groups for e, spans in _group_boxes(cascade, g)]


def execute_plan(cascade: Cascade, plan: FusionPlan, inputs: MappingABC[str, object] | None = None,
                 seed: int = 0) -> dict[str, np.ndarray]:
    """Every tensor as the plan's tiles leave it (inputs as :func:`dataflow.execute` draws them)."""
    return _execute(cascade, plan_boxes(cascade, plan), inputs, seed)


def _execute(cascade: Cascade, boxes: list[tuple[str, str, dict[str, range]]],
             inputs: MappingABC[str, object] | None, seed: int) -> dict[str, np.ndarray]:
    from dataflow import execute_boxes

    _check_size(cascade)
    return execute_boxes(cascade, [(e, spans) for _, e, spans in boxes], inputs, seed)


def verify_plan(cascade: Cascade, plan: FusionPlan, *, seed: int = 0, rtol: float = 1e-9,
                atol: float = 1e-12) -> PlanCheck:
    """Run ``plan`` tile by tile and the cascade whole on the same inputs; every tensor must agree.

    Raises
    ------
    FusionError
        Naming the group, the Einsum and the tensor whose values differ (and where), or the plan's malformation.
    """
    from dataflow import execute

    boxes = plan_boxes(cascade, plan)
    got = _execute(cascade, boxes, None, seed)
    ref = execute(cascade, None, seed)
    group_of = {e: g.label for g in plan.groups for e in g.einsums}
    worst_abs = worst_rel = 0.0
    for einsum in cascade.einsums:
        name = einsum.output.tensor
        a, b = got[name], ref[name]
        close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        if not close.all():
            where = tuple(int(i) for i in np.argwhere(~close)[0])
            dims = cascade.tensors[name].dims
            at = ", ".join(f"{d}={i}" for d, i in zip(dims, where))
            raise FusionError(f"group {group_of[einsum.name]}: Einsum {einsum.name!r} leaves {name}[{at}] = "
                              f"{float(a[where])!r} tile by tile, but {float(b[where])!r} run whole "
                              f"({int((~close).sum()):,} of {close.size:,} elements differ)")
        finite = np.isfinite(a) & np.isfinite(b)
        if finite.any():
            diff = np.abs(a[finite] - b[finite])
            worst_abs = max(worst_abs, float(diff.max()))
            worst_rel = max(worst_rel, float((diff / np.maximum(np.abs(b[finite]), atol)).max()))
    return PlanCheck(plan, len(boxes), len(cascade.einsums), worst_abs, worst_rel)


def _check_size(cascade: Cascade) -> None:
    elements = sum(t.elements for t in cascade.tensor_list)
    if elements > _MAX_ELEMENTS:
        raise FusionError(f"cascade {cascade.name!r} has {elements:,} tensor elements; a plan is checked on the "
                          f"numpy executor up to {_MAX_ELEMENTS:,} (use smaller shapes: the plan's loop nest does "
                          "not depend on them beyond its tile sizes)")
