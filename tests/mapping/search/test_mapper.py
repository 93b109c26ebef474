"""The ILP mapper against the search baselines; solvers, infeasibility, fallbacks, cascades."""

from __future__ import annotations

import numpy as np
import pytest

import accel
import dataflow
from mapping import InfeasibleMappingError, MappingError, validate_mapping
from mapping.search import map_cascade, map_einsum, search_mappings
from sim.analytical import evaluate

GEMM = dataflow.library.build("gemm", M=4, N=4, K=8)
CONV = dataflow.library.build("conv2d", C=4, K=4, H=6, W=6, R=3, S=3)


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@pytest.mark.parametrize("arch_name", ["edge", "eyeriss_like", "tpu_like"])
def test_ilp_mapping_is_legal_and_no_worse_than_random_search(solver, arch_name):
    arch = accel.load_architecture(arch_name)
    e = CONV.einsums[-1]
    res = map_einsum(e, CONV.shapes, arch, objective="edp", solver=solver, weights=CONV.weights)
    validate_mapping(e, CONV.shapes, arch, res.mapping, weights=CONV.weights)
    assert res.status in ("optimal", "feasible") and res.solver == solver
    assert res.gap is not None and res.gap >= 0
    # the returned report is the exact model's report of the returned mapping
    again = evaluate(e, CONV.shapes, arch, res.mapping, weights=CONV.weights)
    assert again.edp == pytest.approx(res.objective_value) == pytest.approx(res.report.edp)
    rnd = search_mappings(e, CONV.shapes, arch, method="random", samples=3000, seed=1, weights=CONV.weights)
    assert res.objective_value <= rnd.objective_value * (1 + 1e-9)


@pytest.mark.parametrize("objective", ["edp", "latency", "energy"])
def test_ilp_matches_exhaustive_search_on_a_tiny_gemm(objective):
    arch = accel.load_architecture("eyeriss_like")
    e = GEMM.einsums[0]
    ex = search_mappings(e, GEMM.shapes, arch, method="exhaustive", objective=objective)
    assert ex.status == "exhaustive" and ex.evaluated == 23625
    res = map_einsum(e, GEMM.shapes, arch, objective=objective, solver="highs")
    assert res.objective_value <= ex.objective_value * 1.05


def test_polish_swaps_factors_to_reach_the_exhaustive_optimum():
    # layernorm's variance Einsum on the edge array: the ILP's surrogate optimum puts d's 2 on the
    # array columns and its 3 in DRAM; only swapping the two primes reaches the exhaustive optimum
    import dataclasses

    from mapping.search._search import factors_of, polish
    from sim.analytical import cost_model

    _, cascade, _ = next(x for x in dataflow.library.bert_base_layers() if x[0] == "layernorm")
    e = next(x for x in cascade.einsums if x.name.endswith("VAR"))
    shapes, weights = {**cascade.shapes, "p": 32, "d": 48}, tuple(cascade.weights)
    arch = accel.load_architecture("edge")
    ex = search_mappings(e, shapes, arch, method="exhaustive", objective="edp", weights=weights)
    model = cost_model(e, shapes, arch, weights)
    start = dataclasses.replace(ex.mapping, temporal=((1, 8), (1, 1), (1, 1), (1, 3)), spatial_rows=(16, 1), spatial_cols=(2, 2))
    validate_mapping(e, shapes, arch, start, weights=weights)
    assert evaluate(e, shapes, arch, start, weights=weights).edp > ex.objective_value * 1.05
    polished, scored = polish(model, start, "edp")
    assert scored > 0
    assert evaluate(e, shapes, arch, polished, weights=weights).edp <= ex.objective_value * (1 + 1e-9)
    assert factors_of(polished)[0].tolist() != factors_of(start)[0].tolist()


def test_random_search_is_seeded():
    arch = accel.load_architecture("edge")
    e = GEMM.einsums[0]
    a = search_mappings(e, GEMM.shapes, arch, method="random", samples=500, seed=7)
    b = search_mappings(e, GEMM.shapes, arch, method="random", samples=500, seed=7)
    assert a.mapping == b.mapping and a.objective_value == b.objective_value


def test_bad_options_are_rejected():
    arch = accel.load_architecture("edge")
    e = GEMM.einsums[0]
    with pytest.raises(MappingError, match=r"objective must be one of \('edp', 'latency', 'energy'\), not 'speed'"):
        map_einsum(e, GEMM.shapes, arch, objective="speed")
    with pytest.raises(MappingError, match=r"solver must be one of \('cbc', 'highs'\), not 'gurobi'"):
        map_einsum(e, GEMM.shapes, arch, solver="gurobi")
    with pytest.raises(MappingError, match=r"time_limit must be a positive number of seconds, not 0"):
        map_einsum(e, GEMM.shapes, arch, time_limit=0)
    with pytest.raises(MappingError, match=r"search method must be one of \('exhaustive', 'random'\), not 'grid'"):
        search_mappings(e, GEMM.shapes, arch, method="grid")
    with pytest.raises(MappingError, match=r"would score 74088 mappings, more than max_mappings=1000; use method='random'"):
        search_mappings(e, GEMM.shapes, arch, method="exhaustive", max_mappings=1000)


def test_nothing_fits_is_infeasible_for_every_mapper():
    arch = accel.derive(accel.load_architecture("edge"), {"register_file.capacity": 2, "register_file.word_bits": 16})
    e = GEMM.einsums[0]
    for call in (lambda: map_einsum(e, GEMM.shapes, arch), lambda: search_mappings(e, GEMM.shapes, arch, method="random")):
        with pytest.raises(InfeasibleMappingError, match=r"Einsum 'Z' cannot fit architecture 'edge': level 'rf' holds 2 bytes per PE"):
            call()


def test_infeasible_ilp_reports_and_attaches_the_best_search_mapping():
    # rf keeps inputs, weights and outputs (2 + 2 + 4 bytes of one element each): exactly full.
    # The ILP's equal capacity shares (8/3 bytes each) cannot hold one 4-byte output: infeasible.
    arch = accel.derive(accel.load_architecture("eyeriss_like"), {"register_file.capacity": 8})
    e = GEMM.einsums[0]
    with pytest.raises(InfeasibleMappingError, match=r"the ILP for Einsum 'Z' on 'eyeriss_like' \(highs, 1.2 s\) found no mapping: status 'infeasible'; the best random-search mapping is attached") as info:
        map_einsum(e, GEMM.shapes, arch)
    best = info.value.best
    assert best is not None and best.status == "sampled"
    validate_mapping(e, GEMM.shapes, arch, best.mapping)
    res = map_einsum(e, GEMM.shapes, arch, fallback=True)
    assert res.status == "fallback" and res.mapping == best.mapping
    assert any("random-search" in n for n in res.notes)


def test_map_cascade_puts_elementwise_einsums_on_the_vector_unit():
    cascade = dataflow.library.build("attention_3pass", M=16, P=16, E=8, F=8)
    arch = accel.load_architecture("fusemax_like")
    out = map_cascade(cascade, arch, solver="highs")
    units = {r.mapping.einsum: r.mapping.unit for r in out.results}
    assert units == {"QK": "pe_array", "GM": "vector", "SN": "vector", "SD": "vector", "A": "vector", "AV": "pe_array"}
    assert out.report.total_cycles == pytest.approx(sum(r.report.total_cycles for r in out.results))
    assert out.report.macs == cascade.einsum("QK").macs(cascade.shapes) + cascade.einsum("AV").macs(cascade.shapes)
    assert [m.einsum for m in out.report.mappings] == [e.name for e in cascade.einsums]


def test_solver_timeout_without_incumbent_is_reported(monkeypatch):
    import mapping.search._mapper as mapper

    monkeypatch.setattr(mapper, "_solve", lambda *args, **kwargs: ("timeout", None))
    arch = accel.load_architecture("edge")
    e = GEMM.einsums[0]
    with pytest.raises(InfeasibleMappingError, match=r"\(highs, 0.5 s\) found no mapping: status 'timeout'; the best random-search mapping is attached") as info:
        map_einsum(e, GEMM.shapes, arch, time_limit=0.5)
    assert info.value.best is not None and info.value.exit_code == 3


@pytest.mark.parametrize("arch_name", ["edge", "eyeriss_like", "tpu_like"])
def test_capacity_pruning_drops_only_illegal_factorizations(arch_name):
    from mapping.search._search import batch_from_factors
    from mapping.search._space import order_family, rank_candidates
    from sim.analytical import cost_model

    e = CONV.einsums[-1]
    arch = accel.load_architecture(arch_name)
    model = cost_model(e, CONV.shapes, arch, weights=CONV.weights)
    p = model.problem
    nl = len(p.storage)
    minimal = [np.array([1] * (nl - 1) + [size, 1, 1]) for size in p.sizes]  # every other rank in DRAM
    dropped_total = 0
    for r in range(len(p.ranks)):
        full = {tuple(c) for c in rank_candidates(p, r, prune=False)}
        kept = {tuple(c) for c in rank_candidates(p, r)}
        dropped = sorted(full - kept)
        dropped_total += len(dropped)
        if not dropped:
            continue
        fm = np.array([[np.array(d) if q == r else minimal[q] for q in range(len(p.ranks))] for d in dropped])
        orders = np.repeat(order_family(p)[:1][None], len(dropped), axis=0).repeat(nl, axis=1)
        assert not model.score(batch_from_factors(fm, orders)).valid.any()
    if arch_name == "tpu_like":  # its 2-byte weight registers cut many factorizations
        assert dropped_total > 0


def test_map_cascade_solves_repeated_layers_once():
    cascade = dataflow.parse_cascade(
        ["Y[m,n] = X[m,k] * W1[k,n]", "Z[m,j] = Y[m,n] * W2[n,j]"], {"m": 8, "k": 16, "n": 16, "j": 16}, name="two"
    )
    arch = accel.load_architecture("edge")
    out = map_cascade(cascade, arch)
    first, second = out.results
    assert "same problem as Einsum 'Y': its mapping reused" in second.notes
    e = cascade.einsum("Z")
    assert second.mapping.ranks == e.ranks and second.mapping.einsum == "Z"
    validate_mapping(e, cascade.shapes, arch, second.mapping)
    assert second.report.edp == pytest.approx(evaluate(e, cascade.shapes, arch, second.mapping).edp)
    assert second.objective_value == pytest.approx(first.objective_value)
