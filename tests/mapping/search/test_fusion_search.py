"""The fusion search: checked against exhaustive enumeration on small cascades; unfused stays a special case."""

from __future__ import annotations

import pytest

from accel import load_architecture
from accel.pipeline import Options, OptionsError, run
from dataflow import library, parse_cascade
from mapping import cascade_problems, unfused_plan
from mapping.search import exhaustive_fusion, fuse_cascade, price_plan
from sim.analytical import evaluate_cascade

SMALL = {
    "attention_nonorm": (["S[m,p] = Q[e,p] * K[e,m]", "E[m,p] = exp(S[m,p])", "Z[f,p] = E[m,p] * V[f,m]"],
                         {"m": 2048, "p": 2048, "e": 64, "f": 64}),
    "mlp_chain": (["H[n,p] = X[d,p] * W1[d,n]", "A[n,p] = max(H[n,p], 0)", "Y[o,p] = A[n,p] * W2[n,o]"],
                  {"d": 256, "n": 1024, "o": 256, "p": 2048}),
}


def _score(report, objective):
    return {"latency": report.total_cycles, "energy": report.energy_pj, "edp": report.edp}[objective]


@pytest.mark.parametrize("name", sorted(SMALL))
@pytest.mark.parametrize("objective", ["latency", "edp"])
def test_the_search_is_within_5_percent_of_exhaustive(name, objective):
    hw = load_architecture("fusemax_like")
    einsums, shapes = SMALL[name]
    c = parse_cascade(einsums, shapes, name=name)
    problems = cascade_problems(c, hw)
    found = fuse_cascade(c, hw, problems=problems, objective=objective, mapper="search", samples=300)
    plan, _ = exhaustive_fusion(c, hw, problems=problems, objective=objective)
    best = price_plan(c, hw, plan, problems=problems, objective=objective, mapper="search", samples=300)
    assert _score(found.report.total, objective) <= 1.05 * _score(best.report.total, objective)


def test_unfused_plan_prices_as_every_einsum_alone():
    hw = load_architecture("fusemax_like")
    c = library.build("attention_1pass", M=256, P=256)
    alone = run(c, hw, Options(scheduler="none"))
    priced = price_plan(c, hw, unfused_plan(c), problems=alone.mapped.problems,
                        single={r.mapping.einsum: r.report for r in alone.mapped.results})
    assert priced.report.total == evaluate_cascade(c, hw, alone.mapped).total == alone.report.total


def test_fusion_through_the_pipeline_cuts_dram_traffic_of_attention():
    hw = load_architecture("fusemax_like")
    c = library.build("attention_1pass", M=512, P=512)
    fused = run(c, hw, Options(scheduler="none", fusion="auto", objective="energy", mapper="search", samples=300))
    dram = lambda r: sum(e.count for e in r.total.energy if e.component == "dram")  # noqa: E731
    alone = fused.mapped.report  # the same Einsums mapped alone, every tensor through DRAM
    assert fused.fusion is not None and fused.fusion.plan.fused
    assert dram(fused.report) < sum(e.count for e in alone.energy if e.component == "dram") / 4
    assert fused.report.total.energy_pj < alone.energy_pj
    assert fused.report.total.macs == c.macs()


def test_fusion_options():
    with pytest.raises(OptionsError, match="map_for_schedule maps every Einsum alone .* use fusion 'none'"):
        Options(fusion="auto", map_for_schedule=True)
    assert Options(fusion="auto", scheduler="none", simulator="cycle").fusion == "auto"  # both simulators run it
    with pytest.raises(OptionsError, match="option fusion must be one of auto, none"):
        Options(fusion="sometimes")


def test_fusion_with_a_scheduler_keeps_the_better_of_fused_and_scheduled():
    """Fuse where it helps: the fused plan is set against every Einsum alone under the whole-tensor schedule."""
    from mapping import objective_of

    opts = dict(fusion="auto", mapper="search", samples=200, objective="edp")
    # tpu_like: a small array with a large buffer, where keeping whole tensors on chip beats fused tiles
    hw = load_architecture("tpu_like")
    c = library.build("attention_3pass", M=256, P=256)
    both = run(c, hw, Options(**opts))
    fused_only = run(c, hw, Options(scheduler="none", **opts))
    scheduled = run(c, hw, Options(**{**opts, "fusion": "none"}))
    best = min(objective_of(fused_only.report.total, "edp"), objective_of(scheduled.report.total, "edp"))
    assert objective_of(both.report.total, "edp") == best
    assert both.schedule is not None and both.schedule.as_dict() == scheduled.schedule.as_dict()
    assert len(both.notes) == 1 and "greedy-belady" in both.notes[0]
    if both.fusion is None:
        assert both.report.total == scheduled.report.total and "the fused plan's" in both.notes[0]
    else:
        assert both.report.total == fused_only.report.total and "fused plan kept" in both.notes[0]
    # fusemax_like at 1K: the schedule cannot hold the scores whole, the fused plan is kept and says why
    hw = load_architecture("fusemax_like")
    c = library.build("attention_3pass", M=1024, P=1024)
    ev = run(c, hw, Options(**opts))
    assert ev.fusion is not None and ev.schedule is None and "infeasible" in ev.notes[0]
