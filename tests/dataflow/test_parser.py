"""The text notation: what parses, how it prints back, and every malformed line's message."""

from __future__ import annotations

import math

import pytest

from dataflow import (
    AffineIndex,
    Call,
    Const,
    CycleError,
    EinsumError,
    EinsumSyntaxError,
    Reduction,
    TensorAccess,
    Term,
    UnknownNameError,
    parse_einsum,
)


def test_gemm_parses_to_access_tree_with_implicit_sum():
    e = parse_einsum("Z[m,n] = A[m,k] * B[k,n]")
    assert e.name == "Z"
    assert e.output == TensorAccess("Z", (AffineIndex((Term(1, "m"),)), AffineIndex((Term(1, "n"),))))
    assert isinstance(e.expr, Call) and e.expr.op == "mul"
    assert [a.tensor for a in e.inputs] == ["A", "B"]
    assert e.ranks == ("m", "n", "k")
    assert e.reduced_ranks == ("k",)
    assert e.reduce_op == {"k": "sum"}
    assert e.inputs[0].ranks == frozenset({"m", "k"})


def test_explicit_reductions_keep_their_order_innermost_first():
    e = parse_einsum("S[] = A[m,k] :: sum(k) max(m)")
    assert e.reductions == (Reduction("k", "sum"), Reduction("m", "max"))
    assert e.ranks == ("k", "m")
    assert str(e) == "S[] = A[m,k] :: sum(k) max(m)"


def test_affine_conv_index_merges_terms_and_constants():
    e = parse_einsum("O[n,k,p,q] = I[n,c,p*2+r-1+1,2*q+s] * W[k,c,r,s]")
    index = e.inputs[0].indices[2]
    assert index.terms == (Term(2, "p"), Term(1, "r")) and index.constant == 0
    assert index.ranks == ("p", "r")
    assert e.inputs[0].indices[3].terms == (Term(2, "q"), Term(1, "s"))
    assert str(e) == "O[n,k,p,q] = I[n,c,p*2+r,q*2+s] * W[k,c,r,s]"
    assert index.bounds({"p": 4, "r": 3}) == (0, 8)


def test_map_operators_and_constants():
    e = parse_einsum("Y[d,p] = relu(max(X[d,p], -inf) - 2.5e-1) / sqrt(recip(exp(X[d,p]))) + tanh(gelu(min(X[d,p], 3)))")
    ops = [n.op for n in _calls(e.expr)]
    assert sorted(set(ops)) == ["add", "div", "exp", "gelu", "max", "min", "recip", "relu", "sqrt", "sub", "tanh"]
    assert Const(-math.inf) in _consts(e.expr) and Const(0.25) in _consts(e.expr)


def test_negation_of_constant_is_folded_but_of_tensor_is_an_operator():
    assert parse_einsum("Y[m] = -2 * X[m]").expr.args[0] == Const(-2.0)
    assert parse_einsum("Y[m] = -X[m]").expr.op == "neg"


def test_label_names_the_einsum_and_name_argument_overrides():
    assert parse_einsum("scores: QK[m,p] = Q[e,p] * K[e,m]").name == "scores"
    assert parse_einsum("QK[m,p] = Q[e,p] * K[e,m]", name="qk").name == "qk"
    assert str(parse_einsum("scores: QK[m,p] = Q[e,p] * K[e,m]")) == "scores: QK[m,p] = Q[e,p] * K[e,m]"


def test_recurrence_is_recognised():
    e = parse_einsum("RM[m1+1,p] = max(RM[m1,p], LM[m1,p])")
    assert e.recurrent_rank == "m1"
    assert e.reduced_ranks == ()
    assert parse_einsum("Z[m] = A[m]").recurrent_rank is None


def test_comment_and_whitespace_are_ignored():
    assert parse_einsum("  Z[m]=A[m]   # copy") == parse_einsum("Z[m] = A[m]")


@pytest.mark.parametrize(
    "text",
    [
        "Z[m,n] = A[m,k] * B[k,n]",
        "GM[p] = QK[m,p] :: max(m)",
        "Y[d,p] = (X[d,p] - MU[p]) * RSTD[p] * G[d] + B[d]",
        "Y[d,p] = X[d,p] - (MU[p] - C[p])",
        "Y[d,p] = X[d,p] / (MU[p] * C[p])",
        "Y[m] = -(A[m] + B[m])",
        "Y[m] = A[m] * (-2.0)",
        "Y[m] = A[m] - -2.0",
        "O[n,k,p,q] = I[n,c,p*2+r-1,q*2+s-1] * W[k,c,r,s]",
        "RNV[f,m1+1,p] = SLNV[f,m1,p] + RNV[f,m1,p] * PRM[m1,p]",
        "AV[f,p] = RNV[f,4,p] / RD[4,p]",
        "X[0,p] = A[p] * 1e-12",
        "S[] = A[m,k] :: sum(k) max(m)",
    ],
)
def test_printing_round_trips(text):
    e = parse_einsum(text)
    assert parse_einsum(str(e)) == e


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "text, cls, column, message",
    [
        ("Z[m,n] = A[m,k] ** B[k,n]", EinsumSyntaxError, 18, r"Einsum 'Z', column 18: unexpected '\*' \(expected a tensor access"),
        ("Z[m,n] = A[m,k] % B[k,n]", EinsumSyntaxError, 17, r"Einsum 'Z', column 17: unexpected character '%' \(expected a name, a number"),
        ("Z[m,n] = foo(A[m,k])", EinsumSyntaxError, 10, r"Einsum 'Z', column 10: unknown operator 'foo' \(expected one of exp, max, min"),
        ("Z[m,n] = A[m,k] :: prod(k)", EinsumSyntaxError, 20, r"column 20: unknown reduction operator 'prod' \(expected sum, max or min\)"),
        ("Z[m, = A[m]", EinsumSyntaxError, 6, r"Einsum 'Z', column 6: unexpected '=' \(expected a rank, an integer, or rank\*integer\)"),
        ("Z[m] = A[m*n]", EinsumSyntaxError, 12, r"column 12: unexpected 'n' \(expected an integer coefficient after 'rank\*'"),
        ("Z[m] = A[m] B[m]", EinsumSyntaxError, 13, r"column 13: unexpected 'B' \(expected an operator, '::' or the end of the line\)"),
        ("Z[m] A[m]", EinsumSyntaxError, 6, r"column 6: unexpected 'A' \(expected '=' after the output tensor\)"),
        ("Z[m] = ", EinsumSyntaxError, 7, r"column 7: unexpected end of line \(expected a tensor access"),
        ("Z[m] = A", EinsumSyntaxError, 8, r"column 8: bare name 'A' \(expected a tensor access such as A\[...\]"),
        ("Z[m] = exp[m]", EinsumSyntaxError, 8, r"column 8: 'exp' is an operator name, not a tensor \(expected a tensor name\)"),
        ("Z[m] = (A[m]", EinsumSyntaxError, 13, r"column 13: unexpected end of line \(expected '\)' closing"),
        ("Z[m] = 1x", EinsumSyntaxError, 8, r"column 8: malformed number '1x'"),
        ("= A[m]", EinsumSyntaxError, 1, r"column 1: unexpected '=' \(expected an output tensor such as Z\[m,n\]\)"),
        ("   ", EinsumSyntaxError, 1, r"empty Einsum"),
        ("Z[m] = A[m] :: ", EinsumSyntaxError, 15, r"unexpected end of line \(expected a reduction such as sum\(k\)"),
        ("Z[m] = exp(A[m], B[m])", EinsumError, 8, r"column 8: operator 'exp' takes 1 argument\(s\), got 2"),
        ("Z[m] = A[m] :: max(m)", EinsumError, 20, r"column 20: cannot reduce over rank 'm': it indexes the output 'Z\[m\]'"),
        ("Z[m] = A[m,k] :: max(x)", UnknownNameError, 22, r"column 22: reduction over rank 'x', which the right-hand side does not use \(expected one of k\)"),
        ("Z[m] = A[m,k] :: max(k) sum(k)", EinsumError, 29, r"rank 'k' is reduced twice"),
        ("Z[m+n] = A[m,n]", EinsumError, 3, r"output index 'm\+n' of 'Z' is not of the form c\*rank\+k"),
        ("Z[m,m] = A[m]", EinsumError, 5, r"rank 'm' appears twice in the output 'Z\[m,m\]'"),
        ("Z[m] = Z[m] + A[m]", CycleError, 8, r"reads its own output 'Z\[m\]' at the element it writes"),
        ("Z[m+1] = Z[m+2] + A[m]", CycleError, 10, r"reads its own output 'Z\[m\+2\]' but not at an earlier coordinate"),
    ],
)
def test_malformed_line_names_einsum_column_and_expectation(text, cls, column, message):
    with pytest.raises(cls, match=message) as info:
        parse_einsum(text)
    assert info.value.column == column
    assert info.value.einsum is not None
    if info.value.expected is None:
        assert "empty" in info.value.problem


def test_error_message_shows_a_caret_under_the_column():
    with pytest.raises(EinsumSyntaxError) as info:
        parse_einsum("Z[m,n] = A[m,k] % B[k,n]")
    lines = str(info.value).splitlines()
    assert lines[1].strip() == "Z[m,n] = A[m,k] % B[k,n]"
    assert lines[2].index("^") - lines[1].index("Z") == 16


def test_deep_nesting_is_an_error_not_a_recursion_crash():
    with pytest.raises(EinsumSyntaxError, match="expression nested too deeply"):
        parse_einsum("Z[m] = " + "(" * 500 + "A[m]" + ")" * 500)
    with pytest.raises(EinsumSyntaxError, match="expression nested too deeply"):
        parse_einsum("Z[m] = " + "-" * 500 + "A[m]")


def test_line_number_names_an_einsum_whose_name_cannot_be_read():
    with pytest.raises(EinsumSyntaxError, match=r"Einsum 'line 7', column 1: unexpected '\['"):
        parse_einsum("[m] = A[m]", line=7)


def test_non_string_input_is_a_type_error():
    with pytest.raises(TypeError, match="Einsum text must be a string, not 3"):
        parse_einsum(3)


def _calls(expr):
    if isinstance(expr, Call):
        yield expr
        for arg in expr.args:
            yield from _calls(arg)


def _consts(expr):
    if isinstance(expr, Const):
        yield expr
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from _consts(arg)


def test_programmatic_construction_equals_parsed():
    from dataflow import Einsum

    m, k, n = (AffineIndex((Term(1, r),)) for r in "mkn")
    built = Einsum("Z", TensorAccess("Z", (m, n)), Call("mul", (TensorAccess("A", (m, k)), TensorAccess("B", (k, n)))))
    assert built == parse_einsum("Z[m,n] = A[m,k] * B[k,n]")
    assert AffineIndex(((2, "p"), (1, "r"))).terms == (Term(2, "p"), Term(1, "r"))


def test_programmatic_construction_checks_types():
    from dataflow import Einsum

    with pytest.raises(TypeError, match=r"Einsum 'Z': output must be a TensorAccess, not 'Z\[m\]'"):
        Einsum("Z", "Z[m]", Const(1.0))
    with pytest.raises(TypeError, match=r"indices of tensor 'Z' must be AffineIndex objects, not 'm'"):
        TensorAccess("Z", ("m",))
    with pytest.raises(TypeError, match=r"index terms must be \(integer coefficient, rank name\) pairs, not \(1.5, 'm'\)"):
        AffineIndex(((1.5, "m"),))
    with pytest.raises(ValueError, match=r"tensor name must be an identifier, not '2x'"):
        TensorAccess("2x")
    with pytest.raises(EinsumError, match=r"Einsum 'Z': unknown operator 'pow' \(expected one of add, sub"):
        Einsum("Z", TensorAccess("Z"), Call("pow", (Const(2.0), Const(3.0))))
    with pytest.raises(TypeError, match=r"constant must be a number \(inf allowed\), not 'a'"):
        Const("a")
