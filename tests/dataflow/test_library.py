"""Built-in workloads: registry, parameter checks, and whole networks against published counts."""

from __future__ import annotations

import pytest

from dataflow import Cascade, UnknownNameError, library
from dataflow.library import LibraryParameterError


def test_registry_lists_every_builder():
    assert library.names() == (
        "gemm", "batched_gemm", "conv2d", "depthwise_conv2d", "mlp", "layernorm",
        "attention_3pass", "attention_2pass", "attention_1pass", "transformer_block",
        "resnet18", "resnet50", "bert_base",
    )
    assert library.params("gemm") == {"M": 64, "N": 64, "K": 64}
    assert library.params("attention_1pass")["M0"] == 0  # the largest divisor of M up to 256
    assert library.attention_1pass().shapes["m0"] == 256 and library.attention_1pass(M=96).shapes["m0"] == 96
    assert library.attention_1pass(M=1000).shapes["m0"] == 250
    assert library.describe("gemm") == "Z[m,n] = A[m,k] * B[k,n]."


@pytest.mark.parametrize("name", library.names())
def test_every_workload_builds_with_defaults(name):
    cascade = library.build(name)
    assert isinstance(cascade, Cascade) and cascade.einsums
    assert cascade.macs() > 0 or name == "layernorm"


def test_build_passes_parameters():
    c = library.build("conv2d", N=2, C=3, K=4, H=10, W=10, R=3, S=3, stride=2, padding=1)
    assert c.tensors["O"].shape == (2, 4, 5, 5)
    assert [e.name for e in c.einsums] == ["IP", "O"]
    assert c.tensors["IP"].shape == (2, 3, 12, 12)


def test_registry_errors():
    with pytest.raises(UnknownNameError, match=r"unknown workload 'gem' \(expected one of gemm, batched_gemm"):
        library.build("gem")
    with pytest.raises(UnknownNameError, match=r"unknown parameter 'X' for workload 'gemm' \(expected one of M, N, K\)"):
        library.build("gemm", X=3)


@pytest.mark.parametrize(
    "call, cls, message",
    [
        (lambda: library.gemm(M=0), LibraryParameterError, r"gemm: parameter M must be a positive integer, not 0"),
        (lambda: library.gemm(M=2.5), TypeError, r"gemm: parameter M must be an integer, not 2.5"),
        (lambda: library.conv2d(H=2, R=3), LibraryParameterError, r"conv2d: a 3-wide kernel does not fit an input of 2 with padding 0"),
        (lambda: library.conv2d(padding=-1), LibraryParameterError, r"conv2d: padding must be a non-negative integer, not -1"),
        (lambda: library.attention(4), LibraryParameterError, r"attention: variant must be 3, 2 or 1 \(passes\), not 4"),
        (lambda: library.attention_1pass(M=10, M0=4), LibraryParameterError, r"attention: M0 must divide the sequence length 10, not 4"),
        (lambda: library.transformer_block(D=10, H=3), LibraryParameterError, r"transformer_block: heads H must divide the hidden size D=10, not 3"),
        (lambda: library.mlp(sizes=(4,)), LibraryParameterError, r"mlp: sizes must list at least two feature sizes, not \(4,\)"),
        (lambda: library.layernorm(fused_stats="yes"), TypeError, r"layernorm: fused_stats must be true or false, not 'yes'"),
        (lambda: library.resnet18(image=16), LibraryParameterError, r"resnet18: a 32-wide kernel does not fit an input of 16"),
    ],
)
def test_parameter_errors(call, cls, message):
    with pytest.raises(cls, match=message):
        call()


def _weights(cascade):
    return sum(cascade.tensor_elements(name) for name in cascade.weights)


def test_resnet18_matches_published_counts():
    c = library.resnet18()
    # torchvision: 1.81 GFLOPS (multiply-accumulates) and 11,689,512 parameters,
    # of which 2 per batch-norm channel (4,800 channels); folded here into 1 bias each.
    assert c.macs() == 1_814_073_344
    assert _weights(c) == 11_689_512 - 4_800
    assert c.inputs[0] == "IMG" and c.outputs == ("LOGITS",)
    assert set(c.inputs) == {"IMG", *c.weights}
    assert sum(1 for e in c.einsums if e.macs(c.shapes)) == 21  # 20 convolutions + classifier


def test_resnet50_matches_published_counts():
    c = library.resnet50()
    # torchvision: 4.09 GFLOPS and 25,557,032 parameters (26,560 batch-norm channels).
    assert c.macs() == 4_089_184_256
    assert _weights(c) == 25_557_032 - 26_560
    assert sum(1 for e in c.einsums if e.macs(c.shapes)) == 54  # 53 convolutions + classifier


@pytest.mark.parametrize("net, table", [(library.resnet18, library.resnet18_layers), (library.resnet50, library.resnet50_layers)])
def test_resnet_layer_tables_add_up_to_the_network(net, table):
    entries = table()
    cascade = net()
    assert sum(e.repeat * e.cascade.macs() for e in entries) == cascade.macs()
    assert len({e.name for e in entries}) == len(entries)
    assert entries[-1].name == "fc" and entries[-1].repeat == 1


def test_resnet18_layer_table_entries():
    entries = {e.name: e for e in library.resnet18_layers()}
    assert len(entries) == 12
    assert entries["conv7x7_c3_k64_h224_s2"].repeat == 1
    assert entries["conv3x3_c64_k64_h56_s1"].repeat == 4
    assert entries["conv3x3_c128_k128_h28_s1"].repeat == 3
    assert entries["conv1x1_c64_k128_h56_s2"].repeat == 1


def test_bert_base_matches_hand_count():
    P, D, FF, layers = 128, 768, 3072, 12
    c = library.bert_base(seq_len=P)
    assert c.macs() == layers * (P * (4 * D * D + 2 * D * FF) + 2 * P * P * D)
    assert _weights(c) == layers * (4 * D * D + 4 * D + 2 * D * FF + FF + D + 4 * D)
    assert c.inputs[0] == "X0" and c.outputs == ("X12",)


def test_bert_base_layer_table_adds_up_to_the_network():
    c = library.bert_base(seq_len=64)
    entries = library.bert_base_layers(seq_len=64)
    assert {e.name: e.repeat for e in entries} == {
        "qkv_projection": 36, "attention_scores": 12, "softmax": 12, "attention_values": 12,
        "output_projection": 12, "layernorm": 24, "ffn1": 12, "ffn2": 12,
    }
    total: dict[str, int] = {}
    for entry in entries:
        for op, count in entry.cascade.op_counts().items():
            total[op] = total.get(op, 0) + entry.repeat * count
    assert total == c.op_counts()


def test_bert_base_one_pass_variant_has_the_same_macs():
    assert library.bert_base(seq_len=64, layers=2, variant=1).macs() == library.bert_base(seq_len=64, layers=2).macs()


def test_attention_variants_share_the_matrix_products():
    counts = [library.attention(v, M=64, P=32, E=8, F=8, M0=16).macs() for v in (3, 2, 1)]
    assert counts == [2 * 64 * 32 * 8] * 3
