"""`accel workload import MODEL.onnx -o CASCADE.yaml`, and .onnx files wherever the CLI takes a workload."""

from __future__ import annotations

import json

import numpy as np
import onnx
from click.testing import CliRunner
from onnx import helper

from accel.cli import main
from dataflow import dump_cascade, load_cascade
from dataflow.onnx import import_onnx


def _save(build, tmp_path, name="mlp.onnx", with_log=False):
    nodes = [helper.make_node("MatMul", ["X", "W"], ["H"], name="fc"), helper.make_node("Relu", ["H"], ["Y"], name="act")]
    if with_log:
        nodes.append(helper.make_node("Log", ["Y"], ["Z"], name="logarithm"))
    outputs = {"Z": [2, 3]} if with_log else {"Y": [2, 3]}
    model = build(nodes, {"X": [2, 4]}, outputs, {"W": np.ones((4, 3), np.float32)})
    model.graph.name = "tiny_mlp"
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def test_import_writes_a_cascade_file_that_loads_back(build, tmp_path):
    path = _save(build, tmp_path)
    out = tmp_path / "mlp.yaml"
    result = CliRunner().invoke(main, ["workload", "import", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"imported {path} as cascade 'mlp': 2 Einsums, 4 tensors, 24 MACs -> {out}",
        "skipped: none",
    ]
    cascade = load_cascade(out)
    assert dump_cascade(cascade) == dump_cascade(import_onnx(path).cascade)
    assert [str(e) for e in cascade.einsums] == ["H[m2,n3] = X[m2,d4] * W[d4,n3]", "Y[m2,n3] = relu(H[m2,n3])"]


def test_import_json_lists_skipped_nodes_and_saves_weights(build, tmp_path):
    path = _save(build, tmp_path, with_log=True)
    weights = tmp_path / "w.npz"
    result = CliRunner().invoke(main, ["workload", "import", str(path), "--json", "--weights", str(weights)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["written"] == str(path.with_suffix(".yaml"))
    assert summary["skipped"][0] == {"node": "logarithm", "op_type": "Log", "reason": "operator 'Log' has no Einsum form here", "outputs": ["Z"]}
    assert summary["macs"] == 24
    np.testing.assert_array_equal(np.load(weights)["W"], np.ones((4, 3)))
    strict = CliRunner().invoke(main, ["workload", "import", str(path), "--strict"])
    assert strict.exit_code == 2
    assert "node 'logarithm' (Log): 2 node(s) cannot be imported" in strict.output
    assert "output Z (graph output): produced by a skipped node" in strict.output


def test_workload_commands_accept_onnx_files(build, tmp_path):
    path = _save(build, tmp_path)
    result = CliRunner().invoke(main, ["workload", "show", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["name"] == "mlp" and report["macs"] == 24
    params = CliRunner().invoke(main, ["workload", "show", str(path), "-p", "M=3"])
    assert params.exit_code == 2
    assert "error: mlp.onnx: dims names 'M', which is not a dynamic dimension of the graph's inputs (dynamic dimensions: none)" in params.output


def test_bad_onnx_files_exit_2_with_the_reason(build, tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00garbage")
    for args in (["workload", "import", str(junk)], ["workload", "show", str(junk)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert "error: junk.onnx: not a valid ONNX model (corrupt or truncated file)" in result.output
    missing = CliRunner().invoke(main, ["workload", "show", str(tmp_path / "absent.onnx")])
    assert missing.exit_code == 2 and "no ONNX file" in missing.output
    dynamic = _save(build, tmp_path, "dyn.onnx")
    model = onnx.load(str(dynamic))
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    onnx.save(model, str(dynamic))
    result = CliRunner().invoke(main, ["workload", "import", str(dynamic)])
    assert result.exit_code == 2 and "dynamic dimension 'batch'" in result.output
    ok = CliRunner().invoke(main, ["workload", "import", str(dynamic), "--dim", "batch=5", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["macs"] == 60
    shown = CliRunner().invoke(main, ["workload", "show", str(dynamic), "-p", "batch=3", "--json"])  # -p sets dynamic dims
    assert shown.exit_code == 0 and json.loads(shown.output)["macs"] == 36
    bad = CliRunner().invoke(main, ["workload", "import", str(dynamic), "--dim", "batch"])
    assert bad.exit_code == 2 and "expected NAME=POSITIVE_INTEGER" in bad.output
    shaped = CliRunner().invoke(main, ["workload", "import", str(dynamic), "--input-shape", "X=6x4", "--json"])
    assert shaped.exit_code == 0 and json.loads(shaped.output)["macs"] == 72
    wrong = CliRunner().invoke(main, ["workload", "import", str(dynamic), "--input-shape", "X=6,-4"])
    assert wrong.exit_code == 2 and "expected INPUT=D0,D1,... (positive sizes), not 'X=6,-4'" in wrong.output


def test_map_takes_an_onnx_workload(build, tmp_path):
    """`accel map` (like schedule and simulate) resolves its WORKLOAD through the same place as `workload show`."""
    path = _save(build, tmp_path)
    result = CliRunner().invoke(main, ["map", str(path), "edge", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["cascade"] == "mlp"
    assert [r["mapping"]["einsum"] for r in report["results"]] == ["H", "Y"]
