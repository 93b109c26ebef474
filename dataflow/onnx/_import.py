"""The importer's driver: fold constants, convert each node, skip (and list) what cannot be an Einsum."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from .._build import build_cascade
from .._cascade import Cascade
from .._errors import EinsumError
from .._parser import parse_einsum
from . import _ops_elementwise, _ops_linear, _ops_reduce, _ops_shape, _ops_window  # noqa: F401 - register converters
from ._builder import Builder
from ._context import CONVERTERS, Context, Unsupported
from ._errors import OnnxImportError
from ._fold import NOT_FOLDED, fold
from ._model import Graph, load_graph, node_label
from ._views import Affine, View, ViewError

__all__ = ["import_onnx", "OnnxImport", "SkippedNode", "Binding", "SUPPORTED_OPS"]

#: Operator types converted to Einsums or index remaps (default ONNX domain).
SUPPORTED_OPS: tuple[str, ...] = tuple(sorted(CONVERTERS))


@dataclass(frozen=True)
class SkippedNode:
    """A node left out of the cascade, and why; its outputs become cascade inputs where they are read."""

    node: str
    op_type: str
    reason: str
    outputs: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.node} ({self.op_type}): {self.reason}"


@dataclass(frozen=True, eq=False)
class Binding:
    """Where the values of an ONNX graph input or output live in the cascade.

    ``view`` maps the ONNX tensor's logical coordinates (``shape``) to cascade
    tensor ``tensor``'s elements (the identity for inputs).
    """

    onnx_name: str
    tensor: str
    shape: tuple[int, ...]
    view: View = field(repr=False)


@dataclass(frozen=True, eq=False)
class OnnxImport:
    """The result of :func:`import_onnx`.

    Attributes
    ----------
    cascade : Cascade
        The imported computation.
    inputs : tuple of Binding
        Cascade inputs that carry ONNX graph inputs or outputs of skipped nodes.
    outputs : tuple of Binding
        ONNX graph outputs computed by the cascade.
    weights : mapping of str to numpy.ndarray
        Values of the cascade's weight tensors (initializers and folded constants).
    skipped : tuple of SkippedNode
        Every node left out, with the reason.
    folded : tuple of str
        Nodes evaluated at import because all their inputs were constants.
    nodes : mapping of str to str
        Einsum name -> the ONNX node it comes from.
    shape_only : tuple of str
        Weight tensors whose values were not read: the model keeps them in a
        file beside it that is not there (shapes are known, values are not,
        and they are absent from ``weights``).  Empty for a complete import.
    """

    cascade: Cascade
    inputs: tuple[Binding, ...]
    outputs: tuple[Binding, ...]
    weights: Mapping[str, np.ndarray] = field(repr=False)
    skipped: tuple[SkippedNode, ...]
    folded: tuple[str, ...]
    nodes: Mapping[str, str] = field(repr=False)
    shape_only: tuple[str, ...] = ()


class _Snapshot:
    """Undo record of a converter's partial work, so a skipped node leaves nothing behind."""

    def __init__(self, ctx: Context) -> None:
        b = ctx.builder
        self.state = (len(b.lines), dict(b.ranks), dict(b.decls), dict(b.weights), set(b.names), dict(b.provenance),
                      dict(ctx.views), dict(ctx.bound_inputs), dict(ctx._weight_views), dict(ctx.input_views),
                      set(ctx.unread_tensors))

    def restore(self, ctx: Context) -> None:
        b = ctx.builder
        (count, b.ranks, b.decls, b.weights, b.names, b.provenance, ctx.views, ctx.bound_inputs, ctx._weight_views,
         ctx.input_views, ctx.unread_tensors) = self.state
        del b.lines[count:]


def _node_shapes(ctx: Context, node) -> dict[str, tuple[int, ...]]:
    """Output shapes of ``node`` by ONNX shape inference on the node alone, with the input shapes known now."""
    inputs, initializers = [], []
    for name in dict.fromkeys(n for n in node.input if n):
        if name in ctx.constants:
            initializers.append(numpy_helper.from_array(np.asarray(ctx.constants[name]), name))
            continue
        try:
            shape = ctx.shape(name)
        except OnnxImportError:
            return {}
        elem = ctx.graph.types[name].tensor_type.elem_type if name in ctx.graph.types else onnx.TensorProto.FLOAT
        inputs.append(helper.make_tensor_value_info(name, elem or onnx.TensorProto.FLOAT, shape))
    outputs = [helper.make_empty_tensor_value_info(name) for name in node.output if name]
    model = helper.make_model(helper.make_graph([node], "node", inputs, outputs, initializers),
                              opset_imports=[helper.make_opsetid("", ctx.opset)])
    try:
        inferred = shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # inference of a node it cannot type: no shapes
        return {}
    shapes = {}
    for value in list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = value.type.tensor_type.shape.dim
        if value.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") and d.dim_value > 0 for d in dims):
            shapes[value.name] = tuple(d.dim_value for d in dims)
    return shapes


def _skip(ctx: Context, node, label: str, reason: str, skipped: list[SkippedNode]) -> None:
    outputs = tuple(name for name in node.output if name)
    local = _node_shapes(ctx, node) if any(name not in ctx.graph.shapes for name in outputs) else {}
    for name in outputs:
        shape = ctx.graph.shapes.get(name, local.get(name))
        if shape is not None:
            ctx.external[name] = shape
        else:
            ctx.unshaped[name] = label
    skipped.append(SkippedNode(label, node.op_type, reason, outputs))


def _convert(ctx: Context, skipped: list[SkippedNode], folded: list[str]) -> None:
    for index, node in enumerate(ctx.graph.model.graph.node):
        label = node_label(node, index)
        ctx.node, ctx.label = node, label
        default_domain = node.domain in ("", "ai.onnx")
        if any(attr.type in (5, 10) for attr in node.attribute):  # GRAPH, GRAPHS: control flow
            _skip(ctx, node, label, "control flow (a subgraph) is not an Einsum", skipped)
            continue
        inputs = [name for name in node.input if name]
        if default_domain and node.op_type not in NOT_FOLDED and all(name in ctx.constants for name in inputs):
            try:
                values = fold(node, ctx.constants, ctx.opset, ctx.graph.types)
            except Exception as error:  # the reference evaluator's own failure: skip, never guess
                _skip(ctx, node, label, f"constant folding failed: {error}", skipped)
                continue
            for name, value in zip((n for n in node.output if n), values):
                ctx.constants[name] = value
                if any(i in ctx.unread for i in inputs):  # folded from values that were not read
                    ctx.unread.add(name)
            folded.append(label)
            continue
        if default_domain and node.op_type in ("Shape", "Size") and node.input[0] not in ctx.external:
            shape = np.array(ctx.shape(node.input[0]), dtype=np.int64)
            if node.op_type == "Size":
                ctx.constants[node.output[0]] = np.array(np.prod(shape), dtype=np.int64)
            else:
                start, end = ctx.attr("start", 0), ctx.attr("end", None)
                ctx.constants[node.output[0]] = shape[start:end]
            folded.append(label)
            continue
        convert = CONVERTERS.get(node.op_type) if default_domain else None
        if convert is None:
            where = "" if default_domain else f" of domain {node.domain!r}"
            _skip(ctx, node, label, f"operator {node.op_type!r}{where} has no Einsum form here", skipped)
            continue
        snapshot = _Snapshot(ctx)
        try:
            convert(ctx, node)
        except Unsupported as reason:
            snapshot.restore(ctx)
            _skip(ctx, node, label, str(reason), skipped)
        except ViewError as error:
            snapshot.restore(ctx)
            _skip(ctx, node, label, f"not expressible with affine indices: {error}", skipped)


def _outputs(ctx: Context, skipped: list[SkippedNode]) -> list:
    produced = set(ctx.builder.provenance)
    bindings = []
    for name in ctx.graph.outputs:
        if name in ctx.views:
            view = ctx.views[name]
            if view.tensor not in produced:  # a pure view of an input or weight: copy it
                view = _copy(ctx, name, view)
            bindings.append((name, view))
        elif name in ctx.constants:
            skipped.append(SkippedNode(f"output {name}", "graph output", "a constant, folded at import: no Einsum computes it", (name,)))
        else:
            skipped.append(SkippedNode(f"output {name}", "graph output", "produced by a skipped node: no Einsum computes it", (name,)))
    return bindings


def _copy(ctx: Context, name: str, view: View) -> View:
    b = ctx.builder
    scope = b.scope()
    axes = [scope.pieces(size, [view], [i], "x") for i, size in enumerate(view.shape)]
    target, out = b.output(b.tensor_name(name, "_copy"), axes, view.shape)
    ctx.label = f"output {name}"
    b.emit(f"{target} = {b.read(view, [[(s, Affine.of(r)) for s, r in p] for p in axes])}", ctx.label)
    return out


def _cascade(ctx: Context, name: str) -> Cascade:
    """Build the cascade; inputs that readers see only in part are declared with their full dimensions."""
    b: Builder = ctx.builder
    einsums = [parse_einsum(line) for line in b.lines]
    expected = {tensor: tuple(array.shape) for tensor, array in b.weights.items()}
    expected.update({tensor: ctx.input_views[onnx_name].shape for onnx_name, tensor in ctx.bound_inputs.items()})
    for attempt in range(2):
        used: set[str] = set()
        for einsum in einsums:
            used.update(einsum.ranks)
            for access in (einsum.output,) + einsum.accesses:
                used.update(access.ranks)
        for decl in b.decls.values():
            used.update(decl.get("dims", ()))
        shapes = {rank: size for rank, size in b.ranks.items() if rank in used}
        try:
            cascade = build_cascade(einsums, shapes, name, b.decls)
        except EinsumError:
            if attempt:
                raise
            partial = list(expected)  # e.g. an input read only in part looks smaller than it is: declare them all
        else:
            partial = [t for t, shape in expected.items() if t in cascade.tensors and cascade.tensors[t].shape != shape]
            if not partial:
                return cascade
        for tensor in partial:
            scope = b.scope()
            b.decls[tensor] = {**b.decls.get(tensor, {}), "dims": [scope.rank(size, f"d{size}") for size in expected[tensor]]}
    raise OnnxImportError(f"inputs {partial!r} keep shapes other than their ONNX shapes", source=ctx.graph.source)  # pragma: no cover


def _plain_overreads(ctx: Context) -> frozenset[tuple[str, int]]:
    """(tensor, axis) pairs some Einsum reads with a plain rank smaller than the dimension (e.g. ``X[m, 0:3]``).

    The notation rejects those reads; the importer then runs again storing
    such tensors one element further along that axis, so every read is ``r+k``.
    """
    b = ctx.builder
    einsums = [parse_einsum(line) for line in b.lines]
    sizes: dict[str, list[int]] = {t: list(a.shape) for t, a in b.weights.items()}
    sizes.update({t: list(ctx.input_views[o].shape) for o, t in ctx.bound_inputs.items()})
    for einsum in einsums:
        dims = b.decls.get(einsum.output.tensor, {}).get("dims")
        indices = einsum.output.indices
        sizes[einsum.output.tensor] = [b.ranks[d] for d in dims] if dims else [
            b.ranks[i.plain_rank] if i.plain_rank else i.bounds(b.ranks)[1] + 1 for i in indices
        ]
    found = set()
    for einsum in einsums:
        for access in einsum.accesses:
            extent = sizes.get(access.tensor)
            for axis, index in enumerate(access.indices):
                rank = index.plain_rank
                if extent is not None and rank is not None and access.tensor != einsum.output.tensor and b.ranks[rank] < extent[axis]:
                    found.add((access.tensor, axis))
    return frozenset(found)


def _cascade_name(graph: Graph, name: str | None) -> str:
    if name is not None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"cascade name must be a non-empty string, not {name!r}")
        return name
    from_file = not graph.source.startswith("<")
    base = Path(graph.source).stem if from_file else graph.model.graph.name
    base = re.sub(r"[^A-Za-z0-9_]", "_", base or "").strip("_")
    return base if base and (base[0].isalpha() or base[0] == "_") else f"onnx_{base}" if base else "onnx_model"


def import_onnx(
    model: object,
    *,
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    dims: Mapping[str, int] | None = None,
    name: str | None = None,
    strict: bool = False,
) -> OnnxImport:
    """Import an ONNX model (a path, the file's bytes, or an ``onnx.ModelProto``) as a cascade.

    Shapes come from the graph (ONNX shape inference after fixing the inputs'
    dynamic dimensions); nodes whose inputs are all constants are folded;
    Conv, Gemm/MatMul, element-wise operators, Softmax, LayerNormalization,
    BatchNormalization, reductions and pooling become Einsums; Reshape,
    Transpose, Squeeze/Unsqueeze, Flatten, Expand, Slice and constant Gather
    become index remaps; Concat becomes zero-padded populates and a sum.
    Other nodes are skipped and listed (:attr:`OnnxImport.skipped`); their
    outputs become cascade inputs.

    Parameters
    ----------
    model : str, pathlib.Path, bytes or onnx.ModelProto
        The model.
    input_shapes : mapping of str to tuple of int, optional
        Shapes for graph inputs (replacing their declared, possibly dynamic, shapes).
    dims : mapping of str to int, optional
        Values of symbolic dimensions (``dim_param``), e.g. ``{"batch": 1}``.
    name : str, optional
        Name of the cascade (default: the file's stem, else the graph's name).
    strict : bool
        Raise instead of skipping unsupported nodes.

    Raises
    ------
    OnnxImportError
        For a corrupt or truncated model, an opset the importer does not know,
        a dynamic dimension without a value, an operation that cannot be
        written with affine indices, or (``strict``) any skipped node; the
        message names the node.
    FileNotFoundError
        For a path that does not exist.
    TypeError
        For arguments of the wrong type.
    """
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be true or false, not {strict!r}")
    graph = load_graph(model, input_shapes, dims)
    shifted: frozenset[tuple[str, int]] = frozenset()
    for _ in range(2):
        ctx = Context(graph, shifted)
        skipped: list[SkippedNode] = []
        folded: list[str] = []
        _convert(ctx, skipped, folded)
        bindings = _outputs(ctx, skipped)
        overreads = _plain_overreads(ctx)
        if overreads <= shifted:
            break
        shifted = shifted | overreads
    if strict and skipped:
        first = skipped[0]
        listing = "; ".join(str(s) for s in skipped)
        raise OnnxImportError(f"{len(skipped)} node(s) cannot be imported: {listing}", node=first.node, op_type=first.op_type, source=graph.source)
    if not ctx.builder.lines:
        listing = "; ".join(str(s) for s in skipped) or "every node was folded to a constant"
        raise OnnxImportError(f"nothing to import: no node became an Einsum ({listing})", source=graph.source)
    try:
        cascade = _cascade(ctx, _cascade_name(graph, name))
    except EinsumError as error:  # an importer bug, reported with the node it came from
        node = ctx.builder.provenance.get(error.einsum or "", None)
        raise OnnxImportError(f"the imported Einsums do not form a valid cascade: {error}", node=node, source=graph.source) from None
    inputs = tuple(
        Binding(onnx_name, tensor, ctx.input_views[onnx_name].shape, ctx.input_views[onnx_name])
        for onnx_name, tensor in ctx.bound_inputs.items()
        if tensor in cascade.tensors
    )
    outputs = tuple(Binding(onnx_name, view.tensor, view.shape, view) for onnx_name, view in bindings)
    unread = tuple(sorted(t for t in ctx.unread_tensors if t in cascade.tensors))
    weights = {key: value for key, value in ctx.builder.weights.items() if key in cascade.tensors and key not in unread}
    return OnnxImport(
        cascade=cascade,
        inputs=inputs,
        outputs=outputs,
        weights=MappingProxyType(weights),
        skipped=tuple(skipped),
        folded=tuple(folded),
        nodes=MappingProxyType(dict(ctx.builder.provenance)),
        shape_only=unread,
    )
