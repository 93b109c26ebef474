"""Shape-only import: weights kept in a file beside the model that is not there are imported by shape alone."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import TensorProto, external_data_helper, helper, numpy_helper

from accel.cli import main as cli
from dataflow.onnx import OnnxImportError, import_onnx


def _save(tmp_path, nodes, inputs, outputs, initializers, name="net"):
    """Save a model with every initializer in ``<name>.data`` beside it; the model's path."""
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v) for k, v in inputs.items()],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v) for k, v in outputs.items()],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    external_data_helper.convert_model_to_external_data(model, all_tensors_to_one_file=True, location=f"{name}.data",
                                                        size_threshold=0)
    path = tmp_path / f"{name}.onnx"
    onnx.save_model(model, str(path))
    return path


def _net(tmp_path):
    rng = np.random.default_rng(7)
    nodes = [helper.make_node("MatMul", ["X", "W"], ["H"], name="fc"),
             helper.make_node("Add", ["H", "B"], ["Y"], name="bias")]
    return _save(tmp_path, nodes, {"X": [2, 4]}, {"Y": [2, 3]},
                 {"W": rng.standard_normal((4, 3)).astype(np.float32), "B": np.full(3, 0.5, np.float32)})


def test_weights_read_when_the_file_is_there(tmp_path):
    path = _net(tmp_path)
    full = import_onnx(path)
    assert full.shape_only == ()
    w = onnx.load(str(path))  # onnx's own loader reads the .data file: the values we must have read
    expected = numpy_helper.to_array(next(t for t in w.graph.initializer if t.name == "W"))
    assert any(np.array_equal(v, expected) for v in full.weights.values())


def test_missing_file_imports_shapes_and_says_which(tmp_path):
    path = _net(tmp_path)
    full = import_onnx(path)
    (tmp_path / "net.data").unlink()
    shapes = import_onnx(path)
    assert sorted(shapes.shape_only) == sorted(full.weights)  # both weights unread, named
    assert shapes.weights == {}
    # the same computation, sizes and MACs, from the shapes alone
    assert [str(e) for e in shapes.cascade.einsums] == [str(e) for e in full.cascade.einsums]
    assert shapes.cascade.shapes == full.cascade.shapes and shapes.cascade.macs() == full.cascade.macs()


def test_an_unread_value_is_unknown_not_zero(tmp_path):
    nodes = [helper.make_node("Add", ["X", "B"], ["Y"], name="bias")]
    path = _save(tmp_path, nodes, {"X": [2, 3]}, {"Y": [2, 3]}, {"B": np.zeros(3, np.float32)}, name="zero")
    (tmp_path / "zero.data").unlink()
    out = import_onnx(path)  # not read: the bias's value is unknown, so the Add stays an Einsum
    assert len(out.cascade.einsums) == 1 and out.shape_only == ("B",)


def test_a_structural_constant_that_was_not_read_skips_its_node(tmp_path):
    nodes = [helper.make_node("Reshape", ["X", "S"], ["Y"], name="flat")]
    path = _save(tmp_path, nodes + [helper.make_node("Relu", ["Y"], ["Z"], name="act")], {"X": [2, 3]}, {"Z": [6]},
                 {"S": np.array([6], np.int64)}, name="rs")
    (tmp_path / "rs.data").unlink()
    out = import_onnx(path)
    assert [s.node for s in out.skipped][:1] == ["flat"]
    assert "stored beside the model and was not read (a shape-only import)" in out.skipped[0].reason


def test_short_file_is_still_an_error(tmp_path):
    path = _net(tmp_path)
    data = tmp_path / "net.data"
    data.write_bytes(data.read_bytes()[:8])
    with pytest.raises(OnnxImportError, match=r"^net\.onnx: the weights stored beside the model cannot be read \('net\.data'"):
        import_onnx(path)


def test_cli_says_shape_only(tmp_path):
    path = _net(tmp_path)
    (tmp_path / "net.data").unlink()
    result = CliRunner().invoke(cli, ["workload", "import", str(path), "-o", str(tmp_path / "net.yaml")])
    assert result.exit_code == 0, result.output
    assert "shape only: 2 weight tensor(s) are stored beside the model in a file that is not there" in result.output
    result = CliRunner().invoke(cli, ["workload", "import", str(path), "-o", str(tmp_path / "net.yaml"), "--json"])
    import json

    assert len(json.loads(result.output)["shape_only"]) == 2
