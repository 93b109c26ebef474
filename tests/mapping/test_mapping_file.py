"""Mapping files: the loop nest as YAML, written and read back, and every bad input named with its place."""

from __future__ import annotations

import pytest

import accel
import dataflow
from mapping import Mapping, MappingFileError, build_problem, dump_mappings, load_mappings, read_mappings, write_mappings
from sim.analytical import evaluate

ARCH = accel.load_architecture("edge")  # levels rf, scratchpad, l2, dram


@pytest.fixture(scope="module")
def gemm():
    c = dataflow.library.gemm(M=32, N=16, K=16)
    return c, {e.name: build_problem(e, c.shapes, ARCH) for e in c.einsums}


def _mapping():
    ranks, levels = ("m", "n", "k"), ("rf", "scratchpad", "l2", "dram")
    return Mapping("Z", ranks, levels, ((1, 1, 16), (1, 1, 1), (2, 1, 1), (1, 1, 1)),
                   (("k", "m", "n"), ranks, ("n", "m", "k"), ranks), (16, 1, 1), (1, 16, 1))


def test_dump_is_the_printed_nest():
    text = dump_mappings([_mapping()], "hand-written")
    assert text.splitlines()[0] == "# hand-written"
    assert text.splitlines()[3:] == [
        "  - einsum: Z", "    unit: pe_array", "    nest:",
        "      - dram: {}", "      - l2: {m: 2}", "      - scratchpad: {}",
        "      - spatial_rows: {m: 16}", "      - spatial_cols: {n: 16}", "      - rf: {k: 16}",
    ]


def test_round_trip_prices_the_same(gemm, tmp_path):
    c, problems = gemm
    path = tmp_path / "m.yaml"
    write_mappings(path, [_mapping()])
    back = read_mappings(path, problems)["Z"]
    assert dump_mappings([back]) == dump_mappings([_mapping()])
    # factor-1 ranks follow the listed ones in rank order: the loops that run keep their order
    assert back.orders[0] == ("k", "m", "n") and back.temporal == _mapping().temporal
    e = c.einsums[0]
    ours, theirs = (evaluate(e, c.shapes, ARCH, m).to_dict() for m in (back, _mapping()))
    ours.pop("mappings"), theirs.pop("mappings")  # the factor-1 loops' order differs, nothing that is priced
    assert ours == theirs


def test_loop_order_is_the_listed_order(gemm):
    _, problems = gemm
    text = "mappings:\n  - einsum: Z\n    nest:\n      - dram: {n: 16, m: 32, k: 16}\n"
    m = load_mappings(text, problems)["Z"]
    assert m.orders[-1] == ("n", "m", "k") and m.temporal[-1] == (32, 16, 16) and m.temporal[0] == (1, 1, 1)
    assert m.unit == problems["Z"].unit


def test_every_problem_is_listed_with_its_place(gemm):
    _, problems = gemm
    text = """mappings:
  - einsum: Z
    colour: red
    nest:
      - rf: {k: 16}
      - dram: {m: 2}
      - spatial_rows: {q: 4}
      - sram: {}
      - l2: {m: 0}
      - l2: {}
  - einsum: Y
    nest: []
"""
    with pytest.raises(MappingFileError) as info:
        load_mappings(text, problems, "bad.yaml")
    message = str(info.value)
    assert message.startswith("bad.yaml: 10 problem(s):")
    for piece in (
        "mappings[0].colour: unknown key; allowed: einsum, unit, nest",
        "mappings[0].nest[1]: level 'dram' comes after 'rf'; levels go outermost first: dram, l2, scratchpad, rf",
        "mappings[0].nest[2]: spatial_rows comes after 'rf'; the spatial loops sit just above the per-PE level 'rf'",
        "mappings[0].nest[2].spatial_rows.q: unknown rank; Einsum 'Z' has ranks m, n, k",
        "mappings[0].nest[3]: unknown level 'sram'; levels (outermost first): dram, l2, scratchpad, rf",
        "mappings[0].nest[4]: level 'l2' comes after 'rf'",
        "mappings[0].nest[4]: level 'l2' comes after the spatial loops; only 'rf' sits below them",
        "mappings[0].nest[4].l2.m: a factor is a positive integer, not 0",
        "mappings[0].nest[5]: 'l2' is given twice",
        "mappings[1].einsum: 'Y' is not an Einsum of the workload; Einsums: Z",
    ):
        assert piece in message, piece


@pytest.mark.parametrize("text, expected", [
    ("[1, 2]", "a mapping file is a mapping with the one key 'mappings', not 'list'"),
    ("mappings: []", "mappings: a non-empty list of mappings"),
    ("mappings:\n  - einsum: Z\n", "mappings[0].nest: missing"),
    ("mappings:\n  - einsum: Z\n    unit: gpu\n    nest: []\n", "mappings[0].unit: one of pe_array, vector, not 'gpu'"),
    ("mappings:\n  - einsum: Z\n    nest: [{dram: {}}]\n  - einsum: Z\n    nest: []\n", "mappings[1].einsum: 'Z' is mapped twice"),
    ("mappings:\n  - einsum: Z\n    nest: [{dram: {m: 1, m: 2}}]\n", "duplicate key 'm'"),
    ("mappings:\n  - einsum: Z\n    nest: [{dram: 4}]\n", "loops as {rank: factor, ...} (outer to inner), not 4"),
    ("mappings:\n  - einsum: Z\n    nest: [{dram: {}, l2: {}}]\n", "mappings[0].nest[0]: one key"),
])
def test_bad_files(gemm, text, expected):
    _, problems = gemm
    with pytest.raises(MappingFileError, match="^m.yaml") as info:
        load_mappings(text, problems, "m.yaml")
    assert expected in str(info.value)
