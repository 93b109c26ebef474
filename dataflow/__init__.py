"""Workloads as cascades of extended Einsums.

Write Einsums in a small text notation, e.g. ``Z[m,n] = A[m,k] * B[k,n]``,
``GM[p] = QK[m,p] :: max(m)`` or ``O[n,k,p,q] = I[n,c,p*2+r,q*2+s] * W[k,c,r,s]``;
group them into a :class:`Cascade` with rank sizes (:func:`parse_cascade`,
:func:`load_cascade`, or the builders in :mod:`dataflow.library`); ask it for
its dependency graph, op counts, tensor sizes and reuse facts; evaluate it with
:func:`execute`; count the passes it needs over a rank with :func:`count_passes`.

Padding is a populate: a tensor declared with its padded dimensions is written
at an offset (``IP[n,c,h+1,w+1] = I[n,c,h,w]``) and its other elements keep its
``init`` value (0).  Recurrences (``RM[m1+1,p] = max(RM[m1,p], LM[m1,p])``)
read their own output one step back along a rank, starting from ``init``.

This package knows nothing of hardware.
"""

from . import library
from ._build import build_cascade, parse_cascade
from ._cascade import Cascade
from ._einsum import Einsum
from ._errors import (
    CascadeFileError,
    CycleError,
    EinsumError,
    EinsumSyntaxError,
    ShapeError,
    UnknownNameError,
)
from ._executor import execute
from ._ir import AffineIndex, Call, Const, Rank, Reduction, TensorAccess, Term
from ._parser import parse_einsum
from ._passes import Pass, PassAnalysis, PassBoundary, analyze_passes, count_passes, fibre_ranks
from ._tensor import Tensor, TensorDecl
from ._yaml import dump_cascade, load_cascade, loads_cascade

__all__ = [
    # notation and IR
    "parse_einsum",
    "parse_cascade",
    "build_cascade",
    "load_cascade",
    "loads_cascade",
    "dump_cascade",
    "Rank",
    "Term",
    "AffineIndex",
    "TensorAccess",
    "Const",
    "Call",
    "Reduction",
    "Einsum",
    "Tensor",
    "TensorDecl",
    "Cascade",
    # evaluation and analysis
    "execute",
    "count_passes",
    "analyze_passes",
    "fibre_ranks",
    "PassAnalysis",
    "Pass",
    "PassBoundary",
    # built-in workloads
    "library",
    # errors
    "EinsumError",
    "EinsumSyntaxError",
    "UnknownNameError",
    "ShapeError",
    "CycleError",
    "CascadeFileError",
]
