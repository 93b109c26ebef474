"""Cascades: validation against shapes, the dependency graph, op counts, bytes and reuse facts."""

from __future__ import annotations

import pytest

from dataflow import (
    CycleError,
    EinsumError,
    Rank,
    ShapeError,
    TensorDecl,
    UnknownNameError,
    build_cascade,
    parse_cascade,
    parse_einsum,
)

ATTENTION_3 = """
QK[m,p] = Q[e,p] * K[e,m]
GM[p] = QK[m,p] :: max(m)
SN[m,p] = exp(QK[m,p] - GM[p])
SD[p] = SN[m,p]
A[m,p] = SN[m,p] / SD[p]
AV[f,p] = A[m,p] * V[f,m]
"""
SHAPES = {"e": 2, "f": 3, "m": 5, "p": 4}


@pytest.fixture
def att():
    return parse_cascade(ATTENTION_3, SHAPES, name="att")


def test_graph_queries(att):
    assert [e.name for e in att.einsums] == ["QK", "GM", "SN", "SD", "A", "AV"]
    assert att.inputs == ("Q", "K", "V")
    assert att.outputs == ("AV",)
    assert att.intermediates == ("QK", "GM", "SN", "SD", "A")
    assert att.producer("SN").name == "SN"
    assert att.producer("Q") is None
    assert [e.name for e in att.consumers("SN")] == ["SD", "A"]
    assert att.consumers("AV") == ()
    assert att.dependencies() == {
        "QK": (), "GM": ("QK",), "SN": ("QK", "GM"), "SD": ("SN",), "A": ("SN", "SD"), "AV": ("A",)
    }
    assert att.einsum("GM").reduce_op == {"m": "max"}


def test_tensor_shapes_sizes_and_bytes(att):
    assert att.tensors["QK"].dims == ("m", "p") and att.tensors["QK"].shape == (5, 4)
    assert att.tensors["V"].shape == (3, 5)
    assert att.tensor_elements("QK") == 20
    assert att.tensor_bytes("QK", 16) == 40
    assert att.tensor_bytes("GM", 4) == 2  # 4 elements x 4 bits
    assert att.tensor_bytes("AV", 3) == 5  # 12 x 3 = 36 bits -> 5 bytes, rounded up


def test_op_counts_by_hand(att):
    # QK: 5*4*2 points, one mul and one add each; GM: 20 max; SN: 20 sub + 20 exp;
    # SD: 20 add; A: 20 div; AV: 3*4*5 = 60 mul + 60 add.
    assert att.einsum("QK").op_counts(att.shapes) == {"add": 40, "mul": 40}
    assert att.einsum("SN").op_counts(att.shapes) == {"exp": 20, "sub": 20}
    assert att.op_counts() == {"add": 120, "div": 20, "exp": 20, "max": 20, "mul": 100, "sub": 20}
    assert att.einsum("QK").macs(att.shapes) == 40
    assert att.einsum("GM").macs(att.shapes) == 0
    assert att.macs() == 100


def test_mixed_reductions_count_each_level_once_per_element():
    c = parse_cascade(["S[n] = A[n,m,k] :: sum(k) max(m)"], {"n": 2, "m": 3, "k": 4})
    # 24 points accumulate into 6 sums, which accumulate into 2 maxima.
    assert c.op_counts() == {"add": 24, "max": 6}


def test_scaled_sum_is_not_a_mac():
    e = parse_einsum("MU[p] = X[d,p] * 0.5")
    assert e.macs({"d": 4, "p": 2}) == 0
    assert e.op_counts({"d": 4, "p": 2}) == {"add": 8, "mul": 8}


def test_reuse_facts(att):
    assert att.reuse_ranks("QK", "Q") == ("m",)
    assert att.reuse_ranks("QK", "K") == ("p",)
    assert att.reuse_ranks("QK", "QK") == ("e",)
    assert att.reuse_ranks("AV", "V") == ("p",)
    assert att.einsum("AV").iteration_space(att.shapes) == {"f": 3, "p": 4, "m": 5}


def test_conv_input_extent_and_dims():
    c = parse_cascade(["O[n,k,p,q] = I[n,c,p*2+r,q*2+s] * W[k,c,r,s]"],
                      {"n": 1, "k": 2, "c": 3, "p": 4, "q": 4, "r": 3, "s": 3})
    assert c.tensors["I"].shape == (1, 3, 9, 9)
    assert c.tensors["I"].dims == ("n", "c", "p*2+r", "q*2+s")


def test_populate_output_sizes_tensor_by_its_extent():
    c = parse_cascade(["RM[m1+1,p] = max(RM[m1,p], LM[m1,p])"], {"m1": 4, "p": 2},
                      tensors={"RM": TensorDecl(init=float("-inf"))})
    assert c.tensors["RM"].shape == (5, 2) and c.tensors["RM"].init == float("-inf")
    assert c.inputs == ("LM",)
    assert c.consumers("RM") == ()  # a recurrence's own read is not a consumer


def test_weights_and_declared_bits():
    c = parse_cascade(["Z[m,n] = A[m,k] * B[k,n]"], {"m": 2, "n": 2, "k": 2},
                      tensors={"B": {"weight": True, "bits": 8}})
    assert c.weights == ("B",)
    assert c.tensor_bytes("B") == 4
    with pytest.raises(ValueError, match="tensor 'A' declares no datatype; pass bits"):
        c.tensor_bytes("A")
    with pytest.raises(ValueError, match="bits must be a positive integer, not 0"):
        c.tensor_bytes("A", 0)


def test_shapes_may_be_rank_objects():
    c = parse_cascade("Z[m] = A[m]", [Rank("m", 3)])
    assert dict(c.shapes) == {"m": 3}


# ---------------------------------------------------------------------- bad input
def test_unknown_rank_names_einsum_and_column():
    with pytest.raises(UnknownNameError, match=r"Einsum 'Z', column 14: unknown rank 'k' \(expected a rank of the cascade's shapes: m, n\)") as info:
        parse_cascade(["Z[m,n] = A[m,k] * B[k,n]"], {"m": 2, "n": 2})
    assert info.value.column == 14 and info.value.einsum == "Z"


def test_unknown_rank_inside_an_affine_index_points_at_its_term():
    with pytest.raises(UnknownNameError, match=r"column 26: unknown rank 'x'"):
        parse_cascade(["O[p] = I[p*2+r] * I2[p*2+x]"], {"p": 2, "r": 2})


def test_rank_used_with_two_sizes_in_shapes():
    with pytest.raises(ShapeError, match=r"rank 'm' used with two different sizes, 3 and 4 \(expected one size per rank\)"):
        parse_cascade("Z[m] = A[m]", [Rank("m", 3), Rank("m", 4)])


def test_rank_used_with_two_sizes_on_one_tensor_dimension():
    text = "Y[m,n] = A[m,k] * B[k,n]\nZ[m,j] = Y[m,j]"
    with pytest.raises(ShapeError, match=r"Einsum 'Z', column 14: rank 'j' \(size 5\) indexes dimension 1 of tensor 'Y', which rank 'n' sizes 4: a rank used with two different sizes \(expected a rank of size 4\)"):
        parse_cascade(text, {"m": 2, "n": 4, "k": 3, "j": 5})


def test_index_out_of_bounds():
    with pytest.raises(ShapeError, match=r"Einsum 'O', column 10: index 'p\*2\+r' of tensor 'I' \(dimension 0\) ranges over \[0, 9\], out of bounds \(expected values in \[0, 7\]\)"):
        parse_cascade(["O[p] = I[p*2+r] * W[r]"], {"p": 4, "r": 4, "h": 8}, tensors={"I": {"dims": ["h"]}})


def test_negative_index_is_out_of_bounds():
    with pytest.raises(ShapeError, match=r"index 'p-1' of tensor 'I' \(dimension 0\) ranges over \[-1, 2\], out of bounds"):
        parse_cascade(["O[p] = I[p-1]"], {"p": 4})


def test_wrong_number_of_indices():
    with pytest.raises(ShapeError, match=r"Einsum 'Z', column 8: tensor 'Y' has 1 indices here but 2 in Einsum 'Y' \(expected 2 indices\)"):
        parse_cascade("Y[m,n] = A[m,n]\nZ[m] = Y[m]", {"m": 2, "n": 2})


def test_cycle_is_reported_with_its_path():
    with pytest.raises(CycleError, match=r"Einsum 'B', column 8: cycle in the cascade: A -> B -> A \(reading 'A'\)"):
        parse_cascade("A[m] = B[m] + X[m]\nB[m] = A[m]", {"m": 2})


def test_consumer_before_producer():
    with pytest.raises(EinsumError, match=r"Einsum 'B', column 8: reads 'A' before Einsum 'A' produces it \(expected producers listed before their consumers\)"):
        parse_cascade("B[m] = A[m]\nA[m] = X[m]", {"m": 2})


def test_two_producers_of_one_tensor():
    with pytest.raises(EinsumError, match=r"Einsum 'Z2', column 5: tensor 'Z' is already produced by Einsum 'Z'"):
        parse_cascade("Z[m] = A[m]\nZ2: Z[m] = B[m]", {"m": 2})


def test_duplicate_einsum_names():
    with pytest.raises(EinsumError, match=r"two Einsums are named 'x'"):
        parse_cascade("x: Y[m] = A[m]\nx: Z[m] = B[m]", {"m": 2})


def test_declaration_of_unknown_tensor_and_rank():
    with pytest.raises(UnknownNameError, match=r"tensors: declaration of unknown tensor 'Q' \(expected a tensor of the cascade: A, Z\)"):
        parse_cascade("Z[m] = A[m]", {"m": 2}, tensors={"Q": {}})
    with pytest.raises(UnknownNameError, match=r"tensors.A.dims: unknown rank 'h' in the dims of tensor 'A'"):
        parse_cascade("Z[m] = A[m]", {"m": 2}, tensors={"A": {"dims": ["h"]}})
    with pytest.raises(UnknownNameError, match=r"unknown key\(s\) \['shape'\] in the declaration of 'A'"):
        parse_cascade("Z[m] = A[m]", {"m": 2}, tensors={"A": {"shape": [2]}})


def test_unknown_tensor_and_einsum_queries(att):
    with pytest.raises(UnknownNameError, match=r"unknown tensor 'X' in cascade 'att' \(expected one of Q, K, QK"):
        att.tensor_bytes("X", 8)
    with pytest.raises(UnknownNameError, match=r"unknown Einsum 'X' in cascade 'att'"):
        att.einsum("X")
    with pytest.raises(UnknownNameError, match=r"Einsum 'QK': Einsum does not access tensor 'V' \(expected one of QK, Q, K\)"):
        att.reuse_ranks("QK", "V")


def test_bad_shapes_and_arguments():
    with pytest.raises(ValueError, match=r"size of rank 'm' must be a positive integer, not 0"):
        parse_cascade("Z[m] = A[m]", {"m": 0})
    with pytest.raises(TypeError, match=r"size of rank 'm' must be an integer, not 2.5"):
        parse_cascade("Z[m] = A[m]", {"m": 2.5})
    with pytest.raises(EinsumError, match=r"cascade 'c' has no Einsums"):
        parse_cascade("# nothing\n", {"m": 2}, name="c")
    with pytest.raises(TypeError, match=r"expected Einsum objects, not 'Z\[m\] = A\[m\]'"):
        build_cascade(["Z[m] = A[m]"], {"m": 2})


def test_multi_rank_sum_accumulates_once_per_point():
    from dataflow import library

    c = library.conv2d(N=1, C=3, K=4, H=6, W=6, R=3, S=3, stride=1, padding=0)
    points = 1 * 4 * 4 * 4 * 3 * 3 * 3
    assert c.einsum("O").op_counts(c.shapes) == {"add": points, "mul": points}
    # max over m then max over k is one max per point too; sum after it is one per remaining element.
    e = parse_einsum("S[n] = A[n,m,k,j] :: max(k, m) sum(j)")
    assert e.op_counts({"n": 2, "m": 3, "k": 4, "j": 5}) == {"max": 120, "add": 10}
