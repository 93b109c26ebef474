"""FuseMax pass analysis: how many passes over a rank's fibres any execution of a cascade needs.

The rule (FuseMax, Nayak et al.): an Einsum that iterates over the fibre and
consumes, element by element, a value that depends on a *full* reduction over
that fibre cannot run in the pass that computes the reduction; it starts a new
pass.  Values are tracked as *streamed in pass p* (available at a fibre
position as the pass reaches it: element-wise results, partial reductions
such as per-chunk maxima, and recurrences along the fibre, whose element at a
position depends only on earlier positions) or *complete after pass p* (a
reduction over every rank of the fibre, or an element read at a fixed
coordinate of the fibre).  An Einsum that iterates over the fibre runs in the
pass ``max(p for streamed inputs, p + 1 for complete inputs)``; one that does
not iterate over it runs between passes and starts none.

A logical rank may be split into several iteration ranks (``m`` into ``m1,
m0``, read as ``K[e, m1*M0+m0]``): the fibre of ``m`` is then every rank that
indexes a tensor dimension declared or inferred as ``m``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ._cascade import Cascade
from ._errors import UnknownNameError

__all__ = ["PassBoundary", "Pass", "PassAnalysis", "analyze_passes", "count_passes"]


@dataclass(frozen=True)
class PassBoundary:
    """Why an Einsum cannot run in an earlier pass.

    ``einsum`` consumes ``tensor`` element-wise over the fibre, and ``tensor``
    depends on the full reduction over the fibre done by Einsum ``reduced_by``.
    """

    einsum: str
    tensor: str
    reduced_by: str


@dataclass(frozen=True)
class Pass:
    """One pass over the fibre: its number (from 1), its Einsums, and the boundaries that start it."""

    number: int
    einsums: tuple[str, ...]
    boundaries: tuple[PassBoundary, ...]


@dataclass(frozen=True)
class PassAnalysis:
    """The passes a cascade needs over the fibres of ``rank``.

    Attributes
    ----------
    rank : str
        The rank asked about.
    fibre_ranks : tuple of str
        The iteration ranks that make up its fibre (``rank`` itself, or its parts).
    passes : tuple of Pass
        In order; empty when no Einsum iterates over the fibre.
    between : tuple of str
        Einsums that do not iterate over the fibre (they run between or after passes).
    """

    rank: str
    fibre_ranks: tuple[str, ...]
    passes: tuple[Pass, ...]
    between: tuple[str, ...]

    @property
    def count(self) -> int:
        """Number of passes."""
        return len(self.passes)

    def pass_of(self, einsum: str) -> int:
        """Pass number of Einsum ``einsum`` (0 when it runs between passes).

        Raises
        ------
        UnknownNameError
            For an Einsum not in the analysis.
        """
        for entry in self.passes:
            if einsum in entry.einsums:
                return entry.number
        if einsum in self.between:
            return 0
        raise UnknownNameError(f"unknown Einsum {einsum!r} in the pass analysis over {self.rank!r}")


class _Value(NamedTuple):
    """Availability of a tensor's values during the analysis."""

    made_in: int  # pass that computes them (0: before any pass)
    complete: bool  # True: known only once that pass has seen the whole fibre
    reduced_by: str | None  # the Einsum whose full reduction made them complete

    @property
    def after_pass(self) -> bool:
        """Whether a reader iterating the fibre must wait for the next pass."""
        return self.complete and self.made_in > 0


def fibre_ranks(cascade: Cascade, rank: str) -> tuple[str, ...]:
    """The iteration ranks that make up the fibre of ``rank`` in ``cascade``.

    Raises
    ------
    UnknownNameError
        When ``rank`` is neither a rank of the cascade nor a dimension name of one of its tensors.
    """
    if not isinstance(rank, str):
        raise TypeError(f"rank must be a string, not {rank!r}")
    parts: dict[str, None] = {}
    if rank in cascade.shapes:
        parts[rank] = None
    found = rank in parts
    for einsum in cascade.einsums:
        for access in (einsum.output,) + einsum.accesses:
            tensor = cascade.tensors[access.tensor]
            for dim, index in zip(tensor.dims, access.indices):
                if dim == rank:
                    found = True
                    if index.plain_rank is None:
                        for part in index.ranks:
                            parts.setdefault(part, None)
    if not found:
        raise UnknownNameError(
            f"unknown rank {rank!r} in cascade {cascade.name!r}",
            expected=f"one of {', '.join(cascade.shapes)}",
        )
    return tuple(parts)


def analyze_passes(cascade: Cascade, rank: str) -> PassAnalysis:
    """Passes over the fibres of ``rank`` that any execution of ``cascade`` needs.

    Parameters
    ----------
    cascade : Cascade
    rank : str
        A rank of the cascade, or a dimension name whose index expressions split
        it into several ranks (e.g. ``m`` for ``K[e, m1*8+m0]`` with ``K`` declared ``dims: [e, m]``).

    Raises
    ------
    UnknownNameError
        When ``rank`` is unknown.
    TypeError
        When ``cascade`` is not a Cascade.
    """
    if not isinstance(cascade, Cascade):
        raise TypeError(f"analyze_passes needs a Cascade, not {cascade!r}")
    fibre = fibre_ranks(cascade, rank)
    fibre_set = set(fibre)
    # What is known of each tensor's values: the pass that makes them, and whether
    # they are complete only after it (and which full reduction made them so).
    state: dict[str, _Value] = {name: _Value(0, True, None) for name in cascade.inputs}
    number: dict[str, int] = {}
    boundaries: dict[str, tuple[PassBoundary, ...]] = {}
    between: list[str] = []
    for einsum in cascade.einsums:
        reads: list[tuple[str, _Value]] = []
        for access in einsum.accesses:
            if access.tensor == einsum.output.tensor:
                continue  # a recurrence reads earlier positions of its own stream
            value = state[access.tensor]
            if not value.complete and not fibre_set & access.ranks:
                # A streamed value read at a fixed fibre coordinate needs the whole stream.
                value = _Value(value.made_in, True, cascade.producer(access.tensor).name)
            reads.append((access.tensor, value))
        if fibre_set & set(einsum.ranks):
            current = max((v.made_in + 1 if v.after_pass else max(v.made_in, 1) for _, v in reads), default=1)
            number[einsum.name] = current
            boundaries[einsum.name] = tuple(
                dict.fromkeys(
                    PassBoundary(einsum.name, tensor, v.reduced_by or tensor)
                    for tensor, v in reads
                    if v.after_pass and v.made_in + 1 == current
                )
            )
            full = not fibre_set & set(einsum.output_ranks)
            state[einsum.output.tensor] = _Value(current, full, einsum.name if full else None)
        else:
            between.append(einsum.name)
            latest = max((v for _, v in reads), key=lambda v: v.made_in, default=_Value(0, True, None))
            state[einsum.output.tensor] = _Value(latest.made_in, True, latest.reduced_by)
    passes = []
    for n in range(1, max(number.values(), default=0) + 1):
        members = tuple(name for name, p in number.items() if p == n)
        reasons = tuple(b for name in members for b in boundaries.get(name, ()))
        passes.append(Pass(n, members, reasons))
    return PassAnalysis(rank, fibre, tuple(passes), tuple(between))


def count_passes(cascade: Cascade, rank: str) -> int:
    """Number of passes over the fibres of ``rank`` (see :func:`analyze_passes`).

    Raises
    ------
    UnknownNameError
        When ``rank`` is unknown.
    """
    return analyze_passes(cascade, rank).count
