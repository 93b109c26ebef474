"""The cycle-level simulator on fused groups: units as concurrent processes, against the analytical model."""

from __future__ import annotations

import pytest

from accel.arch import load_architecture
from accel.pipeline import Options, run
from dataflow.library import build
from mapping import FusionGroup, FusionPlan, cascade_problems
from mapping.search import price_plan
from sim.cycle import WatchdogError, simulate_group
from sim.cycle import _fused

OPTIONS = Options(fusion="auto", scheduler="none", simulator="cycle", trace=True, mapper="search", samples=200)


def _attention_group(n: int = 512, tile: int = 128, unit: str = "vector"):
    cascade = build("attention_1pass", M=n, P=n)
    arch = load_architecture("fusemax_like")
    names = tuple(e.name for e in cascade.einsums)
    elementwise = [e for e in names if not cascade.einsum(e).macs(cascade.shapes)]
    group = FusionGroup(names, ("p", "m1"), (tile, 1), tuple((e, unit) for e in elementwise))
    fused = price_plan(cascade, arch, FusionPlan(cascade.name, (group,)), problems=cascade_problems(cascade, arch),
                       mapper="search", samples=200)
    return cascade, arch, fused.groups[0]


@pytest.mark.parametrize("name, params, arch", [
    ("attention_1pass", {"M": 256, "P": 256}, "fusemax_like"),
    ("attention_2pass", {"M": 512, "P": 512}, "fusemax_like"),
    ("attention_3pass", {"M": 512, "P": 512}, "fusemax_like"),
    ("layernorm", {}, "tpu_like"),
])
def test_fused_groups_agree_with_the_analytical_model(name, params, arch):
    evaluation = run(build(name, **params), load_architecture(arch), OPTIONS)
    assert evaluation.fusion is not None and evaluation.fusion.plan.fused
    assert evaluation.simulation is not None
    for simulated, analytical in zip(evaluation.report.parts, evaluation.analytical.parts):
        assert simulated.name == analytical.name
        if ".." in simulated.name:  # a fused group
            assert simulated.simulator == "cycle"
            assert simulated.total_cycles == pytest.approx(analytical.total_cycles, rel=0.05)
            assert simulated.energy_pj == pytest.approx(analytical.energy_pj, rel=1e-9)
    causes = dict(evaluation.report.total.cycles_by_cause)
    assert sum(causes.values()) == pytest.approx(evaluation.report.total.total_cycles)


def test_units_overlap_and_wait_for_their_producers():
    cascade, arch, g = _attention_group()
    result = simulate_group(cascade, arch, g.facts, g.problems, g.mappings, trace=True)
    compute = [e for e in result.events if e.cat == "compute"]
    array = [e for e in compute if e.track == "pe_array"]
    vector = [e for e in compute if e.track == "vector"]
    assert array and vector
    assert any(a.start < v.end and v.start < a.end for a in array for v in vector), "the units never work at once"
    for track in ("pe_array", "vector"):  # a unit does one thing at a time
        mine = sorted((e for e in compute if e.track == track), key=lambda e: e.start)
        assert all(x.end <= y.start for x, y in zip(mine, mine[1:]))
    # every execution starts after the execution producing its tile ended (same tile indices)
    end = {(e.name, dict(e.args)["tile"]): e.end for e in compute}
    made = {cascade.einsum(n).output.tensor: n for n in g.facts.group.einsums}
    for e in compute:
        tile = dict(e.args)["tile"]
        for a in cascade.einsum(e.name).inputs:
            producer = made.get(a.tensor)
            if producer and producer != e.name and g.facts.depth[producer] == g.facts.depth[e.name]:
                assert end[(producer, tile)] <= e.start, (e.name, producer, tile)


def test_fast_forward_equals_the_whole_run(monkeypatch):
    cascade, arch, g = _attention_group(n=1024, tile=64)
    outer = g.facts.trips[0]
    assert outer > _fused.FAST_FORWARD
    quick = simulate_group(cascade, arch, g.facts, g.problems, g.mappings, trace=False)
    assert quick.simulated < quick.iterations == outer
    assert "fast-forwarded" in dict(quick.report.provenance)["model"]
    monkeypatch.setattr(_fused, "FAST_FORWARD", outer)
    whole = simulate_group(cascade, arch, g.facts, g.problems, g.mappings, trace=False)
    assert whole.simulated == whole.iterations == outer
    assert quick.report.total_cycles == whole.report.total_cycles


def test_the_group_runs_longer_than_its_busiest_unit_and_shorter_than_everything_in_a_row():
    cascade, arch, g = _attention_group()
    result = simulate_group(cascade, arch, g.facts, g.problems, g.mappings, trace=False)
    busy = result.busy
    assert max(busy.values()) <= result.report.total_cycles < sum(busy.values()) + 2 * arch.dram.latency + 1


def test_the_watchdog_stops_a_fused_group():
    cascade, arch, g = _attention_group()
    with pytest.raises(WatchdogError):
        simulate_group(cascade, arch, g.facts, g.problems, g.mappings, trace=False, max_cycles=100)


def test_simulate_command_runs_fused_groups(tmp_path):
    import json

    from click.testing import CliRunner

    from accel.cli import main

    trace = tmp_path / "t.json"
    args = ["simulate", "attention_1pass", "fusemax_like", "-p", "M=256", "-p", "P=256", "--fusion", "auto"]
    r = CliRunner().invoke(main, [*args, "--trace", str(trace)])
    assert r.exit_code == 0, r.output
    assert "fusion: each fused group keeps its intermediates on chip" in r.output
    assert "group " in r.output and (" on vector " in r.output or " on pe_array " in r.output)
    events = [e for e in json.loads(trace.read_text())["traceEvents"] if e.get("ph") == "X"]
    work = [e for e in events if e.get("cat") == "compute"]
    moves = [e for e in events if e.get("cat") == "dma"]
    assert work and moves and {e["tid"] for e in work}.isdisjoint({e["tid"] for e in moves})
    # the DRAM bus loads later tiles while the array computes earlier ones
    assert any(w["ts"] < m["ts"] + m["dur"] and m["ts"] < w["ts"] + w["dur"] for w in work for m in moves)
    r = CliRunner().invoke(main, [*args, "--no-trace", "--json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["fusion"]["plan"]["groups"] and data["options"]["fusion"] == "auto"
    r = CliRunner().invoke(main, [*args, "--scheduler", "greedy-lru", "--no-trace"])  # set against the schedule
    assert r.exit_code == 0 and "note: " in r.output and "greedy-lru" in r.output
    r = CliRunner().invoke(main, [*args, "--map-for-schedule", "--no-trace"])
    assert r.exit_code == 2 and "use --fusion none" in r.output
