"""Fusion plans as values: the loop nest's roles, tile bytes, DRAM traffic and footprint; errors that name the place."""

from __future__ import annotations

import pytest

from accel import derive, load_architecture
from dataflow import library, parse_cascade
from mapping import (
    FusionError,
    FusionGroup,
    FusionInfeasibleError,
    FusionPlan,
    analyse_group,
    check_plan,
    render_plan,
    unfused_plan,
)


def _bits(cascade, n=16):
    return {t.name: n for t in cascade.tensor_list}


def _attention(n, block=256):
    c = library.build("attention_1pass", M=n, P=n, M0=64)
    return c, FusionGroup(tuple(e.name for e in c.einsums), ("p", "m1"), (block, 1))


def test_one_pass_attention_roles_and_traffic():
    c, g = _attention(1024)
    f = analyse_group(c, g, _bits(c))
    assert f.depth["AV"] == 1 and all(f.depth[e] == 2 for e in g.einsums[:-1])  # the division runs after the m1 loop
    assert f.trips == (4, 16) and f.executions["BQK"] == 64 and f.executions["AV"] == 4
    role = {t.tensor: t for t in f.tensors}
    assert {t for t, r in role.items() if r.role == "input"} == {"Q", "K", "V"}
    assert {t for t, r in role.items() if r.role == "output"} == {"AV"}
    assert {t for t, r in role.items() if r.accumulates} == {"RM", "RD", "RNV"}  # running max, sum, numerator
    # a query block stays while the key chunks go by; every key chunk is read again for each query block
    assert role["Q"].dram_read_bytes == 64 * 1024 * 2
    assert role["K"].dram_read_bytes == role["V"].dram_read_bytes == 4 * 64 * 1024 * 2
    assert role["AV"].dram_write_bytes == 64 * 1024 * 2
    assert role["BQK"].tile_bytes == 64 * 256 * 2 and role["BQK"].dram_read_bytes == 0
    assert f.dram_bytes == sum(r.dram_read_bytes + r.dram_write_bytes for r in role.values())


def test_the_footprint_does_not_grow_with_the_sequence():
    sizes = {analyse_group(c, g, _bits(c)).footprint_bytes for c, g in (_attention(n) for n in (1024, 4096, 16384))}
    assert len(sizes) == 1


def test_unfused_is_groups_of_one():
    c, _ = _attention(256)
    plan = unfused_plan(c)
    assert [g.einsums for g in plan.groups] == [(e.name,) for e in c.einsums] and not plan.fused


def test_check_plan_names_the_group_and_the_einsum():
    c, g = _attention(1024)
    hw = load_architecture("fusemax_like")
    with pytest.raises(FusionError, match="must cover its Einsums once each, in order: it misses 'AV'"):
        check_plan(FusionPlan(c.name, (FusionGroup(g.einsums[:-1], g.ranks, g.tiles),)), c, hw, _bits(c))
    with pytest.raises(FusionError, match=r"group BQK..AV: tile 100 does not divide rank 'p' of size 1024"):
        check_plan(FusionPlan(c.name, (FusionGroup(g.einsums, ("p",), (100,)),)), c, hw, _bits(c))
    with pytest.raises(FusionError, match=r"group BQK..AV: Einsum 'AV' is indexed by shared rank 'p' but not by the outer "
                                          r"shared rank 'm1'"):
        check_plan(FusionPlan(c.name, (FusionGroup(g.einsums, ("m1", "p"), (1, 256)),)), c, hw, _bits(c))
    edge = load_architecture("edge")
    bound = FusionGroup(g.einsums, g.ranks, g.tiles, (("SLN", "vector"),))
    if edge.vector_unit is None:
        with pytest.raises(FusionError, match="group BQK..AV: Einsum 'SLN' is bound to the vector unit, which 'edge' lacks"):
            check_plan(FusionPlan(c.name, (bound,)), c, edge, _bits(c))
    with pytest.raises(FusionError, match="group BQK..AV: Einsum 'BQK' has MACs; it cannot run on the vector unit"):
        check_plan(FusionPlan(c.name, (FusionGroup(g.einsums, g.ranks, g.tiles, (("BQK", "vector"),)),)), c, hw, _bits(c))
    small = derive(hw, {"levels.global_buffer.capacity": 65536})
    with pytest.raises(FusionInfeasibleError, match=r"group BQK..AV: its tiles need [\d,]+ bytes on chip at once but the "
                                                    r"buffer holds 65,536"):
        check_plan(FusionPlan(c.name, (g,)), c, small, _bits(c))


def test_malformed_groups():
    with pytest.raises(FusionError, match="2 shared ranks but 1 tile sizes"):
        FusionGroup(("A", "B"), ("p", "m"), (4,))
    with pytest.raises(FusionError, match="Einsum 'X' is bound to 'gpu'"):
        FusionGroup(("X",), (), (), (("X", "gpu"),))
    c = parse_cascade(["S[m,p] = Q[e,p] * K[e,m]", "E[m,p] = exp(S[m,p])", "Z[f,p] = E[m,p] * V[f,m]"],
                      {"m": 64, "p": 64, "e": 8, "f": 8})
    with pytest.raises(FusionError, match="must be consecutive"):
        analyse_group(c, FusionGroup(("S", "Z"), ("p",), (16,)), _bits(c))


def test_render_plan_prints_the_loop_nest():
    c, g = _attention(1024)
    text = render_plan((analyse_group(c, g, _bits(c)),), {e: "pe_array" for e in g.einsums})
    assert "for p: 4 tiles of 256" in text and "    for m1: 16 tiles of 1" in text
    assert "      BQK  on pe_array  x64" in text and "\n    AV  on pe_array  x4" in text
    assert "RM (accumulates)" in text and "streamed in: Q 131,072 B" in text


def test_a_reduction_over_a_shared_rank_is_not_read_inside_its_loop():
    c = library.build("attention_3pass", M=512, P=512)
    names = tuple(e.name for e in c.einsums)
    with pytest.raises(FusionError, match="'SN' reads 'GM' inside the shared loop over 'm', which 'GM' reduces"):
        analyse_group(c, FusionGroup(names, ("m", "p"), (256, 256)), {})
    # per query block, the rows whole: FLAT's fusion
    assert analyse_group(c, FusionGroup(names, ("p",), (256,)), {}).executions["SN"] == 2
    # 1-pass attention's running state is indexed by the chunk (m1+1), so the chunks may be shared
    one = library.build("attention_1pass", M=512, P=512)
    analyse_group(one, FusionGroup(tuple(e.name for e in one.einsums), ("p", "m1"), (256, 1)), {})
