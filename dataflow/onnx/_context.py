"""What an operator converter sees: views and constants by ONNX name, attributes, the builder, and the registry."""

from __future__ import annotations

from typing import Callable

import numpy as np
import onnx

from ._builder import Builder, Operand, default_hints
from ._errors import OnnxImportError
from ._model import Graph
from ._views import Affine, Digit, View, plain_view

__all__ = ["Context", "Unsupported", "CONVERTERS", "converter"]


class Unsupported(Exception):
    """Raised by a converter for a node it cannot express; the node is then skipped with this reason."""


#: op_type -> converter(ctx, node)
CONVERTERS: dict[str, Callable[["Context", onnx.NodeProto], None]] = {}


def converter(*op_types: str):
    """Register a converter for ``op_types`` (explicitly, by decoration at import of the op modules)."""

    def register(function):
        for op_type in op_types:
            CONVERTERS[op_type] = function
        return function

    return register


class Context:
    """State of one import: the graph, the builder, and where each ONNX tensor lives."""

    def __init__(self, graph: Graph, shifted: frozenset[tuple[str, int]] = frozenset()) -> None:
        self.graph = graph
        self.opset = graph.opset
        self.builder = Builder(shifted)
        self.input_views: dict[str, View] = {}  # ONNX name -> plain view of the cascade input
        self.constants: dict[str, np.ndarray] = dict(graph.constants)
        self.views: dict[str, View] = {}
        self.external: dict[str, tuple[int, ...]] = {}  # outputs of skipped nodes: become cascade inputs
        self.bound_inputs: dict[str, str] = {}  # ONNX name -> cascade input tensor
        self.unshaped: dict[str, str] = {}  # outputs of skipped nodes without a static shape -> that node
        self._weight_views: dict[str, View] = {}
        #: ONNX names whose values were not read (weights stored beside the model, absent) or derive from them
        self.unread: set[str] = set(graph.unread)
        #: cascade weight tensors standing for unread values
        self.unread_tensors: set[str] = set()
        self.node: onnx.NodeProto | None = None
        self.label = ""

    # ----------------------------------------------------------- errors
    def error(self, problem: str) -> OnnxImportError:
        return OnnxImportError(problem, node=self.label, op_type=self.node.op_type if self.node else None, source=self.graph.source)

    # ----------------------------------------------------------- lookups
    def is_const(self, name: str) -> bool:
        return not name or name in self.constants

    def const(self, name: str) -> np.ndarray | None:
        """The value of a constant; None for data and for constants whose values were not read (shape-only)."""
        return self.constants.get(name) if name and name not in self.unread else None

    def need_const(self, name: str, what: str) -> np.ndarray:
        if name in self.unread:
            raise Unsupported(f"its {what} ({name!r}) is stored beside the model and was not read (a shape-only import)")
        value = self.const(name)
        if value is None:
            raise Unsupported(f"its {what} ({name!r}) is computed from the data, not a constant")
        return value

    def shape(self, name: str) -> tuple[int, ...]:
        if name in self.views:
            return self.views[name].shape
        if name in self.constants:
            return tuple(self.constants[name].shape)
        if name in self.graph.shapes:
            return self.graph.shapes[name]
        raise self.error(f"tensor {name!r} has no static shape after ONNX shape inference (a dynamic shape?)")

    def view(self, name: str) -> View:
        """The view of a data tensor (a weight for a constant, a cascade input for a graph input or skipped output)."""
        if name in self.views:
            return self.views[name]
        if name in self.constants:
            if name not in self._weight_views:
                value = self.constants[name]
                if not np.issubdtype(value.dtype, np.number) and value.dtype != np.bool_:
                    raise Unsupported(f"constant {name!r} is not numeric ({value.dtype})")
                if not np.issubdtype(value.dtype, np.floating):
                    value = value.astype(np.float64)
                self._weight_views[name] = self._shifted(self.builder.weight(name, value))
                if name in self.unread:
                    self.unread_tensors.add(self._weight_views[name].tensor)
            return self._weight_views[name]
        if name in self.graph.inputs or name in self.external:
            shape = self.graph.shapes.get(name) if name in self.graph.inputs else self.external[name]
            if shape is None:
                raise self.error(f"input {name!r} has no static shape")
            tensor = self.builder.tensor_name(name)
            view = plain_view(tensor, shape, default_hints(shape))
            self.bound_inputs[name] = tensor
            self.input_views[name] = view
            self.views[name] = self._shifted(view)
            return self.views[name]
        if name in self.unshaped:
            raise self.error(
                f"reads {name!r}, the output of skipped node {self.unshaped[name]!r}, whose shape ONNX shape "
                f"inference leaves unknown (a dynamic shape?)"
            )
        raise self.error(f"tensor {name!r} is not available (produced by no converted node)")

    def _shifted(self, view: View) -> View:
        """``view`` itself, or a copy one element further along the axes read in part by plain ranks."""
        axes = [axis for axis in range(view.rank) if (view.tensor, axis) in self.builder.shifted]
        if not axes:
            return view
        b = self.builder
        scope = b.scope()
        pieces = [[(size, scope.rank(size, digits[0].hint if digits else f"u{size}"))] for size, digits in zip(view.shape, view.axes)]
        copy = b.tensor_name(view.tensor, "_shifted")
        offsets = tuple(1 if axis in axes else 0 for axis in range(view.rank))
        written = ",".join(Affine.of(p[0][1], 1, offset).text() for p, offset in zip(pieces, offsets))
        b.emit(f"{copy}[{written}] = {b.read(view, [[(s, Affine.of(r))] for [(s, r)] in pieces])}", self.label)
        digits = tuple((Digit(size, axis, 1, p[0][1]),) for axis, (size, p) in enumerate(zip(view.shape, pieces)))
        return View(copy, view.shape, digits, offsets)

    def operand(self, name: str) -> Operand:
        """A scalar constant inlined as a number, anything else as a view."""
        value = self.const(name)
        if value is not None and value.size == 1 and np.issubdtype(value.dtype, np.number):
            return Operand(value=float(value.reshape(-1)[0]))
        return Operand(view=self.view(name))

    def bind(self, onnx_name: str, view: View) -> None:
        self.views[onnx_name] = view

    def out(self, index: int = 0, suffix: str = "") -> str:
        """A fresh cascade tensor name for output ``index`` of the current node (with ``suffix``)."""
        return self.builder.tensor_name(self.node.output[index], suffix)

    def emit(self, line: str) -> None:
        self.builder.emit(line, self.label)

    # ----------------------------------------------------------- attributes
    def attr(self, name: str, default=None):
        for attribute in self.node.attribute:
            if attribute.name == name:
                value = onnx.helper.get_attribute_value(attribute)
                if isinstance(value, bytes):
                    return value.decode()
                if isinstance(value, list):
                    return [v.decode() if isinstance(v, bytes) else v for v in value]
                return value
        return default

    def input(self, index: int) -> str:
        """Name of input ``index`` of the current node ('' when absent)."""
        return self.node.input[index] if index < len(self.node.input) else ""

    def axis(self, axis: int, rank: int) -> int:
        if not -rank <= axis < rank:
            raise self.error(f"axis {axis!r} out of range for a tensor of rank {rank}")
        return axis % rank
