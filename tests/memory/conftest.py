"""Small hand-made graphs shared by the memory tests."""

from __future__ import annotations

import pytest

from memory import Operator, Tensor, TensorGraph


def weight_cycle() -> TensorGraph:
    """A chain whose steps use weights w1 w2 w3 w1 w2 w3 (100 B each); activations are 10 B.

    With room for two weights and two activations (220 B), LRU reloads w1 and w2
    (200 B non-compulsory) and Belady only w2 (100 B).
    """
    tensors = [Tensor(f"w{i}", 100, "weight") for i in (1, 2, 3)] + [Tensor("x", 10, "input")]
    ops, prev = [], "x"
    for i, w in enumerate((1, 2, 3, 1, 2, 3)):
        out = f"t{i}" if i < 5 else "y"
        tensors.append(Tensor(out, 10, "intermediate" if i < 5 else "output"))
        ops.append(Operator(f"o{i}", (prev, f"w{w}"), (out,)))
        prev = out
    return TensorGraph(tuple(tensors), tuple(ops))


def skip_chain() -> TensorGraph:
    """x -> s -> t -> u, then y = f(s, u): s must survive t and u (100 B each)."""
    return TensorGraph(
        (
            Tensor("x", 10, "input"),
            Tensor("s", 100, "intermediate"),
            Tensor("t", 100, "intermediate"),
            Tensor("u", 100, "intermediate"),
            Tensor("y", 10, "output"),
        ),
        (
            Operator("op1", ("x",), ("s",)),
            Operator("op2", ("s",), ("t",)),
            Operator("op3", ("t",), ("u",)),
            Operator("op4", ("s", "u"), ("y",)),
        ),
    )


@pytest.fixture
def cycle_graph() -> TensorGraph:
    return weight_cycle()


@pytest.fixture
def skip_graph() -> TensorGraph:
    return skip_chain()
