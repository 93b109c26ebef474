"""The building blocks of an extended Einsum: ranks, affine indices, tensor accesses, expressions.

Positions in the source text (``column`` fields) are kept for error messages
and never take part in equality.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple, Union

from ._errors import ShapeError, UnknownNameError

__all__ = [
    "Rank",
    "Term",
    "AffineIndex",
    "TensorAccess",
    "Const",
    "Call",
    "Reduction",
    "Expr",
    "MAP_OPS",
    "REDUCE_OPS",
    "FUNCTIONS",
    "walk",
    "format_expr",
    "is_identifier",
]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Element-wise (map) operators and their arity.  The infix ones are written
#: ``+ - * /`` (and unary ``-``); the others are called as functions.
MAP_OPS: dict[str, int] = {
    "add": 2,
    "sub": 2,
    "mul": 2,
    "div": 2,
    "neg": 1,
    "exp": 1,
    "max": 2,
    "min": 2,
    "relu": 1,
    "sqrt": 1,
    "recip": 1,
    "tanh": 1,
    "gelu": 1,
    "erf": 1,
}
#: Operators written as function calls in the text notation.
FUNCTIONS: tuple[str, ...] = ("exp", "max", "min", "relu", "sqrt", "recip", "tanh", "gelu", "erf")
#: Reduction operators (each with its identity as the accumulator's start value).
REDUCE_OPS: dict[str, float] = {"sum": 0.0, "max": -math.inf, "min": math.inf}

_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3}


def is_identifier(name: object) -> bool:
    """Whether ``name`` is a valid tensor/rank/Einsum name (letters, digits, ``_``)."""
    return isinstance(name, str) and _IDENT.match(name) is not None


@dataclass(frozen=True)
class Rank:
    """A named rank (iteration dimension) and its size.

    Parameters
    ----------
    name : str
        Identifier of the rank.
    size : int
        Number of coordinates, at least 1.

    Raises
    ------
    TypeError, ValueError
        For a non-identifier name or a size that is not a positive integer.
    """

    name: str
    size: int

    def __post_init__(self) -> None:
        if not is_identifier(self.name):
            raise ValueError(f"rank name must be an identifier, not {self.name!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise TypeError(f"size of rank {self.name!r} must be an integer, not {self.size!r}")
        if self.size < 1:
            raise ValueError(f"size of rank {self.name!r} must be a positive integer, not {self.size!r}")


class Term(NamedTuple):
    """One ``coefficient * rank`` term of an :class:`AffineIndex`."""

    coefficient: int
    rank: str


@dataclass(frozen=True)
class AffineIndex:
    """An affine index expression ``sum(coefficient * rank) + constant``, e.g. ``p*2+r``.

    ``term_columns`` (one per term) and ``column`` locate the expression in the
    Einsum's text; they do not take part in equality.
    """

    terms: tuple[Term, ...] = ()
    constant: int = 0
    column: int | None = field(default=None, compare=False)
    term_columns: tuple[int, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        terms = []
        for term in self.terms:
            if (
                not isinstance(term, tuple)
                or len(term) != 2
                or isinstance(term[0], bool)
                or not isinstance(term[0], int)
                or not is_identifier(term[1])
            ):
                raise TypeError(f"index terms must be (integer coefficient, rank name) pairs, not {tuple(term) if isinstance(term, tuple) else term!r}")
            terms.append(Term(*term))
        if isinstance(self.constant, bool) or not isinstance(self.constant, int):
            raise TypeError(f"index constant must be an integer, not {self.constant!r}")
        object.__setattr__(self, "terms", tuple(terms))

    @property
    def ranks(self) -> tuple[str, ...]:
        """Names of the ranks in this index, in order of appearance."""
        return tuple(term.rank for term in self.terms)

    @property
    def plain_rank(self) -> str | None:
        """The rank when the index is just that rank (``m``), else ``None``."""
        if len(self.terms) == 1 and self.terms[0].coefficient == 1 and self.constant == 0:
            return self.terms[0].rank
        return None

    def rank_column(self, rank: str) -> int | None:
        """Column of ``rank``'s term in the text (falls back to the index's column)."""
        if self.term_columns is not None:
            for term, column in zip(self.terms, self.term_columns):
                if term.rank == rank:
                    return column
        return self.column

    def bounds(self, shapes: dict[str, int]) -> tuple[int, int]:
        """Smallest and largest value of the index over the ranks' coordinates."""
        low = high = self.constant
        for coefficient, rank in self.terms:
            span = coefficient * (shapes[rank] - 1)
            low += min(0, span)
            high += max(0, span)
        return low, high

    def __str__(self) -> str:
        pieces: list[str] = []
        for coefficient, rank in self.terms:
            magnitude = abs(coefficient)
            text = rank if magnitude == 1 else f"{rank}*{magnitude}"
            if coefficient < 0:
                pieces.append(f"-{text}")
            else:
                pieces.append(f"+{text}" if pieces else text)
        if self.constant or not pieces:
            if pieces:
                pieces.append(f"+{self.constant}" if self.constant > 0 else str(self.constant))
            else:
                pieces.append(str(self.constant))
        return "".join(pieces)


@dataclass(frozen=True)
class TensorAccess:
    """A tensor indexed by affine index expressions, e.g. ``I[c, p*2+r, q*2+s]``."""

    tensor: str
    indices: tuple[AffineIndex, ...] = ()
    column: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not is_identifier(self.tensor):
            raise ValueError(f"tensor name must be an identifier, not {self.tensor!r}")
        indices = tuple(self.indices)
        for index in indices:
            if not isinstance(index, AffineIndex):
                raise TypeError(f"indices of tensor {self.tensor!r} must be AffineIndex objects, not {index!r}")
        object.__setattr__(self, "indices", indices)

    @property
    def ranks(self) -> frozenset[str]:
        """The set of rank names this access is indexed by."""
        return frozenset(rank for index in self.indices for rank in index.ranks)

    @property
    def ordered_ranks(self) -> tuple[str, ...]:
        """Rank names in order of first appearance."""
        seen: dict[str, None] = {}
        for index in self.indices:
            for rank in index.ranks:
                seen.setdefault(rank, None)
        return tuple(seen)

    def __str__(self) -> str:
        return f"{self.tensor}[{','.join(str(index) for index in self.indices)}]"


@dataclass(frozen=True)
class Const:
    """A numeric constant (``inf`` allowed)."""

    value: float

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)) or math.isnan(self.value):
            raise TypeError(f"constant must be a number (inf allowed), not {self.value!r}")
        object.__setattr__(self, "value", float(self.value))


@dataclass(frozen=True)
class Call:
    """An element-wise operator applied to sub-expressions (``op`` is a key of :data:`MAP_OPS`)."""

    op: str
    args: tuple["Expr", ...]
    column: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))


Expr = Union[TensorAccess, Const, Call]


@dataclass(frozen=True)
class Reduction:
    """Reduce over ``rank`` with ``op`` (``sum``, ``max`` or ``min``)."""

    rank: str
    op: str
    column: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not is_identifier(self.rank):
            raise ValueError(f"reduction rank must be an identifier, not {self.rank!r}")


def walk(expr: Expr) -> Iterator[Expr]:
    """Yield every node of ``expr`` in left-to-right pre-order."""
    yield expr
    if isinstance(expr, Call):
        for arg in expr.args:
            yield from walk(arg)


def _format_number(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(value))


def format_expr(expr: Expr, parent: int = 0, right: bool = False) -> str:
    """Text of ``expr`` in the notation the parser reads (parenthesized only where needed)."""
    if isinstance(expr, TensorAccess):
        return str(expr)
    if isinstance(expr, Const):
        text = _format_number(expr.value)
        return f"({text})" if expr.value < 0 and parent >= 2 else text
    precedence = _PRECEDENCE.get(expr.op)
    if precedence is None:
        return f"{expr.op}({', '.join(format_expr(arg) for arg in expr.args)})"
    if expr.op == "neg":
        text = "-" + format_expr(expr.args[0], precedence)
    else:
        left = format_expr(expr.args[0], precedence)
        right_text = format_expr(expr.args[1], precedence, right=True)
        text = f"{left} {_INFIX[expr.op]} {right_text}"
    needs = precedence < parent or (right and precedence == parent)
    return f"({text})" if needs else text


def check_ranks(shapes: dict[str, int], einsum: str, text: str | None, accesses) -> None:
    """Raise :class:`UnknownNameError` for the first rank used by ``accesses`` missing from ``shapes``."""
    for access in accesses:
        for index in access.indices:
            for rank in index.ranks:
                if rank not in shapes:
                    known = ", ".join(sorted(shapes)) or "none"
                    raise UnknownNameError(
                        f"unknown rank {rank!r}",
                        einsum=einsum,
                        column=index.rank_column(rank),
                        expected=f"a rank of the cascade's shapes: {known}",
                        text=text,
                    )


def check_bounds(index: AffineIndex, size: int, shapes: dict[str, int], where: dict) -> None:
    """Raise :class:`ShapeError` when ``index`` can leave ``[0, size)``."""
    low, high = index.bounds(shapes)
    if low < 0 or high >= size:
        raise ShapeError(
            f"index {str(index)!r} of tensor {where['tensor']!r} (dimension {where['axis']}) "
            f"ranges over [{low}, {high}], out of bounds",
            einsum=where["einsum"],
            column=index.column,
            expected=f"values in [0, {size - 1}]",
            text=where.get("text"),
        )
