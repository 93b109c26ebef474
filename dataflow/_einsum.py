"""One extended Einsum: an output access, an element-wise expression and its reductions."""

from __future__ import annotations

import math
from functools import cached_property
from dataclasses import dataclass, field
from typing import Mapping

from ._errors import CycleError, EinsumError, UnknownNameError
from ._ir import (
    MAP_OPS,
    REDUCE_OPS,
    Call,
    Const,
    Expr,
    Reduction,
    TensorAccess,
    check_ranks,
    format_expr,
    is_identifier,
    walk,
)

__all__ = ["Einsum"]


@dataclass(frozen=True, repr=False)
class Einsum:
    """An extended Einsum ``output = expr :: reductions``.

    The expression is evaluated at every point of the iteration space (the
    output's ranks and the reduced ranks) and reduced over the reduced ranks,
    innermost first.  Ranks of the right-hand side that are not in the output
    and not named in ``reductions`` are summed (Einstein convention) before the
    named reductions.  The output may be indexed by affine expressions
    (``RM[m1+1,p]``): the Einsum then writes only that image and the tensor's
    other elements keep its ``init`` value (populate).  An Einsum may read its
    own output at an earlier coordinate of one rank (a recurrence such as
    ``RM[m1+1,p] = max(RM[m1,p], LM[m1,p])``); it is then evaluated in order
    along that rank.

    Parameters
    ----------
    name : str
        Identifier of the Einsum (by default the output tensor's name).
    output : TensorAccess
        What is written.  Each output index is a constant or ``c*rank + k`` with
        ``c >= 1``, and each rank appears in at most one output index.
    expr : Expr
        The element-wise expression (tensor accesses, constants, map operators).
    reductions : tuple of Reduction
        Explicit reductions, innermost first.
    text : str, optional
        Source text, kept for error messages.

    Raises
    ------
    EinsumError
        For a bad name, an output index that is not injective, a reduction over
        a rank that is in the output or unused, an unknown operator, or a
        self-read that is not a recurrence over an earlier coordinate.
    """

    name: str
    output: TensorAccess
    expr: Expr
    reductions: tuple[Reduction, ...] = ()
    text: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        where = {"einsum": self.name if isinstance(self.name, str) else repr(self.name), "text": self.text}
        if not is_identifier(self.name):
            raise EinsumError(f"Einsum name must be an identifier, not {self.name!r}", expected="letters, digits, _")
        if not isinstance(self.output, TensorAccess):
            raise TypeError(f"Einsum {self.name!r}: output must be a TensorAccess, not {self.output!r}")
        reductions = tuple(self.reductions)
        for reduction in reductions:
            if not isinstance(reduction, Reduction):
                raise TypeError(f"Einsum {self.name!r}: reductions must be Reduction objects, not {reduction!r}")
        object.__setattr__(self, "reductions", reductions)
        self._check_output(where)
        self._check_expr(where)
        object.__setattr__(self, "reductions", self._canonical_reductions(where))
        self._check_recurrence(where)

    # ------------------------------------------------------------------ checks
    def _check_output(self, where: dict) -> None:
        seen: set[str] = set()
        for index in self.output.indices:
            if not index.terms:
                continue
            term = index.terms[0]
            if len(index.terms) > 1 or term.coefficient < 1:
                raise EinsumError(
                    f"output index {str(index)!r} of {self.output.tensor!r} is not of the form c*rank+k",
                    column=index.column,
                    expected="one rank with a positive coefficient per output index, e.g. m or m1+1",
                    **where,
                )
            if term.rank in seen:
                raise EinsumError(
                    f"rank {term.rank!r} appears twice in the output {str(self.output)!r}",
                    column=index.column,
                    expected="each output rank once",
                    **where,
                )
            seen.add(term.rank)

    def _check_expr(self, where: dict) -> None:
        for node in walk(self.expr):
            if isinstance(node, Call):
                arity = MAP_OPS.get(node.op)
                if arity is None:
                    raise EinsumError(
                        f"unknown operator {node.op!r}",
                        column=node.column,
                        expected=f"one of {', '.join(MAP_OPS)}",
                        **where,
                    )
                if len(node.args) != arity:
                    raise EinsumError(
                        f"operator {node.op!r} takes {arity} argument(s), got {len(node.args)}",
                        column=node.column,
                        expected=f"{arity} argument(s)",
                        **where,
                    )
            elif not isinstance(node, (TensorAccess, Const)):
                raise TypeError(f"Einsum {self.name!r}: expression node must be TensorAccess, Const or Call, not {node!r}")

    def _canonical_reductions(self, where: dict) -> tuple[Reduction, ...]:
        output = self.output.ranks
        rhs = self._rhs_ranks()
        named: dict[str, Reduction] = {}
        for reduction in self.reductions:
            if reduction.op not in REDUCE_OPS:
                raise EinsumError(
                    f"unknown reduction operator {reduction.op!r}",
                    column=reduction.column,
                    expected="sum, max or min",
                    **where,
                )
            if reduction.rank in output:
                raise EinsumError(
                    f"cannot reduce over rank {reduction.rank!r}: it indexes the output {str(self.output)!r}",
                    column=reduction.column,
                    expected="a rank used only on the right-hand side",
                    **where,
                )
            if reduction.rank not in rhs:
                raise UnknownNameError(
                    f"reduction over rank {reduction.rank!r}, which the right-hand side does not use",
                    column=reduction.column,
                    expected=f"one of {', '.join(r for r in rhs if r not in output) or 'no rank'}",
                    **where,
                )
            if reduction.rank in named:
                raise EinsumError(
                    f"rank {reduction.rank!r} is reduced twice",
                    column=reduction.column,
                    expected="each rank once",
                    **where,
                )
            named[reduction.rank] = reduction
        implicit = [Reduction(rank, "sum") for rank in rhs if rank not in output and rank not in named]
        full = implicit + list(self.reductions)
        if all(reduction.op == "sum" for reduction in full):
            full.sort(key=lambda reduction: rhs.index(reduction.rank))
        return tuple(full)

    def _check_recurrence(self, where: dict) -> None:
        for access in self.accesses:
            if access.tensor != self.output.tensor:
                continue
            if len(access.indices) != len(self.output.indices):
                continue  # reported as a dimension mismatch by the cascade
            differing = [
                (axis, index, self.output.indices[axis])
                for axis, index in enumerate(access.indices)
                if index != self.output.indices[axis]
            ]
            problem = None
            if not differing:
                problem = f"reads its own output {str(access)!r} at the element it writes"
            elif len(differing) > 1:
                problem = f"reads its own output {str(access)!r} at more than one shifted index"
            else:
                _, read, write = differing[0]
                if read.terms != write.terms or len(read.terms) != 1 or read.constant >= write.constant:
                    problem = f"reads its own output {str(access)!r} but not at an earlier coordinate"
            if problem is not None:
                raise CycleError(
                    problem,
                    column=access.column,
                    expected=f"a recurrence reading {self.output.tensor} at rank-1 along one rank, e.g. X[m1+1] = f(X[m1])",
                    **where,
                )

    # --------------------------------------------------------------- queries
    def _rhs_ranks(self) -> list[str]:
        seen: dict[str, None] = {}
        for access in self.accesses:
            for rank in access.ordered_ranks:
                seen.setdefault(rank, None)
        return list(seen)

    @cached_property
    def accesses(self) -> tuple[TensorAccess, ...]:
        """Every tensor access of the right-hand side, in order of appearance."""
        return tuple(node for node in walk(self.expr) if isinstance(node, TensorAccess))

    @cached_property
    def inputs(self) -> tuple[TensorAccess, ...]:
        """Accesses of the right-hand side, in order of appearance, the first one per tensor."""
        seen: dict[str, TensorAccess] = {}
        for access in self.accesses:
            seen.setdefault(access.tensor, access)
        return tuple(seen.values())

    @property
    def output_ranks(self) -> tuple[str, ...]:
        """Ranks of the output, in order of appearance."""
        return self.output.ordered_ranks

    @property
    def reduced_ranks(self) -> tuple[str, ...]:
        """Ranks reduced over, innermost first."""
        return tuple(reduction.rank for reduction in self.reductions)

    @property
    def reduce_op(self) -> dict[str, str]:
        """Reduction operator per reduced rank."""
        return {reduction.rank: reduction.op for reduction in self.reductions}

    @cached_property
    def ranks(self) -> tuple[str, ...]:
        """All iteration ranks: the output's first, then the reduced ones."""
        output = self.output_ranks
        return output + self.reduced_ranks

    @property
    def recurrent_rank(self) -> str | None:
        """The rank along which the Einsum reads its own earlier output, if it does."""
        for access in self.accesses:
            if access.tensor == self.output.tensor:
                for read, write in zip(access.indices, self.output.indices):
                    if read != write:
                        return write.terms[0].rank
        return None

    def iteration_space(self, shapes: Mapping[str, int]) -> dict[str, int]:
        """Size of every iteration rank, in :attr:`ranks` order.

        Raises
        ------
        UnknownNameError
            When a rank is missing from ``shapes``.
        """
        if not self._indexing_ranks.issubset(shapes):  # walk the accesses only to name the missing rank
            check_ranks(dict(shapes), self.name, self.text, (self.output,) + self.accesses)
        return {rank: int(shapes[rank]) for rank in self.ranks}

    @cached_property
    def _indexing_ranks(self) -> frozenset[str]:
        """Every rank an index of the output or of an access names (what :meth:`iteration_space` needs sized)."""
        return frozenset(rank for access in (self.output,) + self.accesses for index in access.indices
                         for rank in index.ranks)

    def points(self, shapes: Mapping[str, int]) -> int:
        """Number of points of the iteration space."""
        return math.prod(self.iteration_space(shapes).values())

    def op_counts(self, shapes: Mapping[str, int]) -> dict[str, int]:
        """Operations by operator over the whole iteration space.

        Each map operator counts once per iteration point; a reduction counts one
        operation of its kind per element it accumulates (consecutive reductions
        with one operator, e.g. over ``c, r, s``, accumulate once), so a
        multiply-accumulate counts one ``mul`` and one ``add``.

        Raises
        ------
        UnknownNameError
            When a rank is missing from ``shapes``.
        """
        space = self.iteration_space(shapes)
        points = math.prod(space.values())
        counts: dict[str, int] = {}
        nodes = [self.expr]  # every node, in any order: the counts are sorted below
        while nodes:
            node = nodes.pop()
            if isinstance(node, Call):
                counts[node.op] = counts.get(node.op, 0) + points
                nodes += node.args
        remaining = points
        previous = None
        for reduction in self.reductions:
            # Consecutive reductions with one operator are a single accumulation.
            if reduction.op != previous:
                op = "add" if reduction.op == "sum" else reduction.op
                counts[op] = counts.get(op, 0) + remaining
                previous = reduction.op
            remaining //= space[reduction.rank]
        return dict(sorted(counts.items()))

    def macs(self, shapes: Mapping[str, int]) -> int:
        """Multiply-accumulates: the iteration points of a sum-reduced product of two
        non-constant operands (``A[m,k] * B[k,n]``), else 0 (so ``X[d,p] * 0.5``
        summed over ``d`` is a scaled sum, not a MAC).
        """
        reductions, expr = self.reductions, self.expr
        if not reductions or not isinstance(expr, Call) or expr.op != "mul":
            return 0
        for r in reductions:
            if r.op != "sum":
                return 0
        for a in expr.args:
            if isinstance(a, Const):
                return 0
        return self.points(shapes)

    def reuse_ranks(self, tensor: str) -> tuple[str, ...]:
        """Iteration ranks ``tensor`` is not indexed by here (along which each element is reused).

        Raises
        ------
        UnknownNameError
            When this Einsum does not access ``tensor``.
        """
        accesses = [a for a in (self.output,) + self.accesses if a.tensor == tensor]
        if not accesses:
            names = dict.fromkeys(a.tensor for a in (self.output,) + self.accesses)
            raise UnknownNameError(
                f"Einsum does not access tensor {tensor!r}", einsum=self.name, expected=f"one of {', '.join(names)}"
            )
        used = frozenset().union(*(a.ranks for a in accesses))
        return tuple(rank for rank in self.ranks if rank not in used)

    def __repr__(self) -> str:
        return f"Einsum({str(self)!r})"

    def __str__(self) -> str:
        text = f"{self.output} = {format_expr(self.expr)}"
        if any(reduction.op != "sum" for reduction in self.reductions):
            text += " :: " + " ".join(f"{r.op}({r.rank})" for r in self.reductions)
        if self.name != self.output.tensor:
            text = f"{self.name}: {text}"
        return text
