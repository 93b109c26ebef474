"""The scheduler's input: tensors with sizes and operators in program order."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

from ._errors import GraphError

TENSOR_KINDS = ("input", "weight", "intermediate", "output")
"""Tensor kinds: ``input``/``weight`` start in DRAM, ``intermediate``/``output`` are produced."""


@dataclass(frozen=True)
class Tensor:
    """One tensor: a name, a size in bytes and a kind (one of :data:`TENSOR_KINDS`)."""

    name: str
    size: int
    kind: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise GraphError(f"tensor name must be a non-empty string, not {self.name!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size <= 0:
            raise GraphError(f"tensor {self.name!r}: size must be a positive integer number of bytes, not {self.size!r}")
        if self.kind not in TENSOR_KINDS:
            raise GraphError(f"tensor {self.name!r}: kind must be one of {TENSOR_KINDS}, not {self.kind!r}")

    @property
    def external(self) -> bool:
        """True for inputs and weights, which live in DRAM before the program starts."""
        return self.kind in ("input", "weight")


@dataclass(frozen=True)
class Operator:
    """One operator execution: reads ``inputs``, writes ``outputs`` (tensor names)."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise GraphError(f"operator name must be a non-empty string, not {self.name!r}")
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        if not self.outputs:
            raise GraphError(f"operator {self.name!r} has no outputs")
        for field, names in (("inputs", self.inputs), ("outputs", self.outputs)):
            if len(set(names)) != len(names):
                raise GraphError(f"operator {self.name!r}: {field} repeat a tensor: {names!r}")
        both = set(self.inputs) & set(self.outputs)
        if both:
            raise GraphError(f"operator {self.name!r} reads and writes the same tensor {sorted(both)[0]!r}")

    @property
    def tensors(self) -> tuple[str, ...]:
        """Inputs then outputs: the operator's working set."""
        return self.inputs + self.outputs


@dataclass(frozen=True)
class TensorGraph:
    """A dataflow graph of tensors and operators, in a given program order.

    Parameters
    ----------
    tensors:
        Every tensor, each with a unique name.
    operators:
        The operators in program order (any order consistent with the data
        dependences may be chosen by a scheduler).

    Raises
    ------
    GraphError
        On duplicate names, an operator naming an unknown tensor, a produced
        input/weight, an intermediate/output with no or two producers, an
        intermediate nobody reads, or a dependence cycle (the message names an
        operator on the cycle).
    """

    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "tensors", tuple(self.tensors))
        object.__setattr__(self, "operators", tuple(self.operators))
        for item in self.tensors:
            if not isinstance(item, Tensor):
                raise TypeError(f"TensorGraph.tensors must hold Tensor values, not {item!r}")
        for item in self.operators:
            if not isinstance(item, Operator):
                raise TypeError(f"TensorGraph.operators must hold Operator values, not {item!r}")
        if not self.operators:
            raise GraphError("graph has no operators")
        names: set[str] = set()
        for tensor in self.tensors:
            if tensor.name in names:
                raise GraphError(f"tensor name {tensor.name!r} is used twice")
            names.add(tensor.name)
        op_names: set[str] = set()
        producer: dict[str, str] = {}
        for op in self.operators:
            if op.name in op_names:
                raise GraphError(f"operator name {op.name!r} is used twice")
            op_names.add(op.name)
            for name in op.tensors:
                if name not in names:
                    raise GraphError(f"operator {op.name!r} uses unknown tensor {name!r}")
            for name in op.outputs:
                if name in producer:
                    raise GraphError(f"tensor {name!r} is written by both {producer[name]!r} and {op.name!r}")
                producer[name] = op.name
        consumed = {name for op in self.operators for name in op.inputs}
        for tensor in self.tensors:
            if tensor.external and tensor.name in producer:
                raise GraphError(
                    f"tensor {tensor.name!r} is an {tensor.kind} but operator {producer[tensor.name]!r} writes it"
                )
            if not tensor.external and tensor.name not in producer:
                raise GraphError(f"{tensor.kind} tensor {tensor.name!r} is never written by any operator")
            if tensor.kind == "intermediate" and tensor.name not in consumed:
                raise GraphError(f"intermediate tensor {tensor.name!r} is never read; mark it as an output")
        self._check_acyclic(producer)

    def _check_acyclic(self, producer: Mapping[str, str]) -> None:
        preds = {op.name: sorted({producer[t] for t in op.inputs if t in producer}) for op in self.operators}
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        for root in preds:
            if state.get(root):
                continue
            stack = [(root, iter(preds[root]))]
            state[root] = 1
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(nxt) == 1:
                    raise GraphError(f"the graph has a dependence cycle through operator {nxt!r}")
                elif not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, iter(preds[nxt])))

    # -- lookups -----------------------------------------------------------------

    @cached_property
    def tensor(self) -> Mapping[str, Tensor]:
        """Tensors by name."""
        return MappingProxyType({t.name: t for t in self.tensors})

    @cached_property
    def operator(self) -> Mapping[str, Operator]:
        """Operators by name."""
        return MappingProxyType({op.name: op for op in self.operators})

    @cached_property
    def producer(self) -> Mapping[str, str]:
        """Name of the operator writing each produced tensor."""
        return MappingProxyType({t: op.name for op in self.operators for t in op.outputs})

    @cached_property
    def consumers(self) -> Mapping[str, tuple[str, ...]]:
        """Names of the operators reading each tensor, in program order."""
        result: dict[str, list[str]] = {t.name: [] for t in self.tensors}
        for op in self.operators:
            for name in op.inputs:
                result[name].append(op.name)
        return MappingProxyType({k: tuple(v) for k, v in result.items()})

    @cached_property
    def predecessors(self) -> Mapping[str, tuple[str, ...]]:
        """Operators whose outputs each operator reads."""
        return MappingProxyType(
            {
                op.name: tuple(sorted({self.producer[t] for t in op.inputs if t in self.producer}))
                for op in self.operators
            }
        )

    @cached_property
    def topological_order(self) -> tuple[str, ...]:
        """A dependence-respecting order, as close to program order as possible."""
        import heapq

        index = {op.name: i for i, op in enumerate(self.operators)}
        succs: dict[str, list[str]] = {op.name: [] for op in self.operators}
        indegree = {op.name: len(self.predecessors[op.name]) for op in self.operators}
        for name, preds in self.predecessors.items():
            for p in preds:
                succs[p].append(name)
        ready = [(index[n], n) for n, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            _, name = heapq.heappop(ready)
            order.append(name)
            for s in succs[name]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    heapq.heappush(ready, (index[s], s))
        return tuple(order)

    def working_set(self, op_name: str) -> int:
        """Bytes an operator needs resident at once (inputs plus outputs)."""
        return sum(self.tensor[t].size for t in self.operator[op_name].tensors)

    @cached_property
    def compulsory_traffic(self) -> int:
        """Bytes any schedule moves: one load of each read input/weight, one write of each output."""
        consumed = {name for op in self.operators for name in op.inputs}
        loads = sum(t.size for t in self.tensors if t.external and t.name in consumed)
        stores = sum(t.size for t in self.tensors if t.kind == "output")
        return loads + stores
