"""Helpers for the ONNX importer's tests: build small graphs with onnx.helper and compare with onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper

from dataflow.onnx import import_onnx, run_imported

RTOL, ATOL = 1e-4, 1e-5


def make_model(nodes, inputs: dict, outputs: dict, initializers: dict | None = None, opset: int = 17) -> onnx.ModelProto:
    """A model from nodes, ``{name: shape}`` inputs/outputs (float32; ``None`` shape = unknown) and initializers."""
    graph = helper.make_graph(
        nodes,
        "test_graph",
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape) for name, shape in inputs.items()],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape) for name, shape in outputs.items()],
        [numpy_helper.from_array(np.asarray(value), name) for name, value in (initializers or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def reference(model: onnx.ModelProto, feeds: dict) -> dict:
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [out.name for out in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def random_feeds(model: onnx.ModelProto, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    initializers = {init.name for init in model.graph.initializer}
    feeds = {}
    for value in model.graph.input:
        if value.name not in initializers:
            shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
            feeds[value.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def check_against_onnxruntime(model: onnx.ModelProto, seed: int = 0, feeds: dict | None = None, **options):
    """Import ``model``, run it on seeded inputs with our executor and with onnxruntime, assert they agree."""
    feeds = feeds or random_feeds(model, seed)
    imported = import_onnx(model, **options)
    expected = reference(model, feeds)
    got = run_imported(imported, {k: v for k, v in feeds.items() if k in {b.onnx_name for b in imported.inputs}})
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert got[name].shape == value.shape, name
        np.testing.assert_allclose(got[name], value, rtol=RTOL, atol=ATOL, err_msg=name)
    return imported


@pytest.fixture
def check():
    return check_against_onnxruntime


@pytest.fixture
def build():
    return make_model
