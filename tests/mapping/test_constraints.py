"""Mapspace constraints: the file's checks, one Einsum's constraints, and which mappings they allow."""

from __future__ import annotations

import numpy as np
import pytest

import accel
import dataflow
from mapping import Mapping, build_problem
from mapping._constraints import ConstraintsError, load_constraints

ARCH = accel.load_architecture("edge")  # rf, scratchpad, l2, dram
RANKS, LEVELS = ("m", "n", "k"), ("rf", "scratchpad", "l2", "dram")

TEXT = """\
constraints:
  - spatial: {rows: [k, q]}          # for every Einsum: q is skipped where an Einsum has no q
    levels:
      rf: {max_factors: {k: 16}}
  - einsum: Z
    spatial: {cols: [n]}
    levels:
      rf: {order: [m, k], factors: {k: 8}}
"""


@pytest.fixture(scope="module")
def problem():
    c = dataflow.library.gemm(M=32, N=16, K=16)
    return build_problem(c.einsums[0], c.shapes, ARCH)


def _m(rf=(2, 1, 8), rows=(1, 1, 2), cols=(1, 16, 1), rf_order=RANKS):
    rest = (32 // rf[0] // rows[0], 16 // rf[1] // cols[1], 16 // rf[2] // rows[2])
    return Mapping("Z", RANKS, LEVELS, (rf, (1, 1, 1), (1, 1, 1), rest), (rf_order, RANKS, RANKS, RANKS), rows, cols)


def test_entries_merge_for_an_einsum(problem):
    c = load_constraints(TEXT, "c.yaml").for_problem(problem)
    assert (c.rows, c.cols) == (("k",), ("n",))
    rf = c.levels["rf"]
    assert (rf.order, dict(rf.factors), dict(rf.max_factors)) == (("m", "k"), {"k": 8}, {"k": 16})
    narrowed = c.narrow(problem)
    assert narrowed.row_allowed == (False, False, True) and narrowed.col_allowed == (False, True, False)


@pytest.mark.parametrize("mapping, broken", [
    (_m(), []),
    (_m(rows=(2, 1, 1), rf=(1, 1, 8)), ["spatial.rows: rank 'm' is unrolled on the rows (2), which allow only k"]),
    (_m(rf=(2, 1, 4), rows=(1, 1, 4)), ["levels.rf.factors.k: factor 4, not 8"]),
    (_m(rf=(2, 2, 8), cols=(1, 8, 1)), ["levels.rf.order: rank(s) n loop here, outside the order ['m', 'k']"]),
    (_m(rf_order=("k", "m", "n")), ["levels.rf.order: loops ['k', 'm'] are not in the order ['m', 'k']"]),
])
def test_violations_and_allows_agree(problem, mapping, broken):
    c = load_constraints(TEXT, "c.yaml").for_problem(problem)
    assert c.violations(mapping) == broken
    orders = np.array([[[RANKS.index(r) for r in o] for o in mapping.orders]])
    allowed = c.allows(RANKS, LEVELS, np.array([mapping.temporal]), np.array([mapping.spatial_rows]),
                       np.array([mapping.spatial_cols]), orders)
    assert bool(allowed[0]) == (not broken)


def test_an_entry_naming_the_einsum_must_fit_it(problem):
    text = "constraints:\n  - einsum: Z\n    spatial: {rows: [q]}\n    levels: {sram: {factors: {m: 2}}}\n"
    with pytest.raises(ConstraintsError) as info:
        load_constraints(text, "c.yaml").for_problem(problem)
    assert str(info.value).splitlines() == [
        "c.yaml: 2 problem(s):",
        "  constraints[0].spatial.rows: Einsum 'Z' has no rank(s) q (ranks: m, n, k)",
        "  constraints[0].levels.sram: 'edge' has no level 'sram' (levels: rf, scratchpad, l2, dram)",
    ]


@pytest.mark.parametrize("text, expected", [
    ("[]", "c.yaml: a constraints file is a mapping with the one key 'constraints'"),
    ("constraints:\n  - colour: red\n", "constraints[0].colour: unknown key; allowed: einsum, spatial, levels"),
    ("constraints:\n  - levels: {rf: {factors: {k: 0}}}\n", "constraints[0].levels.rf.factors.k: a factor is a positive integer, not 0"),
    ("constraints:\n  - levels: {rf: {order: [m, m]}}\n", "constraints[0].levels.rf.order: a rank is named twice"),
    ("constraints:\n  - levels: {rf: {factors: {k: 8}, max_factors: {k: 4}}}\n",
     "constraints[0].levels.rf.factors.k: 8 is above its max_factors bound 4"),
    ("constraints:\n  - levels: {rf: {order: [m], factors: {k: 8}}}\n",
     "constraints[0].levels.rf.factors.k: factor 8 at a level whose order leaves 'k' out"),
    ("constraints:\n  - spatial: {rows: k}\n", "constraints[0].spatial.rows: a list of rank names, not 'k'"),
    ("constraints:\n  - levels: {rf: {speed: 1}}\n", "constraints[0].levels.rf.speed: unknown key"),
    ("constraints: [\n", "malformed YAML"),
])
def test_bad_files(text, expected):
    with pytest.raises(ConstraintsError) as info:
        load_constraints(text, "c.yaml")
    assert expected in str(info.value)


def test_the_mapper_keeps_the_constraints():
    from mapping.search import map_einsum

    c = dataflow.library.gemm(M=64, N=64, K=64)
    e = c.einsums[0]
    free = map_einsum(e, c.shapes, ARCH, "edp", time_limit=2.0)
    text = ("constraints:\n  - einsum: Z\n    spatial: {rows: [k], cols: [n]}\n"
            "    levels:\n      rf: {order: [m, k], factors: {k: 4}}\n      dram: {max_factors: {m: 1, n: 1, k: 1}}\n")
    cons = load_constraints(text, "c.yaml").for_problem(build_problem(e, c.shapes, ARCH))
    assert cons.violations(free.mapping)  # the free optimum breaks them: the test is not vacuous
    kept = map_einsum(e, c.shapes, ARCH, "edp", time_limit=2.0, constraints=cons)
    assert cons.violations(kept.mapping) == []
    assert kept.mapping.factor("rf", "k") == 4 and kept.mapping.spatial_rows[1] == 1
    assert kept.objective_value >= free.objective_value * (1 - 1e-9)  # a smaller space cannot do better
    assert "within the constraints of c.yaml" in kept.notes


def test_constraints_no_mapping_keeps_are_infeasible():
    from mapping import InfeasibleMappingError
    from mapping.search import map_einsum

    c = dataflow.library.gemm(M=16, N=16, K=16)
    e = c.einsums[0]
    text = "constraints:\n  - levels:\n      rf: {factors: {k: 1024}}\n"
    cons = load_constraints(text, "c.yaml").for_problem(build_problem(e, c.shapes, ARCH))
    with pytest.raises(InfeasibleMappingError):
        map_einsum(e, c.shapes, ARCH, "edp", time_limit=2.0, constraints=cons)


def test_cli_map_takes_constraints(tmp_path):
    import json

    from click.testing import CliRunner

    from accel.cli import main

    path = tmp_path / "c.yaml"
    path.write_text("constraints:\n  - spatial: {rows: [k], cols: [n]}\n    levels:\n      rf: {factors: {k: 4}}\n")
    args = ["map", "gemm", "edge", "-p", "M=32", "-p", "N=32", "-p", "K=32", "--constraints", str(path)]
    result = CliRunner().invoke(main, args + ["--json"])
    assert result.exit_code == 0, result.output
    m = json.loads(result.output)["results"][0]["mapping"]
    assert m["levels"]["rf"]["factors"]["k"] == 4
    result = CliRunner().invoke(main, args + ["--fusion", "auto"])
    assert result.exit_code == 2 and "use --fusion none" in result.output
    path.write_text("constraints:\n  - levels: {rf: {factors: {k: 0}}}\n")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "constraints[0].levels.rf.factors.k: a factor is a positive integer, not 0" in result.output
