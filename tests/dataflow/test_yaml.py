"""Cascade files: the shipped examples, the YAML round trip, and malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

import dataflow
from dataflow import (
    CascadeFileError,
    EinsumError,
    EinsumSyntaxError,
    UnknownNameError,
    ShapeError,
    dump_cascade,
    load_cascade,
    loads_cascade,
    library,
)

EXAMPLES = sorted((Path(dataflow.__file__).parent / "examples").glob("*.yaml"))


def test_examples_are_shipped():
    assert {p.name for p in EXAMPLES} >= {"gemm.yaml", "attention_1pass.yaml", "conv2d_stride2_pad1.yaml", "layernorm.yaml"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads_and_round_trips(path):
    cascade = load_cascade(path)
    assert loads_cascade(dump_cascade(cascade)) == cascade


def test_gemm_example_contents():
    c = load_cascade(Path(dataflow.__file__).parent / "examples" / "gemm.yaml")
    assert c.name == "gemm" and dict(c.shapes) == {"m": 32, "n": 24, "k": 48}
    assert c.weights == ("B",) and c.tensor_bytes("B") == 48 * 24


@pytest.mark.parametrize(
    "name, params",
    [
        ("gemm", {"M": 3, "N": 4, "K": 5}),
        ("conv2d", {"H": 6, "W": 6, "stride": 2, "padding": 1}),
        ("attention_1pass", {"M": 8, "P": 2, "M0": 4}),
        ("transformer_block", {"P": 8, "D": 12, "H": 3, "FF": 10, "variant": 1, "M0": 4}),
        ("resnet18", {"image": 32}),
    ],
)
def test_library_cascades_round_trip(name, params):
    cascade = library.build(name, **params)
    text = dump_cascade(cascade)
    again = loads_cascade(text)
    assert again == cascade
    assert dump_cascade(again) == text


def test_unquoted_reduction_and_label_lines_are_read_back():
    c = loads_cascade("name: t\nshapes: {m: 3}\neinsums:\n  - T[] = A[m] :: max(m)\n  - twice: U[] = T[] * 2\n")
    assert c.einsums[0].reduce_op == {"m": "max"}
    assert c.einsums[1].name == "twice"


def test_structure_problems_are_all_listed():
    text = "name: 3\nshape: {}\nshapes: {m: 0, 2x: 1}\neinsums: [5]\ninputs: A\ntensors: {A: {bits: 0, init: abc, dims: m, kind: x}}\n"
    with pytest.raises(CascadeFileError) as info:
        loads_cascade(text, source="bad.yaml")
    message = str(info.value)
    for piece in [
        "bad.yaml: 'shape': unknown key (expected one of name, shapes, inputs, tensors, einsums)",
        "name: must be a non-empty string, not 3",
        "shapes.m: size must be a positive integer, not 0",
        "shapes: rank name must be an identifier, not '2x'",
        "einsums[0]: must be a string such as 'Z[m,n] = A[m,k] * B[k,n]', not 5",
        "tensors.A.bits: must be a positive integer, not 0",
        "inputs: must be a list of tensor names, not 'A'",
        "tensors.A.init: must be a number, inf or -inf, not 'abc'",
        "tensors.A.dims: must be a list of rank names, not 'm'",
        "tensors.A.kind: unknown key (expected one of dims, init, bits, weight)",
    ]:
        assert piece in message


def test_missing_keys_and_non_mapping():
    with pytest.raises(CascadeFileError, match=r"x.yaml: 'shapes': missing; 'einsums': missing"):
        loads_cascade("name: a\n", source="x.yaml")
    with pytest.raises(CascadeFileError, match=r"the file must hold a mapping with keys name, shapes, inputs, tensors, einsums, not list"):
        loads_cascade("- 1\n")


def test_invalid_yaml_names_the_line():
    with pytest.raises(CascadeFileError, match=r"f.yaml, line 3, column 1: not valid YAML"):
        loads_cascade("name: a\nshapes: {m: [\n", source="f.yaml")


def test_einsum_errors_name_the_file_and_item():
    text = "name: a\nshapes: {m: 2}\neinsums:\n  - Z[m] = A[m]\n  - 'Y[m] = Z[m] ^ 2'\n"
    with pytest.raises(EinsumSyntaxError, match=r"a.yaml: einsums\[1\], Einsum 'Y', column 13: unexpected character '\^'"):
        loads_cascade(text, source="a.yaml")
    text = "name: a\nshapes: {m: 2, h: 3}\ntensors: {A: {dims: [h]}}\neinsums:\n  - Z[m] = A[m]\n"
    with pytest.raises(ShapeError, match=r"a.yaml, Einsum 'Z', column 10: rank 'm' \(size 2\) indexes dimension 0 of tensor 'A'"):
        loads_cascade(text, source="a.yaml")


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        load_cascade("/nonexistent/cascade.yaml")


def test_dump_needs_a_cascade():
    with pytest.raises(TypeError, match="dump_cascade needs a Cascade, not 'x'"):
        dump_cascade("x")


def test_declared_inputs_catch_unknown_tensors():
    text = "name: a\nshapes: {m: 2}\ninputs: [A]\neinsums:\n  - Z[m] = A[m] + AA[m]\n"
    with pytest.raises(UnknownNameError, match=r"a.yaml, Einsum 'Z', column 15: unknown tensor 'AA': no Einsum produces it and it is not an input \(expected an input \(A\) or a produced tensor\)"):
        loads_cascade(text, source="a.yaml")
    text = "name: a\nshapes: {m: 2}\ninputs: [A, B]\neinsums:\n  - Z[m] = A[m]\n"
    with pytest.raises(UnknownNameError, match=r"a.yaml: inputs: input 'B' is read by no Einsum"):
        loads_cascade(text, source="a.yaml")
    text = "name: a\nshapes: {m: 2}\ninputs: [A, Z]\neinsums:\n  - Z[m] = A[m]\n  - Y[m] = Z[m]\n"
    with pytest.raises(EinsumError, match=r"a.yaml: inputs: input 'Z' is produced by Einsum 'Z'"):
        loads_cascade(text, source="a.yaml")


def test_dump_lists_the_inputs():
    assert "inputs: [A, B]" in dump_cascade(library.gemm(M=2, N=2, K=2))
