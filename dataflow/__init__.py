"""Workloads as cascades of extended Einsums.

The notation, one Einsum per line (``#`` starts a comment)::

    Z[m,n] = A[m,k] * B[k,n]                      ranks not in the output are summed
    GM[p] = QK[m,p] :: max(m)                     explicit reductions: sum, max, min
    S[n] = A[n,m,k] :: sum(k) max(m)              several, innermost first
    SN[m,p] = exp(QK[m,p] - GM[p])                map operators: + - * / and unary -,
                                                  exp max min relu sqrt recip tanh gelu
    O[n,k,p,q] = I[n,c,p*2+r,q*2+s] * W[k,c,r,s]  affine indices (integer coefficients)
    IP[n,c,h+1,w+1] = I[n,c,h,w]                  populate: writes an offset region
    RM[m1+1,p] = max(RM[m1,p], LM[m1,p])          recurrence along m1, starting from init
    AV[f,p] = RNV[f,4,p] / RD[4,p]                constant indices
    scores: QK[m,p] = Q[e,p] * K[e,m]             optional name (default: the output tensor)

A :class:`Cascade` is an ordered list of Einsums with the size of every rank
(:func:`parse_cascade`, :func:`build_cascade`, :func:`load_cascade` for YAML
files, :func:`load_timeloop_problem` for Timeloop v4 problem files, or the builders of
:mod:`dataflow.library`).  It answers questions about
its dependency graph, op counts, tensor sizes and reuse; :func:`execute`
evaluates it with numpy; :func:`count_passes` / :func:`analyze_passes` give the
FuseMax number of passes over a rank's fibres.

Padding is a populate: a tensor declared with its padded dimensions is written
at an offset and its other elements keep its ``init`` value (0 by default).
A recurrence reads its own output one step back along a rank; the first step
reads ``init`` (e.g. ``-inf`` for a running maximum).  Bad input raises an
:class:`EinsumError` (a ``ValueError``) naming the Einsum, the column of the
offending token and what was expected.

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
from ._executor import execute, execute_boxes
from ._ir import AffineIndex, Call, Const, Rank, Reduction, TensorAccess, Term
from ._parser import parse_einsum
from ._passes import Pass, PassAnalysis, PassBoundary, analyze_passes, count_passes, fibre_ranks
from ._tensor import Tensor, TensorDecl
from ._yaml import dump_cascade, load_cascade, loads_cascade
from ._timeloop import load_timeloop_problem, loads_timeloop_problem

__all__ = [
    # notation and IR
    "parse_einsum",
    "parse_cascade",
    "build_cascade",
    "load_cascade",
    "loads_cascade",
    "dump_cascade",
    "load_timeloop_problem",
    "loads_timeloop_problem",
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
    "execute_boxes",
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
