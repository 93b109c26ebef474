"""The analytical access counts against a brute-force loop-nest simulation on tiny problems.

The brute force knows nothing of the model's formulas: it enumerates every
iteration point of the tiled loop nest, computes each level's tile (the dense
box of tensor coordinates its subtree touches) for every step of the loops
above it and every PE, and counts a fetch whenever a PE's tile changes
(outputs: a write-back per visit, a re-read of partial sums on every visit of
a tile seen before).  Parents of per-PE children read the union of the PEs'
new tiles once (multicast).  Perfect tilings only, where the model claims
exact counts.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import accel
import dataflow
from mapping import Mapping, build_problem
from sim.analytical import MappingBatch, cost_model


def _coords(mapping: Mapping):
    """Per iteration point: (loop-index dict, rank coordinates), in nest order."""
    nl, ranks = len(mapping.levels), mapping.ranks
    loops = []  # (key, rank index, factor) outermost first
    for i in range(nl - 1, -1, -1):
        if i == 0:
            for axis, fs in (("row", mapping.spatial_rows), ("col", mapping.spatial_cols)):
                loops += [((axis, r), r, f) for r, f in enumerate(fs) if f > 1]
        row = mapping.temporal[i]
        loops += [((i, ranks.index(name)), ranks.index(name), row[ranks.index(name)]) for name in mapping.orders[i] if row[ranks.index(name)] > 1]
    # digit weights per rank: levels outer..1, rows, cols, level 0 (least significant)
    sig = []
    for r in range(len(ranks)):
        keys = [(i, r) for i in range(nl - 1, 0, -1)] + [("row", r), ("col", r), (0, r)]
        fac = {(i, r): mapping.temporal[i][r] for i in range(nl)}
        fac[("row", r)], fac[("col", r)] = mapping.spatial_rows[r], mapping.spatial_cols[r]
        w, weights = 1, {}
        for k in reversed(keys):
            weights[k] = w
            w *= fac[k]
        sig.append(weights)
    for idx in itertools.product(*[range(f) for _, _, f in loops]):
        d = {key: v for (key, _, _), v in zip(loops, idx)}
        coord = tuple(sum(v * sig[r][key] for key, v in d.items() if key[1] == r) for r in range(len(ranks)))
        yield d, coord


def _box(points):
    lo = np.min(points, axis=0)
    hi = np.max(points, axis=0)
    return tuple(lo), tuple(hi)


def _size(box):
    lo, hi = box
    return math.prod(h - low + 1 for low, h in zip(lo, hi))


def _union(boxes):
    return _box([b[0] for b in boxes] + [b[1] for b in boxes])


def brute_force(problem, mapping, mode="data"):
    """Counts per (level, tensor).  ``mode='data'``: a PE refetches when its tile's box changes;
    ``mode='loops'``: when a loop above that indexes the tensor advances (what a controller
    following the loop nest does; differs only when consecutive sliding-window tiles coincide)."""
    nl, nt = len(problem.storage), len(problem.tensors)
    points = [(d, c) for d, c in _coords(mapping) if all(x < n for x, n in zip(c, problem.sizes))]  # padding idles
    out = {k: np.zeros((nl, nt)) for k in ("reads", "writes", "fills", "drains")}
    for ti, t in enumerate(problem.tensors):
        coeffs = np.array(t.coeffs)

        def tcoord(coord):
            return tuple(coeffs @ np.array(coord))

        relevant = t.relevant
        chain = [-1] + [i for i in range(nl) if problem.storage[i].holds[ti]]
        for c, par in zip(chain[:-1], chain[1:]):
            per_pe = c <= 0
            # context = loops above c (levels > c), instance = spatial indices when per-PE
            groups: dict = {}
            order = []
            for d, coord in points:
                ctx = tuple((k, v) for k, v in d.items() if isinstance(k[0], int) and k[0] > c)
                inst = tuple((k, v) for k, v in d.items() if isinstance(k[0], str)) if per_pe else ()
                if ctx not in groups:
                    groups[ctx] = {}
                    order.append(ctx)
                groups[ctx].setdefault(inst, []).append(tcoord(coord))
            prev, seen = {}, {}
            for ctx in order:
                changed, refetch = [], []
                for inst, pts in groups[ctx].items():
                    box = _box(pts)
                    key = box if mode == "data" else tuple((k, v) for k, v in ctx if relevant[k[1]])
                    if prev.get(inst) != key:
                        changed.append(box)
                        if key in seen.setdefault(inst, set()):
                            refetch.append(box)
                        seen[inst].add(key)
                        prev[inst] = key
                if not changed:
                    continue

                def parent_side(boxes):
                    if per_pe and par >= 1 and c == 0:  # register-file tiles side by side
                        return _size(_union(boxes))
                    if per_pe and par >= 1:  # one operand per PE: the distinct ones, per dimension
                        return math.prod(len({b[0][d] for b in boxes}) for d in range(len(boxes[0][0])))
                    return sum(_size(b) for b in boxes)

                if t.role == "output":
                    out["writes"][par, ti] += parent_side(changed)
                    if refetch:
                        out["reads"][par, ti] += parent_side(refetch)
                    if c >= 0:
                        out["drains"][c, ti] += sum(_size(b) for b in changed)
                        out["fills"][c, ti] += sum(_size(b) for b in refetch)
                else:
                    out["reads"][par, ti] += parent_side(changed)
                    if c >= 0:
                        out["fills"][c, ti] += sum(_size(b) for b in changed)
    return out


def _mapping(problem, temporal, rows, cols, orders):
    ranks = problem.ranks
    t = tuple(tuple(temporal[lv].get(r, 1) for r in ranks) for lv in problem.level_names)
    o = tuple(tuple(orders.get(lv, ranks)) for lv in problem.level_names)
    return Mapping(problem.einsum, ranks, problem.level_names, t, o,
                   tuple(rows.get(r, 1) for r in ranks), tuple(cols.get(r, 1) for r in ranks))


def _check(einsum, shapes, arch, mapping):
    model = cost_model(einsum, shapes, arch)
    got = model.score(MappingBatch.from_mappings([mapping]))
    want = brute_force(model.problem, mapping)
    for key in ("reads", "writes", "fills", "drains"):
        np.testing.assert_allclose(getattr(got, key)[0], want[key], err_msg=key)


GEMM = dataflow.library.build("gemm", M=4, N=4, K=6)
GEMM_CASES = [
    # edge: rf holds outputs only; scratchpad inputs+weights; l2 all
    ("edge", {"rf": {"k": 3}, "scratchpad": {"m": 2}, "l2": {"k": 2}, "dram": {"n": 2}}, {"m": 2}, {"n": 2},
     {"l2": ("k", "m", "n"), "dram": ("n", "m", "k")}),
    ("edge", {"rf": {"k": 2}, "scratchpad": {"k": 3, "n": 2}, "l2": {"m": 2}, "dram": {"n": 2}}, {"m": 2}, {},
     {"scratchpad": ("n", "m", "k"), "l2": ("m", "n", "k")}),
    # eyeriss_like: rf holds all three tensors; one global buffer
    ("eyeriss_like", {"rf": {"k": 2, "n": 2}, "global_buffer": {"m": 2, "k": 3}, "dram": {"n": 2, "m": 2}}, {}, {},
     {"rf": ("k", "n", "m"), "global_buffer": ("k", "m", "n"), "dram": ("m", "n", "k")}),
    ("eyeriss_like", {"rf": {"m": 2}, "global_buffer": {"k": 6}, "dram": {"n": 2}}, {"n": 2}, {"m": 2},
     {"rf": ("m", "n", "k"), "global_buffer": ("k", "m", "n"), "dram": ("n", "m", "k")}),
]


@pytest.mark.parametrize("arch_name,temporal,rows,cols,orders", GEMM_CASES)
def test_gemm_counts_match_brute_force(arch_name, temporal, rows, cols, orders):
    arch = accel.load_architecture(arch_name)
    e = GEMM.einsums[0]
    problem = build_problem(e, GEMM.shapes, arch)
    _check(e, GEMM.shapes, arch, _mapping(problem, temporal, rows, cols, orders))


CONV = dataflow.library.build("conv2d", N=1, C=2, K=2, H=6, W=4, R=3, S=2)  # P=4, Q=3
CONV_CASES = [
    ("eyeriss_like", {"rf": {"r": 3, "q": 3}, "global_buffer": {"p": 2, "c": 2}, "dram": {"k": 2, "s": 2}}, {"p": 2}, {},
     {"rf": ("q", "r", "n", "k", "p", "c", "s"), "global_buffer": ("c", "p", "n", "k", "q", "r", "s")}),
    ("eyeriss_like", {"rf": {"s": 2, "c": 2}, "global_buffer": {"q": 3, "r": 3}, "dram": {"p": 2}}, {"k": 2}, {"p": 2},
     {"global_buffer": ("r", "q", "n", "k", "p", "c", "s")}),
    ("edge", {"rf": {"c": 2, "r": 3}, "scratchpad": {"q": 3}, "l2": {"s": 2}, "dram": {"p": 2}}, {"p": 2}, {"k": 2},
     {"scratchpad": ("q", "n", "k", "p", "c", "r", "s"), "l2": ("s", "n", "k", "p", "q", "c", "r")}),
]


@pytest.mark.parametrize("arch_name,temporal,rows,cols,orders", CONV_CASES)
def test_conv_counts_match_brute_force(arch_name, temporal, rows, cols, orders):
    arch = accel.load_architecture(arch_name)
    e = CONV.einsums[-1]
    problem = build_problem(e, CONV.shapes, arch, weights=CONV.weights)
    _check(e, CONV.shapes, arch, _mapping(problem, temporal, rows, cols, orders))


def test_input_tile_footprint_counts_the_halo():
    arch = accel.load_architecture("eyeriss_like")
    e = CONV.einsums[-1]
    problem = build_problem(e, CONV.shapes, arch, weights=CONV.weights)
    inp = problem.tensor("I")
    ext = dict(zip(problem.ranks, [1] * len(problem.ranks)))
    ext.update(p=3, r=2, q=2, s=2)
    # rows: (3-1)*1 + 2 = 4, cols: (2-1)*1 + 2 = 3
    assert inp.footprint(tuple(ext[r] for r in problem.ranks)) == 4 * 3


@pytest.mark.parametrize("arch_name", ["edge", "eyeriss_like", "tpu_like"])
@pytest.mark.parametrize("workload", ["gemm", "conv"])
def test_random_mappings_match_brute_force(arch_name, workload):
    """Seeded random perfect tilings with random loop orders at every level (loop-driven refetch)."""
    from mapping.search._space import rank_candidates

    cascade = GEMM if workload == "gemm" else CONV
    e = cascade.einsums[-1]
    arch = accel.load_architecture(arch_name)
    model = cost_model(e, cascade.shapes, arch, weights=cascade.weights or None)
    p = model.problem
    rng = np.random.default_rng(2024)
    cands = [rank_candidates(p, r, pad=False) for r in range(len(p.ranks))]
    nl = len(p.storage)
    for _ in range(6 if workload == "gemm" else 3):
        fm = [c[rng.integers(len(c))] for c in cands]
        m = Mapping(
            p.einsum, p.ranks, p.level_names,
            tuple(tuple(int(fm[r][i]) for r in range(len(p.ranks))) for i in range(nl)),
            tuple(tuple(p.ranks[k] for k in rng.permutation(len(p.ranks))) for _ in range(nl)),
            tuple(int(f[nl]) for f in fm), tuple(int(f[nl + 1]) for f in fm),
        )
        got = model.score(MappingBatch.from_mappings([m]))
        want = brute_force(p, m, mode="loops")
        data = brute_force(p, m, mode="data")
        for key in ("reads", "writes", "fills", "drains"):
            np.testing.assert_allclose(getattr(got, key)[0], want[key], err_msg=f"{key} of {m}")
            # refetching coinciding sliding-window tiles can only add traffic
            assert (data[key] <= getattr(got, key)[0] + 1e-9).all(), f"{key} of {m}"


@pytest.mark.parametrize("arch_name", ["edge", "eyeriss_like"])
def test_padded_mappings_are_an_upper_bound(arch_name):
    """Imperfect factors: the model charges edge tiles as full tiles, never less than what moves."""
    from mapping.search._space import padded_sizes, splits

    cascade = dataflow.library.build("gemm", M=3, N=5, K=7)
    e = cascade.einsums[0]
    arch = accel.load_architecture(arch_name)
    model = cost_model(e, cascade.shapes, arch)
    p = model.problem
    nl = len(p.storage)
    rng = np.random.default_rng(5)
    for _ in range(4):
        fm = []
        for size in p.sizes:
            padded = max(padded_sizes(size, max_ratio=2.0))
            c = splits(padded, nl + 2)
            c = c[(c[:, nl] <= p.rows) & (c[:, nl + 1] <= p.cols)]
            fm.append(c[rng.integers(len(c))])
        m = Mapping(
            p.einsum, p.ranks, p.level_names,
            tuple(tuple(int(fm[r][i]) for r in range(len(p.ranks))) for i in range(nl)),
            tuple(tuple(p.ranks[k] for k in rng.permutation(len(p.ranks))) for _ in range(nl)),
            tuple(int(f[nl]) for f in fm), tuple(int(f[nl + 1]) for f in fm),
        )
        assert any(q > s for q, s in zip(m.padded_sizes, p.sizes))
        got = model.score(MappingBatch.from_mappings([m]))
        want = brute_force(p, m, mode="loops")
        for key in ("reads", "writes", "fills", "drains"):
            assert (want[key] <= getattr(got, key)[0] + 1e-9).all(), f"{key} of {m}"
