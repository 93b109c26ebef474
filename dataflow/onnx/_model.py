"""Read and check an ONNX model: decode, opset, defined names, static shapes (ONNX shape inference), constants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import onnx
from onnx import external_data_helper, numpy_helper, shape_inference

from ._errors import OnnxImportError

__all__ = ["Graph", "load_graph", "node_label", "MIN_OPSET", "MAX_OPSET"]

#: Oldest default-domain opset the importer reads (older Reshape/Slice/Pad forms are not handled).
MIN_OPSET = 7
#: Newest default-domain opset: the one the installed ``onnx`` package defines.
MAX_OPSET = onnx.defs.onnx_opset_version()

_DEFAULT_DOMAINS = ("", "ai.onnx")


@dataclass
class Graph:
    """A checked model with every fixed shape and every constant (internal to the importer)."""

    model: onnx.ModelProto
    source: str
    opset: int
    shapes: dict[str, tuple[int, ...]]
    constants: dict[str, np.ndarray]
    types: dict[str, onnx.TypeProto]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    #: initializers stored beside the model in a file that is not there: shapes known, values not read
    unread: tuple[str, ...] = ()


def node_label(node: onnx.NodeProto, index: int) -> str:
    """The node's name, or ``<OpType>#<index>`` for an unnamed node."""
    return node.name or f"{node.op_type}#{index}"


def _decode(model: object, source: str | None) -> tuple[onnx.ModelProto, str]:
    if isinstance(model, onnx.ModelProto):
        copy = onnx.ModelProto()
        copy.CopyFrom(model)
        return copy, source or "<model>"
    if isinstance(model, (bytes, bytearray)):
        data, name = bytes(model), source or "<bytes>"
    elif isinstance(model, (str, Path)):
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"no ONNX file {str(model)!r}")
        data, name = path.read_bytes(), source or path.name
    else:
        raise TypeError(f"an ONNX model must be a path, bytes or onnx.ModelProto, not {model!r}")
    if not data:
        raise OnnxImportError("empty file, not an ONNX model", source=name)
    try:
        proto = onnx.load_model_from_string(data)
    except Exception as error:  # protobuf raises DecodeError (and RuntimeWarning-like errors) for garbage
        raise OnnxImportError(f"not a valid ONNX model (corrupt or truncated file): {error}", source=name) from None
    return proto, name


def _external_data(proto: onnx.ModelProto, model: object, name: str) -> tuple[str, ...]:
    """Load the weights stored beside the model; the names of those whose file is absent, left unread.

    A file that is there but short or unreadable is an error; a file that is
    not there at all (a model shipped without its weights, as ZigZag ships its
    workloads) leaves those initializers without values: the import is then
    shape-only for them.
    """
    external = [t for t in proto.graph.initializer if external_data_helper.uses_external_data(t)]
    if not external:
        return ()
    if not isinstance(model, (str, Path)):
        return tuple(t.name for t in external)  # bytes or a ModelProto: no folder to read them from
    base = Path(model).parent
    unread = []
    for tensor in external:
        location = dict((entry.key, entry.value) for entry in tensor.external_data).get("location", "")
        if not (base / location).is_file():
            unread.append(tensor.name)
            continue
        try:  # weights saved beside the model (torch.onnx.export writes MODEL.onnx.data)
            external_data_helper.load_external_data_for_tensor(tensor, str(base))
            tensor.data_location = onnx.TensorProto.DEFAULT
            del tensor.external_data[:]
        except Exception as error:  # a short or unreadable .data file
            raise OnnxImportError(
                f"the weights stored beside the model cannot be read ({location!r}, tensor {tensor.name!r}): {error}",
                source=name,
            ) from None
    return tuple(unread)


def _check_opset(model: onnx.ModelProto, name: str) -> int:
    first = model.graph.node[0] if model.graph.node else None
    where = {"node": node_label(first, 0), "op_type": first.op_type} if first is not None else {}
    versions = {entry.domain: entry.version for entry in model.opset_import}
    default = [versions[d] for d in _DEFAULT_DOMAINS if d in versions]
    if not default:
        raise OnnxImportError(
            f"the model imports no opset of the default ONNX domain (imports: {versions!r})", source=name, **where
        )
    opset = default[0]
    if opset > MAX_OPSET or opset < MIN_OPSET:
        raise OnnxImportError(
            f"opset {opset!r} of the default ONNX domain is not one this importer knows "
            f"(expected {MIN_OPSET} to {MAX_OPSET})",
            source=name,
            **where,
        )
    return opset


def _check_defined(model: onnx.ModelProto, name: str) -> None:
    graph = model.graph
    defined = {value.name for value in graph.input} | {init.name for init in graph.initializer}
    defined |= {init.values.name for init in graph.sparse_initializer}
    writers: dict[str, str] = {}
    for index, node in enumerate(graph.node):
        for tensor in node.input:
            if tensor and tensor not in defined:
                raise OnnxImportError(
                    f"input {tensor!r} is produced by no earlier node and is neither a graph input nor an "
                    f"initializer (a truncated or corrupt model, or nodes out of order)",
                    node=node_label(node, index), op_type=node.op_type, source=name,
                )
        for out in node.output:
            if not out:
                continue
            if out in defined:
                first = writers.get(out, "a graph input or initializer")
                raise OnnxImportError(
                    f"output {out!r} is already written by {first}; an ONNX graph assigns every tensor once "
                    f"(a corrupt or hand-edited model)",
                    node=node_label(node, index), op_type=node.op_type, source=name,
                )
            defined.add(out)
            writers[out] = f"node {node_label(node, index)!r}"
    for value in graph.output:
        if value.name not in defined:
            raise OnnxImportError(f"graph output {value.name!r} is produced by no node", source=name)


def _readers(model: onnx.ModelProto, tensor: str) -> dict:
    for index, node in enumerate(model.graph.node):
        if tensor in node.input:
            return {"node": node_label(node, index), "op_type": node.op_type}
    return {}


def _fix_inputs(model: onnx.ModelProto, name: str, input_shapes: Mapping[str, tuple[int, ...]], dims: Mapping[str, int]) -> tuple[str, ...]:
    initializers = {init.name for init in model.graph.initializer}
    inputs = [value for value in model.graph.input if value.name not in initializers]
    known = {value.name for value in inputs}
    for key in input_shapes:
        if key not in known:
            raise OnnxImportError(
                f"input_shapes names {key!r}, which is not a graph input (inputs: {', '.join(sorted(known)) or 'none'})",
                source=name,
            )
    symbols = {d.dim_param for value in inputs for d in value.type.tensor_type.shape.dim if d.HasField("dim_param")}
    for key, size in dims.items():
        if key not in symbols:
            raise OnnxImportError(
                f"dims names {key!r}, which is not a dynamic dimension of the graph's inputs "
                f"(dynamic dimensions: {', '.join(sorted(symbols)) or 'none'})",
                source=name,
            )
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise OnnxImportError(f"dims[{key!r}] must be a positive integer, not {size!r}", source=name)
    for value in inputs:
        if not value.type.HasField("tensor_type"):
            raise OnnxImportError(f"graph input {value.name!r} is not a tensor", source=name, **_readers(model, value.name))
        shape = value.type.tensor_type.shape
        given = input_shapes.get(value.name)
        if given is not None:
            given = tuple(given)
            if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in given):
                raise OnnxImportError(f"input_shapes[{value.name!r}] must hold positive integers, not {given!r}", source=name)
            if shape.dim and len(shape.dim) != len(given):
                raise OnnxImportError(
                    f"input_shapes[{value.name!r}] = {given!r} has {len(given)} dimensions, the model's input has {len(shape.dim)}",
                    source=name,
                )
            del shape.dim[:]
            for size in given:
                shape.dim.add().dim_value = size
            continue
        if not value.type.tensor_type.HasField("shape"):
            raise OnnxImportError(
                f"graph input {value.name!r} has no shape; give it with input_shapes={{{value.name!r}: (...)}}",
                source=name, **_readers(model, value.name),
            )
        for axis, dim in enumerate(shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                continue
            symbol = dim.dim_param if dim.HasField("dim_param") else None
            if symbol is not None and symbol in dims:
                size = dims[symbol]
                dim.Clear()
                dim.dim_value = size
                continue
            label = f"dynamic dimension {symbol!r}" if symbol else "a dimension of unknown size"
            hint = f"dims={{{symbol!r}: N}} or " if symbol else ""
            raise OnnxImportError(
                f"graph input {value.name!r} has {label} (axis {axis}) without a value; give it with "
                f"{hint}input_shapes={{{value.name!r}: (...)}}",
                source=name, **_readers(model, value.name),
            )
    return tuple(value.name for value in inputs)


def _static_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    graph = model.graph
    for value in list(graph.input) + list(graph.value_info) + list(graph.output):
        tensor_type = value.type.tensor_type
        if not value.type.HasField("tensor_type") or not tensor_type.HasField("shape"):
            continue
        dims = tensor_type.shape.dim
        if all(d.HasField("dim_value") and d.dim_value > 0 for d in dims):
            shapes[value.name] = tuple(d.dim_value for d in dims)
    return shapes


def _constants(model: onnx.ModelProto, name: str, unread: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    constants = {}
    skip = set(unread)
    for init in model.graph.initializer:
        if init.name in skip:  # a placeholder of the right shape and type: no memory, never a value
            dtype = onnx.helper.tensor_dtype_to_np_dtype(init.data_type)
            constants[init.name] = np.broadcast_to(np.zeros((), dtype=dtype), tuple(init.dims))
            continue
        try:
            constants[init.name] = numpy_helper.to_array(init)
        except Exception as error:  # truncated raw data, missing external file
            raise OnnxImportError(f"initializer {init.name!r} cannot be read: {error}", source=name, **_readers(model, init.name)) from None
    return constants


def load_graph(
    model: object, input_shapes: Mapping[str, tuple[int, ...]] | None = None, dims: Mapping[str, int] | None = None,
    source: str | None = None,
) -> Graph:
    """Decode ``model``, check it, fix its input shapes and infer the others.

    Raises
    ------
    OnnxImportError
        For a corrupt or truncated model, an unknown opset, an undefined input,
        or an input dimension without a value.
    FileNotFoundError
        For a path that does not exist.
    """
    proto, name = _decode(model, source)
    unread = _external_data(proto, model, name)
    if not proto.graph.node:
        raise OnnxImportError("the model has no nodes (an empty graph, or a truncated file)", source=name)
    opset = _check_opset(proto, name)
    _check_defined(proto, name)
    inputs = _fix_inputs(proto, name, dict(input_shapes or {}), dict(dims or {}))
    try:
        inferred = shape_inference.infer_shapes(proto, check_type=False, strict_mode=False, data_prop=True)
    except Exception as error:  # onnx.shape_inference.InferenceError and checker errors
        raise OnnxImportError(f"ONNX shape inference failed: {error}", source=name) from None
    return Graph(
        model=inferred,
        source=name,
        opset=opset,
        shapes=_static_shapes(inferred),
        constants=_constants(inferred, name, unread),
        types={v.name: v.type for v in list(inferred.graph.value_info) + list(inferred.graph.output)},
        inputs=inputs,
        outputs=tuple(value.name for value in inferred.graph.output),
        unread=unread,
    )
