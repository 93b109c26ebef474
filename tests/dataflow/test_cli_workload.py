"""`accel workload list/show` and `accel demo` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import dataflow
from accel.cli import main

EXAMPLES = Path(dataflow.__file__).parent / "examples"


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args))

    return invoke


def test_help(run):
    for args in (["workload", "--help"], ["workload", "show", "--help"], ["workload", "list", "--help"]):
        result = run(*args)
        assert result.exit_code == 0 and "Usage:" in result.output


def test_list_prints_names_and_parameters(run):
    result = run("workload", "list")
    assert result.exit_code == 0
    assert "attention_1pass" in result.output and "M=1024 P=1024 E=64 F=64 M0=0 H=1" in result.output
    data = json.loads(run("workload", "list", "--json").output)
    assert [e["name"] for e in data] == list(dataflow.library.names())
    assert data[0]["params"] == {"K": 64, "M": 64, "N": 64}


def test_show_library_workload_text(run):
    result = run("workload", "show", "gemm", "-p", "M=4", "-p", "N=3", "-p", "K=2", "--dtype-bits", "8")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "workload gemm: 1 Einsums, 3 tensors" in out
    assert "shapes: m=4 n=3 k=2" in out
    assert "Z[m,n] = A[m,k] * B[k,n]" in out
    assert "total ops: add 24, mul 24" in out
    assert "total bytes: 26" in out  # (8 + 6 + 12) elements x 1 byte
    assert "passes over k: 1" in out


def test_show_json_has_counts_bytes_and_passes(run):
    result = run("workload", "show", "attention_2pass", "-p", "M=8", "-p", "P=4", "-p", "E=2", "-p", "F=2", "--rank", "m", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["name"] == "attention_2pass"
    assert data["passes"]["m"]["count"] == 2
    assert data["passes"]["m"]["between"] == ["AV"]
    assert data["macs"] == 2 * 8 * 4 * 2
    assert {t["name"]: t["bytes"] for t in data["tensors"]}["QK"] == 8 * 4 * 2  # 16-bit default
    assert data["einsums"][1]["depends_on"] == ["QK"]


def test_show_yaml_file_uses_declared_bits(run):
    result = run("workload", "show", str(EXAMPLES / "gemm.yaml"), "--json")
    data = json.loads(result.output)
    sizes = {t["name"]: (t["bits"], t["bytes"]) for t in data["tensors"]}
    assert sizes["B"] == (8, 48 * 24) and sizes["A"] == (16, 2 * 32 * 48)


def test_show_list_valued_parameter(run):
    result = run("workload", "show", "mlp", "-p", "sizes=4,5,3", "-p", "N=2", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["shapes"] == {"n": 2, "i0": 4, "i1": 5, "i2": 3}


def test_show_network_asks_for_a_rank(run):
    result = run("workload", "show", "resnet18", "-p", "image=32")
    assert result.exit_code == 0
    assert "passes: many ranks; choose one with --rank" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["nonesuch"], "error: unknown workload 'nonesuch'"),
        (["gemm", "-p", "Q=3"], "error: unknown parameter 'Q' for workload 'gemm'"),
        (["gemm", "-p", "M=0"], "error: gemm: parameter M must be a positive integer, not 0"),
        (["gemm", "--rank", "x"], "error: unknown rank 'x' in cascade 'gemm'"),
        (["missing.yaml"], "error: no cascade file 'missing.yaml'"),
        (["gemm", "-p", "M"], "expected NAME=VALUE, not 'M'"),
    ],
)
def test_show_bad_input_exits_2(run, args, message):
    result = run("workload", "show", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_show_bad_file_reports_location(run, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: b\nshapes: {m: 2}\neinsums:\n  - Z[m] = A[m] $ 2\n")
    result = run("workload", "show", str(path))
    assert result.exit_code == 2
    assert "error: bad.yaml: einsums[0], Einsum 'Z', column 13: unexpected character '$'" in result.output


def test_parameters_with_a_file_are_rejected(run):
    result = run("workload", "show", str(EXAMPLES / "gemm.yaml"), "-p", "M=3")
    assert result.exit_code == 2 and "apply only to built-in workloads" in result.output


def test_show_workload_gives_three_two_one_passes_for_the_attention_variants(capsys):
    from accel.cli.workload import show_workload

    counts = [show_workload(name, rank="m")["passes"]["m"]["count"] for name in ("attention_3pass", "attention_2pass", "attention_1pass")]
    assert counts == [3, 2, 1]
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("passes over m")]
    assert [line.rsplit(":", 1)[1].strip() for line in printed] == ["3", "2", "1"]
