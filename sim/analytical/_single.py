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

from ._pipeline import SCALAR, _ceil

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


def _footprint(coeffs: tuple[tuple[int, ...], ...], dims: list[float], ext1: list[float]) -> float:
    """Elements of the box a tile spans, clipped to the tensor (``CostModel._footprint``); ``ext1``: its extents less one.

    The extents and coefficients are integers, so the sums are exact in any order (as the batch's matrix product);
    where each dimension is one rank (``TensorInfo.axes``) the clipped extents of those ranks are the same numbers.
    """
    total = 1.0
    for row, size in zip(coeffs, dims):
        total *= min(sum(map(operator.mul, ext1, row)) + 1.0, size)
    return total


def _spread(coeffs: tuple[tuple[int, ...], ...], dims: list[float], spread: list[float], stride: list[float]) -> float:
    """Distinct elements of one point per PE, PEs ``stride`` apart along each rank (``CostModel._spread``).

    The batch rounds ``exp(sum(log(spread)))`` over a dimension's ranks to the integer it approximates; this takes
    that product exactly.  (Along a dimension of one rank that is the rank's PE count: ``stride >= 1``.)
    """
    total = 1.0
    for row, size in zip(coeffs, dims):
        box, positions = 1.0, 1.0
        for s, st, c in zip(spread, stride, row):
            if c:
                box += ((s - 1.0) * st) * c
                positions *= s
        total *= min(box, positions, size)
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
    mul, prod, compress, bisect_left = operator.mul, math.prod, itertools.compress, bisect.bisect_left
    storage, tensors, ranks = p.storage, p.tensors, p.ranks
    NL, R, NT = len(storage), len(ranks), len(tensors)
    dram = NL - 1
    T = [list(map(float, row)) for row in mapping.temporal]
    T0 = T[0]
    S = list(map(mul, map(float, mapping.spatial_rows), mapping.spatial_cols))
    pes = prod(S)
    # per storage level below DRAM, the tile's extents: the temporal factors up to it, times the spatial ones above
    # the PEs (integers, exact in floats)
    ext = [T0]
    cum = T0
    for row in T[1:dram]:
        cum = list(map(mul, cum, row))
        ext.append(list(map(mul, cum, S)))
    side = list(map(mul, T0, S))  # the PEs' register-file tiles side by side
    # the loop nest, outermost first: each loop's rank and factor, and the running product of the factors
    RK: list[int] = []
    F: list[float] = []
    for level in range(dram, -1, -1):
        ks = list(map(ranks.index, mapping.orders[level]))
        RK += ks
        F += map(T[level].__getitem__, ks)
    cp = list(itertools.accumulate(F, mul))
    busy = [pos for pos, f in enumerate(F) if f > 1]  # the loops that advance
    busy_ranks = list(map(RK.__getitem__, busy))
    # above[l][r]: product of T[j][r] for j >= l (the batch's reversed cumprod)
    above = [T[dram]] * NL
    for level in range(dram - 1, -1, -1):
        above[level] = list(map(mul, above[level + 1], T[level]))
    scheduled = pipe.residency is not None
    rf_holds = storage[0].holds
    hop_bits = model.energies["noc.hop"].bits
    # per tensor, its counts at every level (columns; the result's rows are per level)
    reads, writes, fills, drains = [], [], [], []
    spad_reads, spad_writes = [0.0] * NT, [0.0] * NT
    noc = 0.0
    nbytes: list[dict[int, float]] = []
    rf_tiles: list[float | None] = [None] * NT
    ext1 = None  # the extents less one, for tensors with a dimension of several ranks
    for ti, t in enumerate(tensors):
        bits, axes = t.bits, t.axes
        dims = list(map(float, t.dim_sizes))
        relevant = t.relevant or (False,) * R  # the ranks indexing the tensor
        moves = list(compress(busy, map(relevant.__getitem__, busy_ranks)))  # nest positions of its advancing loops
        held = pipe.held[ti]
        in_rf = rf_holds[ti]
        chain = [0, *held, dram] if in_rf else [*held, dram]
        tiles = {-1: 1.0}
        # U_fed: what the parent of the per-PE tiles reads per visit for all PEs (the register files' tiles side by
        # side, or the latches' distinct operands where the register file does not hold the tensor)
        if axes is not None:  # each dimension is one rank: the tile spans that rank's extent, clipped
            for i in chain[:-1]:
                tiles[i] = prod(map(min, map(ext[i].__getitem__, axes), dims))
            U_fed = prod(map(min, map((side if in_rf else S).__getitem__, axes), dims))
        else:
            if ext1 is None:
                ext1 = [[a - 1.0 for a in e] for e in ext]
            coeffs = t.coeffs
            for i in chain[:-1]:
                tiles[i] = _footprint(coeffs, dims, ext1[i])
            U_fed = _footprint(coeffs, dims, [a - 1.0 for a in side]) if in_rf else _spread(coeffs, dims, S, T0)
        sizes = {}
        for i in held:
            sizes[i] = _ceil(tiles[i] * bits / 8)
        nbytes.append(sizes)
        if in_rf:
            rf_tiles[ti] = tiles[0]
        rd, wr, fl, dr = [0.0] * NL, [0.0] * NL, [0.0] * NL, [0.0] * NL
        reads.append(rd)
        writes.append(wr)
        fills.append(fl)
        drains.append(dr)
        output = t.role == "output"
        c = -1
        for par in chain:
            # visits of c's tile: the running product down to the innermost advancing loop above c that indexes it
            k = bisect_left(moves, (dram - c) * R) - 1
            V = cp[moves[k]] if k >= 0 else 1.0
            tile = tiles[c]
            fed = c <= 0 and par >= 1  # a per-PE tile fed through the array network
            if fed:
                inst = pes
                U = U_fed
            else:
                inst = pes if c <= 0 else 1.0
                U = tile * inst
            if scheduled and par == dram and c >= 1:
                distinct = prod(compress(above[c + 1], relevant), start=1.0)  # tiles (relevant loops above c)
                _scheduled(model, ti, c, V, distinct, tile, rd, wr, fl, dr, spad_reads, spad_writes)
            elif output:
                refetch = V - prod(compress(above[c + 1], relevant), start=1.0)  # visits less distinct tiles
                wr[par] += V * U
                rd[par] += refetch * U
                if c >= 0:
                    dr[c] += V * tile * inst
                    fl[c] += refetch * tile * inst
                if fed:
                    noc += (V + refetch) * tile * inst * bits / hop_bits
            else:
                rd[par] += V * U
                moved = V * tile * inst
                if c >= 0:
                    fl[c] += moved
                if fed:
                    noc += moved * bits / hop_bits
            c = par
    reads, writes, fills, drains = tuple(zip(*reads)), tuple(zip(*writes)), tuple(zip(*fills)), tuple(zip(*drains))
    # latency
    folds = prod(itertools.chain.from_iterable(T[1:]), start=1.0)
    per_fold = _ceil(prod(T0) * p.ops_per_point / p.ops_per_cycle)
    compute = folds * per_fold if p.ops_per_point else 0.0
    latencies, edge_bursts = pipe.edges_one(nbytes)
    fill_drain = pipe.fold_overhead_one(T0, folds, rf_tiles) + latencies
    per_byte = [t.bits / 8 for t in tensors]
    bw = []
    add, reduce, banks, in_place = operator.add, functools.reduce, pipe.banks, pipe.in_place
    for i, st in enumerate(storage):
        rbw = st.read_bandwidth
        if not (st.shared_bandwidth or math.isfinite(rbw)):
            bw.append(0.0)  # no bound (the register file)
            continue
        rbytes = map(mul, map(add, reads[i], drains[i]), per_byte)
        wbytes = map(mul, map(add, writes[i], fills[i]), per_byte)
        if not (banks[i] == 1 or i == in_place or i == dram):
            # a tile interleaved over fewer words than the level has banks gets only those banks' bandwidth
            slow = [1.0 if i not in nb else banks[i] / pipe.spans(i, nb[i], SCALAR) for nb in nbytes]
            rbytes, wbytes = map(mul, rbytes, slow), map(mul, wbytes, slow)
        if NT < 8:  # numpy's order below eight terms: left to right (see fsum_like_numpy)
            rbytes, wbytes = reduce(add, rbytes), reduce(add, wbytes)
        else:
            rbytes, wbytes = fsum_like_numpy(list(rbytes)), fsum_like_numpy(list(wbytes))
        if st.shared_bandwidth:
            bw.append((rbytes + wbytes) / rbw)
        elif st.single_port:
            bw.append(rbytes / rbw + wbytes / st.write_bandwidth)
        else:
            bw.append(max(rbytes / rbw, wbytes / st.write_bandwidth))
    cycles = max(compute + edge_bursts, max(bw)) + fill_drain
    return Scored(cycles, compute, fill_drain, tuple(bw), reads, writes, fills, drains, noc, pes / (p.rows * p.cols),
                  tuple(spad_reads), tuple(spad_writes))


def _scheduled(model: CostModel, ti: int, c: int, V: float, distinct: float, tile: float, reads: list[float],
               writes: list[float], fills: list[float], drains: list[float], spad_reads: list[float],
               spad_writes: list[float]) -> None:
    """``CostModel._scheduled`` for one mapping: traffic between level ``c`` and DRAM under a cascade schedule.

    ``reads`` ... ``drains``: tensor ``ti``'s counts per level; ``spad_reads``, ``spad_writes``: per tensor.
    """
    dram, in_place = len(model.problem.storage) - 1, model.pipeline.in_place
    via = distinct if model.pipeline.via_dram[ti] else 0.0  # tiles that reach DRAM
    if model.problem.tensors[ti].role == "output":
        refetch = V - distinct
        writes[dram] += via * tile
        if c == in_place:
            drains[c] += via * tile
        else:
            drains[c] += V * tile
            fills[c] += refetch * tile
            spad_writes[ti] += (V - via) * tile
            spad_reads[ti] += refetch * tile
    else:
        reads[dram] += via * tile
        if c == in_place:
            fills[c] += via * tile
        else:
            fills[c] += V * tile
            spad_reads[ti] += (V - via) * tile
