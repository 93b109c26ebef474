"""Each supported ONNX operator, imported and run by our executor, matches onnxruntime (seeded inputs)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from dataflow.onnx import import_onnx, run_imported

RNG = np.random.default_rng(1234)


def w(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def ints(*values):
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize(
    "attrs, x_shape, w_shape, y_shape",
    [
        ({"strides": [2, 2], "pads": [1, 1, 1, 1]}, [1, 3, 9, 9], [4, 3, 3, 3], [1, 4, 5, 5]),
        ({"group": 2, "dilations": [2, 2], "pads": [0, 1, 2, 0]}, [2, 4, 8, 7], [6, 2, 3, 2], [2, 6, 6, 6]),
        ({"group": 4, "pads": [1, 1, 1, 1]}, [1, 4, 6, 6], [4, 1, 3, 3], [1, 4, 6, 6]),
        ({"auto_pad": "SAME_UPPER", "strides": [2, 1]}, [1, 2, 7, 6], [3, 2, 4, 3], [1, 3, 4, 6]),
        ({"strides": [2]}, [1, 2, 9], [3, 2, 3], [1, 3, 4]),
    ],
    ids=["stride-pad", "groups-dilation-asym", "depthwise", "same-upper", "conv1d"],
)
def test_conv(check, build, attrs, x_shape, w_shape, y_shape):
    node = helper.make_node("Conv", ["X", "W", "B"], ["Y"], name="conv", **attrs)
    model = build([node], {"X": x_shape}, {"Y": y_shape}, {"W": w(*w_shape), "B": w(w_shape[0])})
    imported = check(model)
    assert imported.cascade.macs() == np.prod(y_shape) * np.prod(w_shape[1:])


def test_conv_writes_a_padded_populate_and_affine_window(build):
    node = helper.make_node("Conv", ["X", "W"], ["Y"], name="conv", strides=[2, 2], pads=[1, 1, 1, 1])
    cascade = import_onnx(build([node], {"X": [1, 3, 8, 8]}, {"Y": [1, 4, 4, 4]}, {"W": w(4, 3, 3, 3)})).cascade
    assert [str(e) for e in cascade.einsums] == [
        "Y_pad[n1,c3,y8+1,x8+1] = X[n1,c3,y8,x8]",
        "Y[n1,k4,p4,q4] = Y_pad[n1,c3,p4*2+r3,q4*2+s3] * W[k4,c3,r3,s3]",
    ]
    assert cascade.tensors["Y_pad"].shape == (1, 3, 10, 10)
    assert cascade.name == "test_graph"  # a ModelProto's cascade is named after its graph
    assert cascade.weights == ("W",)


@pytest.mark.parametrize(
    "attrs, a_shape, b_shape, y_shape",
    [
        ({"transB": 1, "alpha": 0.5, "beta": 2.0}, [3, 5], [4, 5], [3, 4]),
        ({"transA": 1}, [5, 3], [5, 4], [3, 4]),
    ],
)
def test_gemm(check, build, attrs, a_shape, b_shape, y_shape):
    node = helper.make_node("Gemm", ["A", "B", "C"], ["Y"], name="gemm", **attrs)
    check(build([node], {"A": a_shape}, {"Y": y_shape}, {"B": w(*b_shape), "C": w(y_shape[1])}))


@pytest.mark.parametrize(
    "a_shape, b_shape, y_shape",
    [([2, 1, 3, 4], [5, 4, 6], [2, 5, 3, 6]), ([4], [3, 4, 2], [3, 2]), ([3, 4], [4], [3])],
)
def test_matmul_batched_and_vector(check, build, a_shape, b_shape, y_shape):
    node = helper.make_node("MatMul", ["A", "B"], ["Y"], name="mm")
    check(build([node], {"A": a_shape, "B": b_shape}, {"Y": y_shape}))


@pytest.mark.parametrize(
    "op, attrs, extra",
    [
        ("Add", {}, {"C": w(4)}), ("Sub", {}, {"C": w(3, 1)}), ("Mul", {}, {"C": w(4)}), ("Div", {}, {"C": np.float32(2.5)}),
        ("Relu", {}, {}), ("Neg", {}, {}), ("Exp", {}, {}), ("Tanh", {}, {}), ("Sigmoid", {}, {}), ("Erf", {}, {}),
        ("Abs", {}, {}), ("Max", {}, {"C": w(4)}), ("Min", {}, {"C": w(4)}), ("Sum", {}, {"C": w(4)}),
        ("Pow", {}, {"C": np.float32(2.0)}), ("LeakyRelu", {"alpha": 0.1}, {}),
        ("Clip", {}, {"lo": np.float32(-0.5), "hi": np.float32(0.7)}),
    ],
)
def test_elementwise(check, build, op, attrs, extra):
    inputs = ["X"] + list(extra)
    node = helper.make_node(op, inputs, ["Y"], name=op.lower(), **attrs)
    check(build([node], {"X": [3, 4]}, {"Y": [3, 4]}, extra))


def test_sqrt_and_reciprocal_of_positive_values(check, build):
    nodes = [helper.make_node("Mul", ["X", "X"], ["S"]), helper.make_node("Sqrt", ["S"], ["R"]),
             helper.make_node("Reciprocal", ["R"], ["Y"])]
    check(build(nodes, {"X": [2, 5]}, {"Y": [2, 5]}))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(check, build, approximate):
    node = helper.make_node("Gelu", ["X"], ["Y"], name="gelu", approximate=approximate)
    imported = check(build([node], {"X": [4, 6]}, {"Y": [4, 6]}, opset=20))
    assert ("erf" in imported.cascade.op_counts()) == (approximate == "none")


@pytest.mark.parametrize("opset, axis", [(17, 1), (17, -1), (11, 1)])
def test_softmax(check, build, opset, axis):
    node = helper.make_node("Softmax", ["X"], ["Y"], name="softmax", axis=axis)
    imported = check(build([node], {"X": [2, 3, 5]}, {"Y": [2, 3, 5]}, opset=opset))
    assert len(imported.cascade.einsums) == 4  # max, exp of the difference, sum, division


@pytest.mark.parametrize("axis", [-1, -2])
def test_layer_normalization(check, build, axis):
    node = helper.make_node("LayerNormalization", ["X", "G", "B"], ["Y"], name="ln", axis=axis, epsilon=1e-5)
    shape = [2, 3, 4][axis:]
    check(build([node], {"X": [2, 3, 4]}, {"Y": [2, 3, 4]}, {"G": w(*shape), "B": w(*shape)}))


def test_batch_normalization_folds_its_statistics(check, build):
    stats = {"s": w(3), "b": w(3), "m": w(3), "v": np.abs(w(3)) + 0.5}
    node = helper.make_node("BatchNormalization", ["X", "s", "b", "m", "v"], ["Y"], name="bn", epsilon=1e-3)
    imported = check(build([node], {"X": [2, 3, 4, 4]}, {"Y": [2, 3, 4, 4]}, stats))
    assert len(imported.cascade.einsums) == 1


def test_attention_heads_split_and_merged_without_copies(check, build):
    """Reshape/Transpose of Q, K, V into heads and back are index remaps: only MatMuls and softmax write tensors."""
    s, d, h = 6, 8, 2
    nodes = [
        helper.make_node("MatMul", ["X", "WQ"], ["Q"]),
        helper.make_node("MatMul", ["X", "WK"], ["K"]),
        helper.make_node("Reshape", ["Q", "split"], ["Qh"]),
        helper.make_node("Transpose", ["Qh"], ["Qt"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["K", "split"], ["Kh"]),
        helper.make_node("Transpose", ["Kh"], ["Kt"], perm=[0, 2, 3, 1]),
        helper.make_node("MatMul", ["Qt", "Kt"], ["S"]),
        helper.make_node("Softmax", ["S"], ["P"], axis=-1),
        helper.make_node("MatMul", ["P", "Qt"], ["O"]),
        helper.make_node("Transpose", ["O"], ["Ot"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["Ot", "merge"], ["M"]),
        helper.make_node("MatMul", ["M", "WO"], ["Y"]),
    ]
    init = {"WQ": w(d, d), "WK": w(d, d), "WO": w(d, d), "split": ints(1, s, h, d // h), "merge": ints(1, s, d)}
    imported = check(build(nodes, {"X": [1, s, d]}, {"Y": [1, s, d]}, init))
    text = [str(e) for e in imported.cascade.einsums]
    assert len(text) == 3 + 4 + 2
    assert text[2] == "S[b1,n2,s6,s6_2] = Q[0,s6,n2*4+n4] * K[0,s6_2,n2*4+n4]"
    assert text[-1] == "Y[b1,s6,n8] = O[0,n2,s6,n4] * WO[n2*4+n4,n8]"  # the merge is an affine read


@pytest.mark.parametrize(
    "nodes, out_shape",
    [
        ([helper.make_node("Concat", ["X", "C", "X"], ["Y"], axis=1)], [2, 11]),
        ([helper.make_node("Slice", ["X", "st", "en", "ax", "sp"], ["Y"])], [2, 2]),
        ([helper.make_node("Split", ["X", "sizes"], ["Y", "Z"], axis=1)], [2, 3]),
        ([helper.make_node("Unsqueeze", ["X", "a0"], ["U"]), helper.make_node("Squeeze", ["U", "a0"], ["V"]),
          helper.make_node("Flatten", ["V"], ["F"], axis=0), helper.make_node("Relu", ["F"], ["Y"])], [1, 8]),
        ([helper.make_node("Expand", ["X", "eshape"], ["E"]), helper.make_node("Relu", ["E"], ["Y"])], [3, 2, 4]),
        ([helper.make_node("Gather", ["X", "i1"], ["Y"], axis=1)], [2]),
        ([helper.make_node("Gather", ["X", "i3"], ["Y"], axis=1)], [2, 2]),
        ([helper.make_node("Transpose", ["X"], ["Y"])], [4, 2]),
        ([helper.make_node("Pad", ["X", "pads", "pv"], ["Y"])], [3, 7]),
    ],
    ids=["concat", "slice-step", "split", "squeeze-flatten", "expand", "gather-scalar", "gather-range", "transpose-output", "pad"],
)
def test_shape_operators(check, build, nodes, out_shape):
    init = {
        "C": w(2, 3), "st": ints(3), "en": ints(0), "ax": ints(1), "sp": ints(-2), "sizes": ints(1, 3), "a0": ints(0),
        "eshape": ints(3, 1, 1), "i1": np.array(2, dtype=np.int64), "i3": ints(0, 2), "pads": ints(1, 2, 0, 1),
        "pv": np.float32(0.25),
    }
    outputs = {"Y": out_shape} if nodes[0].op_type != "Split" else {"Y": [2, 1], "Z": out_shape}
    check(build(nodes, {"X": [2, 4]}, outputs, init))


@pytest.mark.parametrize(
    "op, attrs, y_shape",
    [
        ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, [1, 2, 4, 4]),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}, [1, 2, 4, 4]),
        ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, [1, 2, 4, 4]),
        ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 1}, [1, 2, 4, 4]),
        ("GlobalAveragePool", {}, [1, 2, 1, 1]),
        ("GlobalMaxPool", {}, [1, 2, 1, 1]),
    ],
)
def test_pooling(check, build, op, attrs, y_shape):
    node = helper.make_node(op, ["X"], ["Y"], name="pool", **attrs)
    check(build([node], {"X": [1, 2, 7, 7]}, {"Y": y_shape}))


@pytest.mark.parametrize(
    "op, keepdims, y_shape",
    [("ReduceMean", 1, [2, 1, 4]), ("ReduceSum", 0, [2, 4]), ("ReduceMax", 0, [2, 4]), ("ReduceMin", 1, [2, 1, 4]),
     ("ReduceSumSquare", 0, [2, 4]), ("ReduceL2", 0, [2, 4])],
)
def test_reductions(check, build, op, keepdims, y_shape):
    node = helper.make_node(op, ["X", "axes"], ["Y"], name="reduce", keepdims=keepdims)
    check(build([node], {"X": [2, 3, 4]}, {"Y": y_shape}, {"axes": ints(1)}, opset=18))


def test_shape_computations_are_folded(check, build):
    nodes = [
        helper.make_node("Shape", ["X"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "zero1"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["X", "target"], ["Y"]),
    ]
    init = {"zero": np.array(0, dtype=np.int64), "zero1": ints(0), "minus1": ints(-1)}
    model = build(nodes, {"X": [2, 3, 4]}, {"Y": [2, 12]}, init)
    imported = check(model)
    assert len(imported.folded) == 4 and imported.skipped == ()
    # the output is a pure view of the input: one copy Einsum materializes it, split as the input is laid out
    assert [str(e) for e in imported.cascade.einsums] == ["Y_copy[b2,s3,d4] = X[b2,s3,d4]"]


def test_unsupported_node_is_listed_and_its_output_becomes_an_input(build):
    nodes = [helper.make_node("Relu", ["X"], ["R"], name="relu"), helper.make_node("Log", ["R"], ["L"], name="the_log"),
             helper.make_node("Mul", ["L", "X"], ["Y"], name="mul")]
    model = build(nodes, {"X": [2, 3]}, {"Y": [2, 3]})
    imported = import_onnx(model)
    assert [(s.node, s.op_type, s.outputs) for s in imported.skipped] == [("the_log", "Log", ("L",))]
    assert "has no Einsum form" in imported.skipped[0].reason
    assert {b.onnx_name for b in imported.inputs} == {"X", "L"}
    x = RNG.standard_normal((2, 3))
    got = run_imported(imported, {"X": x, "L": np.log(np.maximum(x, 0) + 1e-3)})
    np.testing.assert_allclose(got["Y"], np.log(np.maximum(x, 0) + 1e-3) * x)


def test_prefix_slices_of_inputs_and_intermediates(check, build):
    """Reading elements [0, 3) of an axis of 4 with a plain rank is not in the notation: those tensors are stored
    one element further along that axis (a produced one directly, an input through a copy) and read at ``r+1``."""
    st, en, ax = np.array([0], np.int64), np.array([3], np.int64), np.array([1], np.int64)
    nodes = [
        helper.make_node("Slice", ["X", "st", "en", "ax"], ["XS"]),
        helper.make_node("Relu", ["X"], ["R"]),
        helper.make_node("Slice", ["R", "st", "en", "ax"], ["RS"]),
        helper.make_node("Mul", ["XS", "RS"], ["Y"]),
        helper.make_node("Split", ["R", "sizes"], ["P", "Q"], axis=1),
    ]
    model = build(nodes, {"X": [2, 4]}, {"Y": [2, 3], "P": [2, 3], "Q": [2, 1]}, {"st": st, "en": en, "ax": ax, "sizes": ints(3, 1)})
    imported = check(model)
    assert [str(e) for e in imported.cascade.einsums] == [
        "X_shifted[m2,d4+1] = X[m2,d4]",
        "R[m2,d4+1] = relu(X_shifted[m2,d4+1])",
        "Y[m2,d3] = X_shifted[m2,d3+1] * R[m2,d3+1]",
    ]
