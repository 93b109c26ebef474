"""`accel map -o` writes the mappings it found; `accel evaluate --mapping` prices a mapping file as given."""

from __future__ import annotations

import json

from click.testing import CliRunner

from accel.cli import main

GEMM = ["gemm", "edge", "-p", "M=32", "-p", "N=16", "-p", "K=16"]


def test_map_output_is_priced_the_same_by_evaluate(tmp_path):
    path = tmp_path / "gemm.yaml"
    mapped = CliRunner().invoke(main, ["map", *GEMM, "--json", "-o", str(path)])
    assert mapped.exit_code == 0, mapped.output
    priced = CliRunner().invoke(main, ["evaluate", *GEMM, "--mapping", str(path), "--json"])
    assert priced.exit_code == 0, priced.output
    found, given = json.loads(mapped.output)["total"], json.loads(priced.output)["total"]
    for key in ("total_cycles", "cycles_by_cause", "energy", "accesses"):
        assert found[key] == given[key], key


def test_evaluate_prints_the_nest_and_tables(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("mappings:\n  - einsum: Z\n    nest:\n      - dram: {m: 2}\n"
                    "      - spatial_rows: {m: 16}\n      - spatial_cols: {n: 16}\n      - rf: {k: 16}\n")
    result = CliRunner().invoke(main, ["evaluate", *GEMM, "--mapping", str(path)])
    assert result.exit_code == 0, result.output
    assert "Einsum 'Z' on 'edge' (mapping given, priced by sim.analytical)" in result.output
    assert "| for m in [0:2)" in result.output and "spatial_for m in [0:16) (rows)" in result.output
    assert "cycles by cause" in result.output and "energy" in result.output


def test_evaluate_bad_mappings_exit_2_naming_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("mappings:\n  - einsum: Z\n    nest:\n      - dram: {q: 2}\n")
    result = CliRunner().invoke(main, ["evaluate", *GEMM, "--mapping", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: 1 problem(s):\n  mappings[0].nest[0].dram.q: unknown rank" in result.output
    short = tmp_path / "short.yaml"  # m covered 2 of 32: illegal on the architecture
    short.write_text("mappings:\n  - einsum: Z\n    nest:\n      - dram: {m: 2, n: 16, k: 16}\n")
    result = CliRunner().invoke(main, ["evaluate", *GEMM, "--mapping", str(short)])
    assert result.exit_code == 2 and f"{short}: the mapping of 'Z' is not legal on 'edge':" in result.output
    result = CliRunner().invoke(main, ["evaluate", "conv2d", "edge", "-p", "padding=1", "--mapping", str(short)])
    assert result.exit_code == 2 and "is not an Einsum of the workload" in result.output
    result = CliRunner().invoke(main, ["evaluate", *GEMM, "--mapping", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2 and "Traceback" not in result.output
