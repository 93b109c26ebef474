import pytest

from memory import GraphError, Operator, Tensor, TensorGraph


def _t(name, size=10, kind="intermediate"):
    return Tensor(name, size, kind)


def test_lookups_and_compulsory(skip_graph):
    g = skip_graph
    assert g.producer["s"] == "op1" and g.consumers["s"] == ("op2", "op4")
    assert g.predecessors["op4"] == ("op1", "op3")
    assert g.topological_order == ("op1", "op2", "op3", "op4")
    assert g.working_set("op4") == 210
    assert g.compulsory_traffic == 20  # load x once, write y once


def test_topological_order_follows_dependences_not_listing():
    g = TensorGraph(
        (_t("x", kind="input"), _t("a"), _t("y", kind="output")),
        (Operator("second", ("a",), ("y",)), Operator("first", ("x",), ("a",))),
    )
    assert g.topological_order == ("first", "second")


def test_cycle_names_an_operator_on_it():
    tensors = (_t("x", kind="input"), _t("a"), _t("b"), _t("y", kind="output"))
    ops = (
        Operator("p", ("x", "b"), ("a",)),
        Operator("q", ("a",), ("b",)),
        Operator("r", ("a",), ("y",)),
    )
    with pytest.raises(GraphError, match=r"dependence cycle through operator '(p|q)'"):
        TensorGraph(tensors, ops)


@pytest.mark.parametrize(
    "tensors, ops, message",
    [
        ((_t("x", kind="input"),), (Operator("p", ("x",), ("z",)),), r"operator 'p' uses unknown tensor 'z'"),
        ((_t("x", kind="input"), _t("x")), (), r"graph has no operators"),
        (
            (_t("x", kind="input"), _t("x", kind="output")),
            (Operator("p", (), ("x",)),),
            r"tensor name 'x' is used twice",
        ),
        (
            (_t("x", kind="input"), _t("y", kind="output")),
            (Operator("p", ("y",), ("x",)),),
            r"tensor 'x' is an input but operator 'p' writes it",
        ),
        (
            (_t("x", kind="input"), _t("y", kind="output"), _t("z", kind="output")),
            (Operator("p", ("x",), ("y",)),),
            r"output tensor 'z' is never written by any operator",
        ),
        (
            (_t("x", kind="input"), _t("y", kind="intermediate")),
            (Operator("p", ("x",), ("y",)),),
            r"intermediate tensor 'y' is never read; mark it as an output",
        ),
        (
            (_t("x", kind="input"), _t("y", kind="output")),
            (Operator("p", ("x",), ("y",)), Operator("q", ("x",), ("y",))),
            r"tensor 'y' is written by both 'p' and 'q'",
        ),
        (
            (_t("x", kind="input"), _t("y", kind="output")),
            (Operator("p", ("x",), ("y",)), Operator("p", ("x",), ("y",))),
            r"operator name 'p' is used twice",
        ),
    ],
)
def test_rejects_malformed_graphs(tensors, ops, message):
    with pytest.raises(GraphError, match=message):
        TensorGraph(tensors, ops)


@pytest.mark.parametrize(
    "args, message",
    [
        (("a", 0, "input"), r"tensor 'a': size must be a positive integer number of bytes, not 0"),
        (("a", -3, "input"), r"tensor 'a': size must be a positive integer number of bytes, not -3"),
        (("a", 1.5, "input"), r"not 1.5"),
        (("a", 4, "scratch"), r"tensor 'a': kind must be one of .* not 'scratch'"),
        (("", 4, "input"), r"tensor name must be a non-empty string, not ''"),
    ],
)
def test_rejects_bad_tensors(args, message):
    with pytest.raises(GraphError, match=message):
        Tensor(*args)


def test_rejects_bad_operators():
    with pytest.raises(GraphError, match=r"operator 'p' has no outputs"):
        Operator("p", ("x",), ())
    with pytest.raises(GraphError, match=r"operator 'p' reads and writes the same tensor 'x'"):
        Operator("p", ("x",), ("x",))
    with pytest.raises(GraphError, match=r"operator 'p': inputs repeat a tensor: \('x', 'x'\)"):
        Operator("p", ("x", "x"), ("y",))


def test_graph_is_frozen_and_hashable(skip_graph):
    with pytest.raises(AttributeError):
        skip_graph.tensors = ()
    assert hash(skip_graph) == hash(type(skip_graph)(skip_graph.tensors, skip_graph.operators))
