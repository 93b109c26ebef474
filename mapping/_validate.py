"""Legality of a mapping: structure, coverage of every rank, array limits, capacities."""

from __future__ import annotations

import math
import operator
from collections.abc import Collection, Mapping as MappingABC
from typing import TYPE_CHECKING

from ._errors import InfeasibleMappingError, MappingError
from ._mapping import Mapping
from ._problem import Problem, build_problem

if TYPE_CHECKING:
    from accel.arch import Architecture
    from dataflow import Einsum

__all__ = ["validate_mapping", "check_mapping", "check_fits", "tile_extents", "level_usage"]


def tile_extents(problem: Problem, mapping: Mapping, level: int) -> tuple[int, ...]:
    """Per rank, the extent of the tile level ``level`` (index into ``problem.storage``) holds.

    For the per-PE register file this is one PE's tile; for shared levels it
    spans the whole array (spatial factors included).
    """
    ext = [math.prod(factors) for factors in zip(*mapping.temporal[:level + 1])]
    if level >= 1:
        ext = list(map(operator.mul, ext, mapping.spatial))
    return tuple(ext)


def _usage(problem: Problem, level: int, ext: list[int]) -> list[tuple[str, float]]:
    """``(tensor, bytes)`` of every tensor ``level`` holds, for tiles of extents ``ext``."""
    return [(t.name, t.footprint(ext) * t.bits / 8) for t, h in zip(problem.tensors, problem.storage[level].holds) if h]


def level_usage(problem: Problem, mapping: Mapping, level: int) -> dict[str, float]:
    """Bytes each held tensor's tile takes at ``level`` (per PE for ``rf``)."""
    return dict(_usage(problem, level, list(tile_extents(problem, mapping, level))))


def check_fits(problem: Problem) -> None:
    """Raise if no mapping at all can fit: a level too small for one element of what it must hold.

    Raises
    ------
    InfeasibleMappingError
        Naming the level, its capacity and the tensors' one-element tiles.
    """
    for st in problem.storage[:-1]:
        need = {t.name: t.bits / 8 for t, h in zip(problem.tensors, st.holds) if h}
        if sum(need.values()) > st.capacity:
            parts = ", ".join(f"{n}: {b:g} B" for n, b in need.items())
            raise InfeasibleMappingError(
                f"Einsum {problem.einsum!r} cannot fit architecture {problem.arch!r}: level {st.name!r} holds "
                f"{st.capacity:g} bytes{' per PE' if st.per_pe else ''}, less than the smallest tiles it must keep "
                f"(one element each: {parts})"
            )


def check_mapping(problem: Problem, mapping: Mapping) -> None:
    """Check ``mapping`` against ``problem``.

    Raises
    ------
    MappingError
        For a mapping of another Einsum, other ranks or levels, a rank whose
        factors do not cover its size, too many PEs on an axis, a rank unrolled
        on an axis that does not allow it, or a level whose tiles exceed its capacity.
    """
    if (mapping.einsum != problem.einsum or mapping.ranks != problem.ranks or mapping.unit != problem.unit
            or mapping.levels != problem.level_names):
        _mismatch(problem, mapping)
    temporal, rows, cols = mapping.temporal, mapping.spatial_rows, mapping.spatial_cols
    spatial = list(map(operator.mul, rows, cols))
    # per level, the product of the temporal factors up to it (exact integers), from which every check reads
    cum = [list(temporal[0])]
    for row in temporal[1:]:
        cum.append(list(map(operator.mul, cum[-1], row)))
    for rank, size, padded in zip(problem.ranks, problem.sizes, map(operator.mul, cum[-1], spatial)):
        if padded < size:
            raise MappingError(f"mapping of {mapping.einsum!r}: factors of rank {rank!r} multiply to {padded}, less than its size {size}")
    for axis, limit, allowed, factors in (("rows", problem.rows, problem.row_allowed, rows),
                                          ("cols", problem.cols, problem.col_allowed, cols)):
        if False in allowed:
            for rank, ok, f in zip(problem.ranks, allowed, factors):
                if f > 1 and not ok:
                    raise MappingError(f"mapping of {mapping.einsum!r}: rank {rank!r} may not be unrolled on the array "
                                       f"{axis} of {problem.arch!r} (factor {f!r})")
        used = math.prod(factors)
        if used > limit:
            raise MappingError(f"mapping of {mapping.einsum!r}: spatial_{axis} use {used} PE {axis}, but {problem.arch!r} has {limit}")
    tensors, prod = problem.tensors, math.prod
    for i, st in enumerate(problem.storage[:-1]):
        ext = cum[i] if i == 0 else list(map(operator.mul, cum[i], spatial))
        total = 0  # the tiles' bytes, added in tensor order (as sum() of level_usage's values)
        for t, held in zip(tensors, st.holds):
            if held:
                axes = t.axes
                fp = prod(map(min, t.dim_sizes, map(ext.__getitem__, axes))) if axes is not None else t.footprint(ext)
                total += fp * t.bits / 8
        if total > st.capacity:
            usage = _usage(problem, i, ext)
            parts = ", ".join(f"{n}: {b:g}" for n, b in dict(usage).items())
            raise MappingError(
                f"mapping of {mapping.einsum!r} does not fit level {st.name!r} of {problem.arch!r}: its tiles need {total:g} bytes"
                f"{' per PE' if st.per_pe else ''} ({parts}) but it holds {st.capacity:g}"
            )


def _mismatch(problem: Problem, mapping: Mapping) -> None:
    """Raise for the first of einsum, ranks, levels and unit in which ``mapping`` is not ``problem``'s."""
    who = f"mapping of {mapping.einsum!r}"
    if mapping.einsum != problem.einsum:
        raise MappingError(f"{who} does not map Einsum {problem.einsum!r}")
    if mapping.ranks != problem.ranks:
        raise MappingError(f"{who} has ranks {mapping.ranks!r}, but the Einsum iterates over {problem.ranks!r}")
    if mapping.levels != problem.level_names:
        raise MappingError(f"{who} has levels {mapping.levels!r}, but architecture {problem.arch!r} has {problem.level_names!r}")
    raise MappingError(f"{who} targets unit {mapping.unit!r}, but this Einsum runs on {problem.unit!r}")


def validate_mapping(
    einsum: Einsum, shapes: MappingABC[str, int], arch: Architecture, mapping: Mapping, weights: Collection[str] | None = None
) -> Problem:
    """Check that ``mapping`` is legal for ``einsum`` (rank sizes ``shapes``) on ``arch``.

    Parameters
    ----------
    einsum : dataflow.Einsum
    shapes : mapping of str to int
    arch : accel.Architecture
    mapping : Mapping
    weights : collection of str, optional
        Tensors that are weights (see :func:`mapping.build_problem`).

    Returns
    -------
    Problem
        The flattened problem, for callers that go on to evaluate.

    Raises
    ------
    TypeError
        If ``mapping`` is not a :class:`Mapping`.
    MappingError
        See :func:`check_mapping`.
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping must be a mapping.Mapping, not {mapping!r}")
    problem = build_problem(einsum, shapes, arch, weights)
    check_mapping(problem, mapping)
    return problem

