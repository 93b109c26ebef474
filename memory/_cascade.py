"""Adapter: a ``dataflow.Cascade`` becomes a :class:`TensorGraph`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ._errors import GraphError
from ._graph import Operator, Tensor, TensorGraph

if TYPE_CHECKING:
    from dataflow import Cascade


def graph_from_cascade(cascade: Cascade, dtype_bits: int | Mapping[str, int] = 8) -> TensorGraph:
    """Build the scheduler's graph from a cascade of Einsums, one operator per Einsum.

    Tensor sizes come from ``cascade.tensor_bytes(name, bits)``.  Cascade inputs
    become ``input`` tensors, or ``weight`` tensors where the cascade names its
    weights (a ``weights`` attribute, when it has one); cascade outputs become
    ``output`` tensors and everything else written by an Einsum ``intermediate``.
    An intermediate that nothing reads is treated as an output.

    Parameters
    ----------
    cascade:
        A ``dataflow.Cascade`` (what is read of it: ``einsums``, ``inputs``,
        ``outputs``, ``weights`` and ``tensor_bytes(name, bits)``).
    dtype_bits:
        Bits per element for every tensor, or a mapping from tensor name to bits
        (tensors it omits use 8).

    Raises
    ------
    GraphError
        If the cascade is malformed for scheduling (see :class:`TensorGraph`).
    ValueError
        If ``dtype_bits`` is not a positive integer.
    """
    per_tensor = dict(dtype_bits) if isinstance(dtype_bits, Mapping) else {}
    default = 8 if isinstance(dtype_bits, Mapping) else dtype_bits
    for where, bits in [("dtype_bits", default), *((f"dtype_bits[{k!r}]", v) for k, v in per_tensor.items())]:
        if isinstance(bits, bool) or not isinstance(bits, int) or bits <= 0:
            raise ValueError(f"{where} must be a positive integer number of bits, not {bits!r}")
    inputs = tuple(cascade.inputs)
    outputs = set(cascade.outputs)
    weights = set(getattr(cascade, "weights", ()) or ())
    operators = []
    order: list[str] = []
    for einsum in cascade.einsums:
        reads = tuple(dict.fromkeys(access.tensor for access in einsum.inputs))
        written = einsum.output.tensor
        reads = tuple(name for name in reads if name != written)
        operators.append(Operator(einsum.name, reads, (written,)))
        for name in reads + (written,):
            if name not in order:
                order.append(name)
    for name in inputs:
        if name not in order:
            order.append(name)
    consumed = {name for op in operators for name in op.inputs}
    written = {op.outputs[0] for op in operators}
    tensors = []
    for name in order:
        bits = per_tensor.get(name, default)
        size = int(cascade.tensor_bytes(name, bits))
        if name not in written:
            kind = "weight" if name in weights else "input"
        elif name in outputs or name not in consumed:
            kind = "output"
        else:
            kind = "intermediate"
        if size <= 0:
            raise GraphError(f"cascade tensor {name!r} has size {size!r} bytes; it must be positive")
        tensors.append(Tensor(name, size, kind))
    return TensorGraph(tuple(tensors), tuple(operators))
