"""Fusion plans run tile by tile on the numpy executor: every legal plan equals the cascade run whole."""

from __future__ import annotations

import random

import pytest

from accel import load_architecture
from dataflow import library
from mapping import (FusionError, FusionGroup, FusionPlan, analyse_group, cascade_problems, plan_boxes,
                     unfused_plan, verify_plan)
from mapping.search import fuse_cascade
from mapping.search._fusion import _connected, _shared_choices

SEED = 20261202

CASCADES = {
    "attention_1pass": dict(M=64, P=32, M0=8, E=4, F=4),
    "attention_1pass_heads": dict(M=32, P=16, M0=4, E=4, F=4, H=2),
    "attention_2pass": dict(M=64, P=32, E=4, F=4),
    "attention_3pass": dict(M=32, P=16, E=4, F=4),
    "mlp": {},
    "transformer_block": dict(P=16, D=32, H=2, FF=64, M0=4),
}


def _build(key):
    return library.build(key.replace("_heads", ""), **CASCADES[key])


def _candidates(c):
    """Every group the search's shared-loop choices offer, each in a plan whose other Einsums run alone."""
    names = [e.name for e in c.einsums]
    for i in range(len(names)):
        for j in range(i + 2, len(names) + 1):
            seg = tuple(names[i:j])
            if _connected(c, seg):
                for ranks, tiles in _shared_choices(c, seg, 3):
                    g = FusionGroup(seg, ranks, tiles)
                    alone = lambda ns: tuple(FusionGroup((n,)) for n in ns)  # noqa: E731
                    yield g, FusionPlan(c.name, alone(names[:i]) + (g,) + alone(names[j:]))


@pytest.mark.parametrize("key", sorted(CASCADES))
def test_every_legal_group_runs_tile_by_tile_as_whole(key):
    c = _build(key)
    bits = {t.name: 16 for t in c.tensor_list}
    candidates = list(_candidates(c))
    if len(candidates) > 150:  # the transformer block offers over a thousand: a seeded sample
        candidates = random.Random(SEED).sample(candidates, 150)
    legal = illegal = 0
    for group, plan in candidates:
        try:
            analyse_group(c, group, bits)
        except FusionError:
            illegal += 1
            continue
        check = verify_plan(c, plan, seed=SEED)
        assert check.max_rel_error < 1e-9, (group, check)
        legal += 1
    assert legal >= 20


@pytest.mark.parametrize("key", ["attention_2pass", "attention_3pass", "transformer_block"])
def test_reading_a_partial_reduction_inside_its_loop_is_wrong_numerically(key):
    """What the legality rule forbids is what the executor sees go wrong (some of it: with one trip it is fine)."""
    c = _build(key)
    bits = {t.name: 16 for t in c.tensor_list}
    caught = 0
    for group, plan in _candidates(c):
        try:
            analyse_group(c, group, bits)
        except FusionError as exc:
            if "inside the shared loop" not in str(exc):
                continue
            try:
                verify_plan(c, plan, seed=SEED)
            except FusionError as wrong:
                assert f"group {group.label}: Einsum" in str(wrong) and "tile by tile, but" in str(wrong)
                caught += 1
        if caught >= 3:
            break
    assert caught >= 3


def test_plans_the_search_finds_verify():
    hw = load_architecture("fusemax_like")
    for c in (library.build("attention_1pass", M=512, P=256, E=8, F=8),
              library.build("attention_3pass", M=256, P=256, E=8, F=8)):
        problems = cascade_problems(c, hw)
        found = fuse_cascade(c, hw, problems=problems, objective="edp", mapper="search", samples=200)
        assert found.plan.fused, c.name
        check = verify_plan(c, found.plan, seed=SEED)
        assert check.tiles > len(c.einsums) and check.max_rel_error < 1e-9


def test_plan_boxes_follow_the_loop_nest():
    c = _build("attention_1pass")
    names = tuple(e.name for e in c.einsums)
    boxes = plan_boxes(c, FusionPlan(c.name, (FusionGroup(names, ("p", "m1"), (16, 4)),)))
    # per query block: every Einsum but the division per pair of key chunks, then the division once
    per_block = [(e, s) for _, e, s in boxes if s["p"] == range(0, 16)]
    assert [e for e, _ in per_block] == list(names[:-1]) * 2 + [names[-1]]
    assert per_block[0][1] == {"p": range(0, 16), "m1": range(0, 4)} and per_block[-1][1] == {"p": range(0, 16)}
    assert len(boxes) == 2 * len(per_block)
    assert [e for _, e, _ in plan_boxes(c, unfused_plan(c))] == list(names)


def test_malformed_plans_are_named():
    c = _build("attention_3pass")
    names = tuple(e.name for e in c.einsums)
    with pytest.raises(FusionError, match="missing AV"):
        plan_boxes(c, FusionPlan(c.name, (FusionGroup(names[:-1]),)))
    with pytest.raises(FusionError, match="group QK..AV: tile 5 does not divide rank 'p' of size 16"):
        plan_boxes(c, FusionPlan(c.name, (FusionGroup(names, ("p",), (5,)),)))
    with pytest.raises(FusionError, match="too many|up to"):
        verify_plan(library.build("attention_3pass", M=4096, P=4096), unfused_plan(library.build("attention_3pass", M=4096, P=4096)))


def test_accel_map_verify_checks_the_plan_it_prints():
    import json

    from click.testing import CliRunner

    from accel.cli import main

    args = ["map", "attention_1pass", "fusemax_like", "-p", "M=256", "-p", "P=256", "-p", "E=8", "-p", "F=8"]
    text = CliRunner().invoke(main, args + ["--verify"])
    assert text.exit_code == 0, text.output
    assert "checked on the numpy executor:" in text.output and "all 10 produced tensors equal" in text.output
    doc = json.loads(CliRunner().invoke(main, args + ["--verify", "--json"]).stdout)
    assert doc["verify"]["equal"] and doc["verify"]["tiles"] >= 10
    alone = CliRunner().invoke(main, args + ["--fusion", "none", "--verify"])
    assert alone.exit_code == 2 and "use it with --fusion auto" in alone.output
