"""Graphs shared by the COSMA tests."""

from __future__ import annotations

import random

import pytest

from memory import Operator, Tensor, TensorGraph


def branches(scale: int = 1) -> TensorGraph:
    """Two branches, each with a 100 B intermediate, joined at the end.

    In program order (a1, b1, a2, b2, j) on 130 B, A must be spilled while b1
    runs and B while a2 runs (400 B of non-compulsory traffic); running a2
    before b1 needs none.
    """
    s = scale
    return TensorGraph(
        (
            Tensor("x", 10 * s, "input"),
            Tensor("A", 100 * s, "intermediate"),
            Tensor("B", 100 * s, "intermediate"),
            Tensor("a", 10 * s, "intermediate"),
            Tensor("b", 10 * s, "intermediate"),
            Tensor("y", 10 * s, "output"),
        ),
        (
            Operator("a1", ("x",), ("A",)),
            Operator("b1", ("x",), ("B",)),
            Operator("a2", ("A",), ("a",)),
            Operator("b2", ("B",), ("b",)),
            Operator("j", ("a", "b"), ("y",)),
        ),
    )


def skip_chain(scale: int = 1) -> TensorGraph:
    """x -> s -> t -> u, y = f(s, u): on 250 B, s must be spilled (200 B), whatever the schedule."""
    s = scale
    return TensorGraph(
        (
            Tensor("x", 10 * s, "input"),
            Tensor("s", 100 * s, "intermediate"),
            Tensor("t", 100 * s, "intermediate"),
            Tensor("u", 100 * s, "intermediate"),
            Tensor("y", 10 * s, "output"),
        ),
        (
            Operator("op1", ("x",), ("s",)),
            Operator("op2", ("s",), ("t",)),
            Operator("op3", ("t",), ("u",)),
            Operator("op4", ("s", "u"), ("y",)),
        ),
    )


def weight_cycle() -> TensorGraph:
    """A chain using 100 B weights w1 w2 w3 w1 w2 w3; room for two: the optimum reloads one (100 B)."""
    tensors = [Tensor(f"w{i}", 100, "weight") for i in (1, 2, 3)] + [Tensor("x", 10, "input")]
    ops, prev = [], "x"
    for i, w in enumerate((1, 2, 3, 1, 2, 3)):
        out = f"t{i}" if i < 5 else "y"
        tensors.append(Tensor(out, 10, "intermediate" if i < 5 else "output"))
        ops.append(Operator(f"o{i}", (prev, f"w{w}"), (out,)))
        prev = out
    return TensorGraph(tuple(tensors), tuple(ops))


def random_dag(seed: int, n: int) -> TensorGraph:
    """A random DAG: each operator reads one or two earlier results and its own weight."""
    rng = random.Random(seed)
    tensors, ops, produced = [], [], []
    for i in range(n):
        inputs = rng.sample(produced, min(len(produced), rng.randint(1, 2))) if produced else []
        tensors.append(Tensor(f"w{i}", rng.randint(10, 100), "weight"))
        inputs.append(f"w{i}")
        if not produced or rng.random() < 0.2:
            tensors.append(Tensor(f"x{i}", rng.randint(10, 100), "input"))
            inputs.append(f"x{i}")
        ops.append(Operator(f"op{i}", tuple(inputs), (f"t{i}",)))
        produced.append(f"t{i}")
    read = {t for op in ops for t in op.inputs}
    tensors += [Tensor(t, rng.randint(10, 100), "intermediate" if t in read else "output") for t in produced]
    return TensorGraph(tuple(tensors), tuple(ops))


def residual_net(blocks: int, seed: int = 0) -> TensorGraph:
    """ResNet-like: per block conv1 -> conv2 -> add(shortcut), weights per conv."""
    rng = random.Random(seed)
    tensors, ops, prev = [Tensor("in", 100, "input")], [], "in"
    for b in range(blocks):
        c1, c2, add = f"c1_{b}", f"c2_{b}", f"add_{b}"
        for w in (f"w1_{b}", f"w2_{b}"):
            tensors.append(Tensor(w, rng.randint(30, 120), "weight"))
        tensors += [Tensor(c1, rng.randint(50, 150), "intermediate"), Tensor(c2, rng.randint(50, 150), "intermediate")]
        tensors.append(Tensor(add, rng.randint(50, 150), "output" if b == blocks - 1 else "intermediate"))
        ops += [
            Operator(f"conv1_{b}", (prev, f"w1_{b}"), (c1,)),
            Operator(f"conv2_{b}", (c1, f"w2_{b}"), (c2,)),
            Operator(f"add_{b}", (c2, prev), (add,)),
        ]
        prev = add
    return TensorGraph(tuple(tensors), tuple(ops))


def least_scratchpad(graph: TensorGraph) -> int:
    """The largest operator working set: the smallest capacity any schedule can use."""
    return max(graph.working_set(op.name) for op in graph.operators)


@pytest.fixture
def graphs():
    return {
        "branches": branches,
        "skip_chain": skip_chain,
        "weight_cycle": weight_cycle,
        "random_dag": random_dag,
        "residual_net": residual_net,
        "least_scratchpad": least_scratchpad,
    }
