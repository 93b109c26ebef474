"""The adapter from dataflow cascades."""

from types import SimpleNamespace

import pytest

from memory import GraphError, Scratchpad, graph_from_cascade, schedule_greedy


def test_attention_cascade():
    from dataflow import library

    cascade = library.build("attention_3pass", M=16, P=16, E=4, F=4)
    g = graph_from_cascade(cascade, 8)
    assert [op.name for op in g.operators] == ["QK", "GM", "SN", "SD", "A", "AV"]
    assert g.operator["SN"].inputs == ("QK", "GM") and g.operator["SN"].outputs == ("SN",)
    kinds = {t.name: t.kind for t in g.tensors}
    assert kinds["Q"] == kinds["K"] == kinds["V"] == "input" and kinds["AV"] == "output" and kinds["QK"] == "intermediate"
    assert g.tensor["QK"].size == 16 * 16 and g.tensor["Q"].size == 16 * 4
    assert graph_from_cascade(cascade, 16).tensor["QK"].size == 2 * 16 * 16
    assert graph_from_cascade(cascade, {"QK": 32}).tensor["QK"].size == 4 * 16 * 16


def test_weights_are_marked():
    from dataflow import library

    g = graph_from_cascade(library.build("resnet18"))
    assert g.tensor["Wstem"].kind == "weight" and g.tensor["IMG"].kind == "input"
    result = schedule_greedy(g, Scratchpad("4MiB"))
    assert result.traffic.compulsory == g.compulsory_traffic


def _fake(einsums, inputs, outputs, sizes):
    def access(name):
        return SimpleNamespace(tensor=name)

    return SimpleNamespace(
        einsums=tuple(SimpleNamespace(name=n, output=access(o), inputs=tuple(access(i) for i in ins)) for n, o, ins in einsums),
        inputs=inputs,
        outputs=outputs,
        tensor_bytes=lambda name, bits: sizes[name] * bits // 8,
    )


def test_duck_typed_cascade_and_recurrence():
    # a recurrence (R reads its own output) keeps one operator with no self-edge
    cascade = _fake([("R", "R", ("X", "R")), ("Y", "Y", ("R",))], ("X",), ("Y",), {"X": 4, "R": 4, "Y": 4})
    g = graph_from_cascade(cascade)
    assert g.operator["R"].inputs == ("X",)
    assert [t.kind for t in g.tensors] == ["input", "intermediate", "output"]


def test_bad_bits_and_sizes():
    cascade = _fake([("Y", "Y", ("X",))], ("X",), ("Y",), {"X": 4, "Y": 0})
    with pytest.raises(ValueError, match=r"dtype_bits must be a positive integer number of bits, not 0"):
        graph_from_cascade(cascade, 0)
    with pytest.raises(ValueError, match=r"dtype_bits\['X'\] must be a positive integer number of bits, not -8"):
        graph_from_cascade(cascade, {"X": -8})
    with pytest.raises(GraphError, match=r"cascade tensor 'Y' has size 0 bytes; it must be positive"):
        graph_from_cascade(cascade)
