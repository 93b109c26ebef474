"""`accel map` through click's CliRunner."""

from __future__ import annotations

import json

from click.testing import CliRunner

import accel
from accel.cli import main


def test_map_prints_loop_nest_and_cost_tables():
    result = CliRunner().invoke(main, ["map", "gemm", "edge", "-p", "M=16", "-p", "N=16", "-p", "K=16", "--objective", "edp"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Einsum 'Z' on 'edge': edp = " in out
    assert "spatial_for" in out and "rf (per PE) [Z]" in out and "scratchpad [A B]" in out
    for heading in ("cycles by cause", "energy", "level", "utilization"):
        assert heading in out


def test_map_json_is_parseable_and_consistent():
    result = CliRunner().invoke(main, ["map", "gemm", "eyeriss_like", "-p", "M=8", "-p", "N=8", "-p", "K=8", "--solver", "highs", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (res,) = data["results"]
    assert res["solver"] == "highs" and res["mapping"]["einsum"] == "Z"
    assert sum(res["report"]["cycles_by_cause"].values()) == res["report"]["total_cycles"] == data["total"]["total_cycles"]


def test_map_selects_einsums_by_name():
    result = CliRunner().invoke(main, ["map", "conv2d", "edge", "-p", "C=4", "-p", "K=4", "-p", "H=6", "-p", "W=6", "--einsum", "O", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["mapping"]["einsum"] for r in json.loads(result.output)["results"]] == ["O"]


def test_map_bad_input_exits_2():
    result = CliRunner().invoke(main, ["map", "gemm", "no_such_arch"])
    assert result.exit_code == 2
    assert "error:" in result.output
    result = CliRunner().invoke(main, ["map", "gemm", "edge", "--einsum", "nope"])
    assert result.exit_code == 2 and "unknown Einsum 'nope'" in result.output


def test_map_infeasible_exits_3(tmp_path):
    arch = accel.derive(accel.load_architecture("edge"), {"register_file.capacity": 2, "register_file.word_bits": 16})
    path = tmp_path / "tiny.yaml"
    path.write_text(accel.to_yaml(arch))
    result = CliRunner().invoke(main, ["map", "gemm", str(path)])
    assert result.exit_code == 3
    assert "cannot fit architecture 'edge': level 'rf' holds 2 bytes per PE" in result.output


def test_map_infeasible_ilp_prints_best_found_then_exits_3(tmp_path):
    arch = accel.derive(accel.load_architecture("eyeriss_like"), {"register_file.capacity": 8})
    path = tmp_path / "full_rf.yaml"
    path.write_text(accel.to_yaml(arch))
    result = CliRunner().invoke(main, ["map", "gemm", str(path), "-p", "M=4", "-p", "N=4", "-p", "K=4"])
    assert result.exit_code == 3
    assert "best feasible mapping found before giving up" in result.output and "mac" in result.output
    assert "found no mapping: status 'infeasible'" in result.output


def test_map_help():
    result = CliRunner().invoke(main, ["map", "--help"])
    assert result.exit_code == 0 and "--objective" in result.output and "--json" in result.output
