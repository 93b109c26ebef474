"""The analytical model of one mapping in plain floats: what :func:`report_for` prices.

:meth:`CostModel.score` runs numpy over a batch of mappings, the mapper's inner loop; for one mapping its
per-call overhead (dozens of tiny arrays, fancy indexing, one ufunc call per operation) costs far more than the
arithmetic.  :func:`score_one` is the same closed form (``_batch``'s module docstring states its semantics)
over Python floats, in numpy's order of operations, so that its numbers are the batch's bit for bit: every
element-wise operation is the same IEEE operation; sums of fewer than eight non-integer terms add left to
right as numpy does (longer ones go through numpy, whose pairwise order differs); integer-valued sums and
products (tile extents, footprints, visit counts) are exact in any order, as in the batch's matrix products;
and where the batch rounds a floating-point detour to an integer (``rint(exp(sum(log)))``, the PE positions
along a dimension) this takes the exact product it rounds to.  A test scores seeded random layers both ways
and compares every count and cycle.

It scores legal mappings only (the caller checks legality, as :func:`report_for` does with
:func:`mapping.check_mapping`), so it leaves out the batch's validity flags and capacity usage, and the
energies the report derives from the counts.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ._pipeline import SCALAR

if TYPE_CHECKING:
    from mapping import Mapping

    from ._batch import CostModel

__all__ = ["Scored", "score_one"]


class Scored(NamedTuple):
    """Counts and cycles of one mapping (the fields of :class:`BatchResult` of that name, for one mapping).

    ``bandwidth_cycles`` has one entry per storage level (innermost first); ``reads``, ``writes``, ``fills``
    and ``drains`` one row per level of one count per tensor (``Problem.tensors`` order), in elements;
    ``spad_reads`` and ``spad_writes`` one count per tensor.
    """

    cycles: float
    compute_cycles: float
    fill_drain_cycles: float
    bandwidth_cycles: tuple[float, ...]
    reads: tuple[tuple[float, ...], ...]
    writes: tuple[tuple[float, ...], ...]
    fills: tuple[tuple[float, ...], ...]
    drains: tuple[tuple[float, ...], ...]
    noc_hops: float
    spatial_utilization: float
    spad_reads: tuple[float, ...]
    spad_writes: tuple[float, ...]


def fsum_like_numpy(values: list[float]) -> float:
    """``np.sum`` of ``values`` (at least one): left to right below eight terms (numpy's order there), numpy above."""
    if len(values) >= 8:
        return float(np.sum(np.array(values, dtype=np.float64)))
    return functools.reduce(operator.add, values)


def _footprint(coeffs: tuple[tuple[int, ...], ...], dims: tuple[int, ...], ext1: list[float]) -> float:
    """Elements of the box a tile spans, clipped to the tensor (``CostModel._footprint``); ``ext1``: its extents less one.

    The extents and coefficients are integers, so the sums are exact in any order (as the batch's matrix product).
    """
    total = 1.0
    for row, size in zip(coeffs, dims):
        total *= min(sum(map(operator.mul, ext1, row)) + 1.0, float(size))
    return total


def _spread(coeffs: tuple[tuple[int, ...], ...], dims: tuple[int, ...], spread: list[float], stride: list[float]) -> float:
    """Distinct elements of one point per PE, PEs ``stride`` apart along each rank (``CostModel._spread``).

    The batch rounds ``exp(sum(log(spread)))`` over a dimension's ranks to the integer it approximates; this takes
    that product exactly.
    """
    total = 1.0
    for row, size in zip(coeffs, dims):
        box, positions = 1.0, 1.0
        for s, st, c in zip(spread, stride, row):
            if c:
                box += ((s - 1.0) * st) * c
                positions *= s
        total *= min(box, positions, float(size))
    return total


def score_one(model: CostModel, mapping: Mapping) -> Scored:
    """Counts and cycles of one legal ``mapping`` under ``model``, equal to ``model.score`` of it alone.

    Parameters
    ----------
    model : CostModel
    mapping : mapping.Mapping
        A legal mapping of the model's problem (see :func:`mapping.check_mapping`).
    """
    p = model.problem
    pipe = model.pipeline
    ceil = SCALAR.ceil
    storage, tensors = p.storage, p.tensors
    NL, R, NT = len(storage), len(p.ranks), len(tensors)
    dram = NL - 1
    T = [list(map(float, row)) for row in mapping.temporal]
    T0 = T[0]
    S = list(map(operator.mul, map(float, mapping.spatial_rows), mapping.spatial_cols))
    pes = math.prod(S)
    # per on-chip level, the tile's extents less one: the temporal factors up to it, times the spatial ones above the PEs
    ext1 = [[a - 1.0 for a in T0]]
    cum = T0
    for row in T[1:dram]:
        cum = list(map(operator.mul, cum, row))
        ext1.append([a * s - 1.0 for a, s in zip(cum, S)])
    side1 = [a * s - 1.0 for a, s in zip(T0, S)]  # the PEs' register-file tiles side by side
    # the loop nest, outermost first: each loop's rank and factor, and the running product of the factors
    index = {r: k for k, r in enumerate(p.ranks)}.__getitem__
    RK: list[int] = []
    F: list[float] = []
    for level in range(dram, -1, -1):
        ks = list(map(index, mapping.orders[level]))
        RK += ks
        F += map(T[level].__getitem__, ks)
    cp = list(itertools.accumulate(F, operator.mul))
    busy = [pos for pos, f in enumerate(F) if f > 1]  # the loops that advance
    # above[l][r]: product of T[j][r] for j >= l (the batch's reversed cumprod)
    above = [T[dram]] * NL
    for level in range(dram - 1, -1, -1):
        above[level] = list(map(operator.mul, above[level + 1], T[level]))
    scheduled = pipe.residency is not None
    rf_holds = storage[0].holds
    hop_bits = model.energies["noc.hop"].bits
    reads = [[0.0] * NT for _ in storage]
    writes = [[0.0] * NT for _ in storage]
    fills = [[0.0] * NT for _ in storage]
    drains = [[0.0] * NT for _ in storage]
    spad_reads, spad_writes = [0.0] * NT, [0.0] * NT
    noc = 0.0
    nbytes: list[dict[int, float]] = []
    for ti, t in enumerate(tensors):
        coeffs, dims, bits = t.coeffs, t.dim_sizes, t.bits
        relevant = list(map(any, zip(*coeffs))) if coeffs else [False] * R  # the ranks indexing the tensor
        moves = [pos for pos in busy if relevant[RK[pos]]]  # nest positions of its advancing loops
        chain = [0, *pipe.held[ti], dram] if rf_holds[ti] else [*pipe.held[ti], dram]
        tiles = {-1: 1.0}
        sizes = {}
        for i in chain[:-1]:
            tile = tiles[i] = _footprint(coeffs, dims, ext1[i])
            if i:
                sizes[i] = ceil(tile * bits / 8)
        nbytes.append(sizes)
        output = t.role == "output"
        c = -1
        for par in chain:
            # visits of c's tile: the running product down to the innermost advancing loop above c that indexes it
            k = bisect.bisect_left(moves, (dram - c) * R) - 1
            V = cp[moves[k]] if k >= 0 else 1.0
            tile = tiles[c]
            distinct = math.prod(itertools.compress(above[c + 1], relevant), start=1.0)
            fed = c <= 0 and par >= 1  # a per-PE tile fed through the array network
            if fed:
                inst = pes
                U = _footprint(coeffs, dims, side1) if c == 0 else _spread(coeffs, dims, S, T0)
            else:
                inst = pes if c <= 0 else 1.0
                U = tile * inst
            if scheduled and par == dram and c >= 1:
                _scheduled(model, ti, c, V, distinct, tile, reads, writes, fills, drains, spad_reads, spad_writes)
            elif output:
                refetch = V - distinct  # visits less distinct tiles (relevant loops above c)
                writes[par][ti] += V * U
                reads[par][ti] += refetch * U
                if c >= 0:
                    drains[c][ti] += V * tile * inst
                    fills[c][ti] += refetch * tile * inst
                if fed:
                    noc += (V + refetch) * tile * inst * bits / hop_bits
            else:
                reads[par][ti] += V * U
                moved = V * tile * inst
                if c >= 0:
                    fills[c][ti] += moved
                if fed:
                    noc += moved * bits / hop_bits
            c = par
    # latency
    folds = math.prod(itertools.chain.from_iterable(T[1:]), start=1.0)
    per_fold = ceil(math.prod(T0) * p.ops_per_point / p.ops_per_cycle)
    compute = folds * per_fold if p.ops_per_point else 0.0
    latencies, edge_bursts = pipe.edges(nbytes, 1, SCALAR)
    fill_drain = pipe.fold_overhead_one(T0, folds) + latencies
    per_byte = [t.bits / 8 for t in tensors]
    bw = []
    for i, st in enumerate(storage):
        rbytes = map(operator.mul, map(operator.add, reads[i], drains[i]), per_byte)
        wbytes = map(operator.mul, map(operator.add, writes[i], fills[i]), per_byte)
        if not (pipe.banks[i] == 1 or i == pipe.in_place or i == dram):
            # a tile interleaved over fewer words than the level has banks gets only those banks' bandwidth
            slow = [1.0 if i not in nb else pipe.banks[i] / pipe.spans(i, nb[i], SCALAR) for nb in nbytes]
            rbytes, wbytes = map(operator.mul, rbytes, slow), map(operator.mul, wbytes, slow)
        rbytes, wbytes = fsum_like_numpy(list(rbytes)), fsum_like_numpy(list(wbytes))
        rbw = st.read_bandwidth
        if st.shared_bandwidth:
            bw.append((rbytes + wbytes) / rbw)
        elif math.isfinite(rbw) and st.single_port:
            bw.append(rbytes / rbw + wbytes / st.write_bandwidth)
        elif math.isfinite(rbw):
            bw.append(max(rbytes / rbw, wbytes / st.write_bandwidth))
        else:
            bw.append(0.0)
    cycles = max(compute + edge_bursts, max(bw)) + fill_drain
    return Scored(
        cycles=cycles, compute_cycles=compute, fill_drain_cycles=fill_drain, bandwidth_cycles=tuple(bw),
        reads=tuple(map(tuple, reads)), writes=tuple(map(tuple, writes)), fills=tuple(map(tuple, fills)),
        drains=tuple(map(tuple, drains)), noc_hops=noc, spatial_utilization=pes / (p.rows * p.cols),
        spad_reads=tuple(spad_reads), spad_writes=tuple(spad_writes),
    )


def _scheduled(model: CostModel, ti: int, c: int, V: float, distinct: float, tile: float, reads: list[list[float]],
               writes: list[list[float]], fills: list[list[float]], drains: list[list[float]], spad_reads: list[float],
               spad_writes: list[float]) -> None:
    """``CostModel._scheduled`` for one mapping: traffic between level ``c`` and DRAM under a cascade schedule."""
    dram, in_place = len(model.problem.storage) - 1, model.pipeline.in_place
    via = distinct if model.pipeline.via_dram[ti] else 0.0  # tiles that reach DRAM
    if model.problem.tensors[ti].role == "output":
        refetch = V - distinct
        writes[dram][ti] += via * tile
        if c == in_place:
            drains[c][ti] += via * tile
        else:
            drains[c][ti] += V * tile
            fills[c][ti] += refetch * tile
            spad_writes[ti] += (V - via) * tile
            spad_reads[ti] += refetch * tile
    else:
        reads[dram][ti] += via * tile
        if c == in_place:
            fills[c][ti] += via * tile
        else:
            fills[c][ti] += V * tile
            spad_reads[ti] += (V - via) * tile
