"""Errors raised while importing an ONNX model."""

from __future__ import annotations

from accel.errors import BadInputError

__all__ = ["OnnxImportError"]


class OnnxImportError(BadInputError):
    """An ONNX model that cannot be imported: corrupt, dynamically shaped, of an unknown opset, or inexpressible.

    The message names the file and, where there is one, the node (its name and
    operator type) and the ONNX tensor concerned.

    Parameters
    ----------
    problem : str
        What is wrong, quoting the bad value.
    node : str, optional
        Name of the offending node.
    op_type : str, optional
        Its operator type.
    source : str, optional
        The model's file name (or ``"<model>"``).
    """

    def __init__(self, problem: str, *, node: str | None = None, op_type: str | None = None, source: str | None = None) -> None:
        self.problem = problem
        self.node = node
        self.op_type = op_type
        self.source = source
        super().__init__(self._format())

    def _format(self) -> str:
        parts = []
        if self.source is not None:
            parts.append(self.source)
        if self.node is not None:
            parts.append(f"node {self.node!r}" + (f" ({self.op_type})" if self.op_type else ""))
        location = ", ".join(parts)
        return f"{location}: {self.problem}" if location else self.problem

    def __reduce__(self):  # picklable across processes
        return (_rebuild, (self.problem, self.node, self.op_type, self.source))


def _rebuild(problem, node, op_type, source):  # pragma: no cover - pickling helper
    return OnnxImportError(problem, node=node, op_type=op_type, source=source)
