"""Fusion plans: groups of Einsums that share an outer loop nest, so only a tile of each intermediate lives on chip.

A :class:`FusionGroup` names consecutive Einsums of a cascade, the ranks of their shared loop nest (outermost
first) with a tile size each, and the unit each Einsum is bound to. Loop semantics follow LoopTree: every Einsum
of the group sits inside the shared loops over the leading ranks it is indexed by (its *depth*), so an Einsum
indexed by ``p`` but not ``m1`` (1-pass attention's final division) runs once per ``p`` tile, after the inner
``m1`` loop. Per tile step:

* a tensor produced and consumed inside the group (an *intermediate*) lives on chip as one tile, never in DRAM;
* a tensor the group reads but does not produce (a *streamed input*) is loaded tile by tile, double-buffered,
  and reloaded each time a loop at or outside the innermost shared loop that indexes it advances (a key chunk
  is reloaded for every query block; a query block stays while the key chunks go by);
* a tensor the group produces for Einsums outside it, or a cascade output, is written to DRAM once; where a
  shared loop inside its producer's depth does not index it (1-pass attention's running max, sum and
  numerator, indexed by ``m1+1``), it *accumulates across tiles* on chip and leaves when that loop ends.

A group of one Einsum with no shared ranks is that Einsum alone: the unfused plan is every Einsum in its own group,
so today's per-Einsum results are a special case. This module holds the plan's types; :mod:`mapping._fusion_facts`
derives every tensor's role, tile bytes, DRAM traffic and the group's buffer footprint (:func:`analyse_group`)
and validates a plan against its cascade and architecture (:func:`check_plan`), naming the group and the Einsum
in every error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._errors import InfeasibleMappingError, MappingError

if TYPE_CHECKING:
    from dataflow import Cascade

__all__ = ["BINDINGS", "FusionError", "FusionInfeasibleError", "FusionGroup", "FusionPlan", "GroupFacts", "TensorRole",
           "unfused_plan"]

#: What an Einsum may be bound to: the 2-D array (MACs, and element-wise work on its PEs as FuseMax does) or the
#: vector unit (element-wise and reductions without MACs).
BINDINGS: tuple[str, ...] = ("pe_array", "vector")


class FusionError(MappingError):
    """A fusion plan that is malformed for its cascade or architecture (the message names the group and Einsum)."""


class FusionInfeasibleError(InfeasibleMappingError):
    """A well-formed fusion plan whose buffer footprint does not fit the on-chip level."""


@dataclass(frozen=True)
class FusionGroup:
    """Consecutive Einsums sharing an outer loop nest.

    Parameters
    ----------
    einsums : tuple of str
        The Einsums, in cascade order.
    ranks : tuple of str
        The shared loops' ranks, outermost first (empty: no shared loop, the Einsums run one after another on
        whole tensors, each tensor between them kept on chip).
    tiles : tuple of int
        The tile size of each shared rank at the on-chip level (a divisor of the rank's size).
    bindings : tuple of (str, str)
        Einsum -> unit (one of :data:`BINDINGS`); an Einsum with MACs is always on the ``pe_array``.
    """

    einsums: tuple[str, ...]
    ranks: tuple[str, ...] = ()
    tiles: tuple[int, ...] = ()
    bindings: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name in ("einsums", "ranks", "tiles", "bindings"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "bindings", tuple((str(e), str(u)) for e, u in self.bindings))
        if not self.einsums:
            raise FusionError("a fusion group needs at least one Einsum")
        if len(self.ranks) != len(self.tiles):
            raise FusionError(f"group {self.label}: {len(self.ranks)} shared ranks but {len(self.tiles)} tile sizes")
        if len(set(self.ranks)) != len(self.ranks):
            raise FusionError(f"group {self.label}: a shared rank is listed twice in {self.ranks!r}")
        for r, t in zip(self.ranks, self.tiles):
            if isinstance(t, bool) or not isinstance(t, int) or t < 1:
                raise FusionError(f"group {self.label}: the tile of rank {r!r} must be a positive integer, not {t!r}")
        for e, u in self.bindings:
            if u not in BINDINGS:
                raise FusionError(f"group {self.label}: Einsum {e!r} is bound to {u!r}; units: {', '.join(BINDINGS)}")
            if e not in self.einsums:
                raise FusionError(f"group {self.label}: a binding names Einsum {e!r}, which is not in the group")

    @property
    def label(self) -> str:
        """``first..last`` (or the one Einsum's name)."""
        return self.einsums[0] if len(self.einsums) == 1 else f"{self.einsums[0]}..{self.einsums[-1]}"

    @property
    def fused(self) -> bool:
        """Whether the group shares a loop over tiles (more than one Einsum, at least one shared rank)."""
        return len(self.einsums) > 1 and bool(self.ranks)

    def unit_of(self, einsum: str) -> str | None:
        """The unit ``einsum`` is bound to, or ``None`` for the architecture's default."""
        return dict(self.bindings).get(einsum)

    def to_dict(self) -> dict[str, object]:
        return {"einsums": list(self.einsums), "ranks": list(self.ranks), "tiles": list(self.tiles),
                "bindings": dict(self.bindings)}


@dataclass(frozen=True)
class FusionPlan:
    """A cascade's Einsums partitioned into fusion groups, in cascade order."""

    cascade: str
    groups: tuple[FusionGroup, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        if not all(isinstance(g, FusionGroup) for g in self.groups):
            raise FusionError(f"fusion plan of {self.cascade!r}: groups must be FusionGroup values")

    @property
    def fused(self) -> bool:
        return any(g.fused for g in self.groups)

    def to_dict(self) -> dict[str, object]:
        return {"cascade": self.cascade, "groups": [g.to_dict() for g in self.groups]}


def unfused_plan(cascade: Cascade) -> FusionPlan:
    """Every Einsum in a group of its own: today's per-Einsum mapping."""
    return FusionPlan(cascade.name, tuple(FusionGroup((e.name,)) for e in cascade.einsums))


@dataclass(frozen=True)
class TensorRole:
    """One tensor of a group: its role, where its tile sits in the loop nest, its bytes and DRAM traffic.

    ``role`` is ``'input'`` (streamed in), ``'intermediate'`` (tile on chip only) or ``'output'`` (written to
    DRAM once); ``accumulates`` is set where a shared loop inside its producer's depth does not index it
    (running state, partial sums kept across tiles).
    """

    tensor: str
    role: str
    tile_bytes: int
    footprint_bytes: int
    dram_read_bytes: int
    dram_write_bytes: int
    accumulates: bool = False
    bits: int = 8


@dataclass(frozen=True)
class GroupFacts:
    """What a group's loop nest implies.

    Attributes
    ----------
    group : FusionGroup
    depth : mapping of str to int
        Per Einsum, how many of the shared loops enclose it.
    trips : tuple of int
        Trip count of each shared loop (rank size / tile).
    executions : mapping of str to int
        Per Einsum, how many times its tile runs (the product of the enclosing loops' trips).
    tensors : tuple of TensorRole
    footprint_bytes : int
        On-chip bytes the group needs at once: double-buffered input tiles, intermediate and output tiles.
    """

    group: FusionGroup
    depth: MappingABC[str, int]
    trips: tuple[int, ...]
    executions: MappingABC[str, int]
    tensors: tuple[TensorRole, ...]
    footprint_bytes: int

    @property
    def steps(self) -> int:
        """Tile steps of the innermost shared loop body."""
        return math.prod(self.trips) if self.trips else 1

    @property
    def dram_bytes(self) -> int:
        return sum(t.dram_read_bytes + t.dram_write_bytes for t in self.tensors)

    def role(self, tensor: str) -> TensorRole:
        for t in self.tensors:
            if t.tensor == tensor:
                return t
        raise FusionError(f"group {self.group.label}: no tensor {tensor!r}")
