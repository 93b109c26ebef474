"""Bad ONNX input: each error is an OnnxImportError (a ValueError) naming the file and, where there is one, the node."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from dataflow.onnx import MAX_OPSET, OnnxImportError, import_onnx


def _mlp(build):
    nodes = [helper.make_node("MatMul", ["X", "W"], ["H"], name="fc"), helper.make_node("Relu", ["H"], ["Y"], name="act")]
    return build(nodes, {"X": [2, 4]}, {"Y": [2, 3]}, {"W": np.ones((4, 3), np.float32)})


def test_errors_are_value_errors():
    assert issubclass(OnnxImportError, ValueError)


def test_corrupt_file(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x08\x07this is not protobuf\xff\xff\xff")
    with pytest.raises(OnnxImportError, match=r"^junk\.onnx: not a valid ONNX model \(corrupt or truncated file\)"):
        import_onnx(path)


def test_truncated_file(tmp_path, build):
    data = _mlp(build).SerializeToString()
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(OnnxImportError, match=r"^cut\.onnx: not a valid ONNX model \(corrupt or truncated file\)"):
        import_onnx(path)


def test_empty_file_and_missing_file(tmp_path):
    (tmp_path / "empty.onnx").write_bytes(b"")
    with pytest.raises(OnnxImportError, match=r"^empty\.onnx: empty file, not an ONNX model$"):
        import_onnx(tmp_path / "empty.onnx")
    with pytest.raises(FileNotFoundError, match=r"no ONNX file '.*absent\.onnx'"):
        import_onnx(tmp_path / "absent.onnx")


def test_node_reading_an_undefined_tensor_is_named(build):
    model = _mlp(build)
    del model.graph.initializer[:]  # as if the weights were cut off
    with pytest.raises(OnnxImportError, match=r"^<model>, node 'fc' \(MatMul\): input 'W' is produced by no earlier node"):
        import_onnx(model)


def test_dynamic_dimension_without_value_names_the_reading_node(build):
    model = _mlp(build)
    dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    dim.Clear()
    dim.dim_param = "batch"
    with pytest.raises(
        OnnxImportError,
        match=r"^<model>, node 'fc' \(MatMul\): graph input 'X' has dynamic dimension 'batch' \(axis 0\) without a value; "
        r"give it with dims=\{'batch': N\} or input_shapes=\{'X': \(\.\.\.\)\}$",
    ):
        import_onnx(model)
    assert import_onnx(model, dims={"batch": 5}).cascade.tensors["Y"].shape == (5, 3)
    assert import_onnx(model, input_shapes={"X": (7, 4)}).cascade.tensors["Y"].shape == (7, 3)


def test_bad_dimension_values(build):
    model = _mlp(build)
    with pytest.raises(OnnxImportError, match=r"input_shapes names 'Z', which is not a graph input \(inputs: X\)"):
        import_onnx(model, input_shapes={"Z": (1, 4)})
    with pytest.raises(OnnxImportError, match=r"input_shapes\['X'\] = \(2, 4, 1\) has 3 dimensions, the model's input has 2"):
        import_onnx(model, input_shapes={"X": (2, 4, 1)})
    with pytest.raises(OnnxImportError, match=r"input_shapes\['X'\] must hold positive integers, not \(0, 4\)"):
        import_onnx(model, input_shapes={"X": (0, 4)})
    with pytest.raises(OnnxImportError, match=r"^<model>: dims names 'batch', which is not a dynamic dimension of the graph's inputs \(dynamic dimensions: none\)$"):
        import_onnx(model, dims={"batch": 2})
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    with pytest.raises(OnnxImportError, match=r"^<model>: dims\['batch'\] must be a positive integer, not 'two'$"):
        import_onnx(model, dims={"batch": "two"})


@pytest.mark.parametrize("opset", [MAX_OPSET + 1, 99, 3])
def test_unknown_opset_names_the_node(build, opset):
    model = _mlp(build)
    model.opset_import[0].version = opset
    with pytest.raises(
        OnnxImportError,
        match=rf"^<model>, node 'fc' \(MatMul\): opset {opset} of the default ONNX domain is not one this importer knows "
        rf"\(expected 7 to {MAX_OPSET}\)$",
    ):
        import_onnx(model)


def test_strict_mode_refuses_skipped_nodes(build):
    nodes = [helper.make_node("Log", ["X"], ["L"], name="logarithm"), helper.make_node("Relu", ["L"], ["Y"], name="act")]
    model = build(nodes, {"X": [2, 3]}, {"Y": [2, 3]})
    with pytest.raises(
        OnnxImportError,
        match=r"^<model>, node 'logarithm' \(Log\): 1 node\(s\) cannot be imported: logarithm \(Log\): operator 'Log' has no Einsum form here$",
    ):
        import_onnx(model, strict=True)


def test_nothing_to_import(build):
    model = build([helper.make_node("Log", ["X"], ["Y"], name="only")], {"X": [2]}, {"Y": [2]})
    with pytest.raises(OnnxImportError, match=r"^<model>: nothing to import: no node became an Einsum \(only \(Log\)"):
        import_onnx(model)


def test_reshape_that_no_affine_index_expresses_is_skipped_and_named(build):
    nodes = [helper.make_node("Relu", ["X"], ["R"]), helper.make_node("Reshape", ["R", "shape"], ["S"], name="regroup"),
             helper.make_node("Relu", ["S"], ["Y"])]
    model = build(nodes, {"X": [4, 6]}, {"Y": [6, 4]}, {"shape": np.array([6, 4], np.int64)})
    imported = import_onnx(model)
    assert [str(s) for s in imported.skipped] == [
        "regroup (Reshape): not expressible with affine indices: cannot reshape [4, 6] into [6, 4] with affine indices"
    ]
    assert {b.onnx_name for b in imported.inputs} == {"X", "S"}  # the rest of the model is still imported
    with pytest.raises(OnnxImportError, match=r"^<model>, node 'regroup' \(Reshape\): 1 node\(s\) cannot be imported: regroup"):
        import_onnx(model, strict=True)


def test_non_float_data_and_wrong_argument_types(build):
    with pytest.raises(TypeError, match=r"an ONNX model must be a path, bytes or onnx.ModelProto, not 42"):
        import_onnx(42)
    with pytest.raises(TypeError, match=r"strict must be true or false, not 'yes'"):
        import_onnx(_mlp(build), strict="yes")
    with pytest.raises(TypeError, match=r"cascade name must be a non-empty string, not ''"):
        import_onnx(_mlp(build), name="")
    assert import_onnx(_mlp(build), name="mine").cascade.name == "mine"
    graph = helper.make_graph(
        [helper.make_node("Relu", ["X"], ["Y"])], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2])], [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2])],
        [numpy_helper.from_array(np.zeros(2, np.float32), "unused")],
    )
    model = helper.make_model(graph, opset_imports=[])
    with pytest.raises(OnnxImportError, match=r"imports no opset of the default ONNX domain"):
        import_onnx(model)


def test_operands_split_incompatibly_are_skipped_and_named(build):
    """[48,16] and [64,12], transposed and flattened, split 768 as 16 x 48 and 12 x 64: no affine reading of both."""
    nodes = [
        helper.make_node("Transpose", ["A"], ["At"], perm=[1, 0]), helper.make_node("Reshape", ["At", "flat"], ["Af"]),
        helper.make_node("Transpose", ["B"], ["Bt"], perm=[1, 0]), helper.make_node("Reshape", ["Bt", "flat"], ["Bf"]),
        helper.make_node("Add", ["Af", "Bf"], ["S"], name="mix"), helper.make_node("Relu", ["S"], ["Y"]),
    ]
    model = build(nodes, {"A": [48, 16], "B": [64, 12]}, {"Y": [768]}, {"flat": np.array([768], np.int64)})
    (skip,) = import_onnx(model).skipped
    assert str(skip) == (
        "mix (Add): not expressible with affine indices: an axis of size 768 is split as 16 x 48 and 12 x 64, "
        "which no affine indexing reconciles"
    )


def test_skipped_node_without_a_static_shape_is_named_by_its_reader(build):
    nodes = [helper.make_node("NonZero", ["X"], ["I"], name="where_nonzero"), helper.make_node("Cast", ["I"], ["F"], to=1),
             helper.make_node("Relu", ["F"], ["Y"], name="act")]
    model = build(nodes, {"X": [2, 3]}, {"Y": None})
    with pytest.raises(
        OnnxImportError,
        match=r"^<model>, node 'Cast#1' \(Cast\): reads 'I', the output of skipped node 'where_nonzero', whose shape ONNX shape "
        r"inference leaves unknown \(a dynamic shape\?\)$",
    ):
        import_onnx(model)
