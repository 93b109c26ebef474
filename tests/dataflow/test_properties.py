"""Property tests: malformed text of any kind yields only EinsumError subclasses; valid text round-trips."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dataflow import EinsumError, loads_cascade, parse_cascade, parse_einsum

SHAPES = {"m": 3, "n": 2, "k": 4, "p": 2, "r": 2, "m1": 2}
VALID = [
    "Z[m,n] = A[m,k] * B[k,n]",
    "GM[p] = QK[m,p] :: max(m)",
    "SN[m,p] = exp(QK[m,p] - GM[p])",
    "O[n,k,p] = I[n,p*2+r] * W[k,r]",
    "RM[m1+1,p] = max(RM[m1,p], LM[m1,p])",
    "Y[k] = relu(X[k] / sqrt(V[k] + 1e-5)) + -inf",
    "s: S[] = A[m,k] :: sum(k) min(m)",
]
TOKENS = [
    "Z", "A", "B", "RM", "[", "]", "(", ")", ",", "=", "+", "-", "*", "/", "::", ":", "m", "n", "k", "p", "m1",
    "0", "1", "2", "2.5", "1e-3", "inf", "exp", "max", "min", "sum", "relu", "sqrt", "recip", "foo", "#", "$", "  ",
]
ALPHABET = "ZABmnkpr1[](),=+-*/:.e_# $%^x"


def _only_einsum_errors(text: str) -> None:
    try:
        einsum = parse_einsum(text)
    except EinsumError as error:
        assert error.einsum is not None
        assert str(error)
        return
    assert parse_einsum(str(einsum)) == einsum
    try:
        parse_cascade([text], SHAPES)
    except EinsumError:
        pass


@given(st.text(alphabet=ALPHABET, max_size=50))
def test_random_characters_raise_only_einsum_errors(text):
    _only_einsum_errors(text)


@given(st.lists(st.sampled_from(TOKENS), max_size=20))
def test_random_token_sequences_raise_only_einsum_errors(tokens):
    _only_einsum_errors(" ".join(tokens))


@given(st.sampled_from(VALID), st.data())
def test_mutated_valid_lines_raise_only_einsum_errors(line, data):
    chars = list(line)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(chars)))
        action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        if action == "delete" and position < len(chars):
            del chars[position]
        elif action == "insert":
            chars.insert(position, data.draw(st.sampled_from(ALPHABET)))
        elif position < len(chars):
            chars[position] = data.draw(st.sampled_from(ALPHABET))
    _only_einsum_errors("".join(chars))


@given(st.lists(st.sampled_from(VALID), min_size=1, max_size=4))
def test_random_cascades_of_valid_lines_raise_only_einsum_errors(lines):
    try:
        cascade = parse_cascade(lines, SHAPES)
    except EinsumError:
        return
    assert [str(e) for e in cascade.einsums] == [str(parse_einsum(line)) for line in lines]


@given(st.text(alphabet="name:shapes{}[]-,einsums tensors dims init bits weight\n m k 0 1 2 Z[m]=A[m] :: max(k)'\"", max_size=120))
def test_random_cascade_files_raise_only_einsum_errors(text):
    try:
        loads_cascade(text)
    except EinsumError:
        pass


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 5) | st.floats(allow_nan=True) | st.sampled_from(["m", "k", "-inf", "Z[m] = A[m]", "x y"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["m", "k", "A", "Z", "dims", "init", "bits", "weight", "x"]), inner, max_size=3),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(["name", "shapes", "tensors", "einsums", "other"]),
        _VALUES | st.just(["Z[m] = A[m,k] :: max(k)"]) | st.just({"m": 2, "k": 3}) | st.just({"A": {"dims": ["m", "k"], "init": "-inf"}}),
        max_size=5,
    )
)
def test_structured_random_cascade_files_raise_only_einsum_errors(data):
    import yaml

    try:
        loads_cascade(yaml.safe_dump(data))
    except EinsumError:
        pass


def _leaf():
    from dataflow import AffineIndex, Const, TensorAccess, Term

    access = st.builds(
        lambda tensor, ranks: TensorAccess(tensor, tuple(AffineIndex((Term(1, r),)) for r in ranks)),
        st.sampled_from(["A", "B", "QK"]),
        st.lists(st.sampled_from(["m", "k"]), min_size=1, max_size=2),
    )
    const = st.builds(Const, st.floats(min_value=-1e6, max_value=1e6, allow_nan=False) | st.sampled_from([float("inf"), float("-inf")]))
    return access | const


def _tree(children):
    from dataflow import Call, Const
    from dataflow._ir import MAP_OPS

    def call(op, args):
        return Call(op, tuple(args))

    binary = st.builds(call, st.sampled_from([op for op, n in MAP_OPS.items() if n == 2]), st.lists(children, min_size=2, max_size=2))
    unary = st.builds(
        call,
        st.sampled_from([op for op, n in MAP_OPS.items() if n == 1]),
        st.lists(children.filter(lambda c: not isinstance(c, Const)), min_size=1, max_size=1),
    )
    return binary | unary


@given(st.recursive(_leaf(), _tree, max_leaves=12))
def test_any_expression_tree_prints_and_parses_back(expr):
    from dataflow import AffineIndex, Einsum, TensorAccess, Term

    einsum = Einsum("Z", TensorAccess("Z", (AffineIndex((Term(1, "m"),)),)), expr)
    assert parse_einsum(str(einsum)) == einsum
