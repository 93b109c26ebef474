"""Constant folding: nodes whose inputs are all constants run once at import (onnxruntime, else ONNX's reference evaluator).

Exported models compute reshape targets, masks and position indices from
constants (``Shape`` of a statically shaped tensor included); those values
are facts of the graph, not work of the accelerator, so they become
constants (and weights where the data path reads them).
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime
from onnx import helper
from onnx.reference import ReferenceEvaluator

__all__ = ["fold", "NOT_FOLDED"]

#: Operators never folded even with constant inputs (random, or with side effects on a model's meaning).
NOT_FOLDED = frozenset({"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"})


def fold(node: onnx.NodeProto, constants: dict[str, np.ndarray], opset: int, types: dict[str, onnx.TypeProto]) -> list[np.ndarray]:
    """Values of ``node``'s outputs given its (constant) inputs (``types``: the outputs' inferred ONNX types).

    Raises
    ------
    Exception
        Whatever the reference evaluator raises for a node it cannot run.
    """
    names = [name for name in node.input if name]
    inputs = [
        helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(constants[name].dtype), constants[name].shape)
        for name in dict.fromkeys(names)
    ]
    outputs = [helper.make_tensor_value_info(name, onnx.TensorProto.UNDEFINED, None) for name in node.output if name]
    graph = helper.make_graph([node], "fold", inputs, outputs)
    domains = {node.domain or ""}
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, opset if d in ("", "ai.onnx") else 1) for d in domains])
    model.ir_version = 8
    for value in model.graph.output:
        if value.name in types:
            value.type.CopyFrom(types[value.name])
    feeds = {name: constants[name] for name in dict.fromkeys(names)}
    try:
        session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        results = session.run(None, feeds)
    except Exception:  # an operator onnxruntime lacks at this opset: ONNX's reference evaluator
        results = ReferenceEvaluator(model).run(None, feeds)
    return [np.asarray(value) for value in results]
