"""FuseMax pass analysis: the general rule on attention and on other cascades."""

from __future__ import annotations

from pathlib import Path

import pytest

import dataflow
from dataflow import PassBoundary, UnknownNameError, analyze_passes, count_passes, library, parse_cascade

EXAMPLES = Path(dataflow.__file__).parent / "examples"


@pytest.mark.parametrize("variant, passes", [(3, 3), (2, 2), (1, 1)])
def test_attention_variants_need_3_2_1_passes_over_the_sequence(variant, passes):
    c = library.attention(variant, M=64, P=16, E=8, F=8, M0=16)
    assert count_passes(c, "m") == passes


def test_three_pass_boundaries_name_the_reductions():
    analysis = analyze_passes(library.attention_3pass(M=8, P=4, E=2, F=2), "m")
    assert [p.einsums for p in analysis.passes] == [("QK", "GM"), ("SN", "SD"), ("A", "AV")]
    assert analysis.passes[1].boundaries == (PassBoundary("SN", "GM", "GM"),)
    assert analysis.passes[2].boundaries == (PassBoundary("A", "SD", "SD"),)
    assert analysis.between == ()
    assert analysis.pass_of("A") == 3


def test_two_pass_defers_the_division_outside_the_passes():
    analysis = analyze_passes(library.attention_2pass(M=8, P=4, E=2, F=2), "m")
    assert analysis.count == 2
    assert analysis.between == ("AV",)
    assert analysis.pass_of("AV") == 0


def test_one_pass_fibre_is_made_of_the_chunk_ranks():
    analysis = analyze_passes(library.attention_1pass(M=16, P=4, E=2, F=2, M0=4), "m")
    assert set(analysis.fibre_ranks) == {"m", "m1", "m0"}
    assert analysis.count == 1
    assert analysis.between == ("AV",)


def test_one_pass_within_a_chunk_takes_two_passes():
    # Over m0 alone the chunk is visited twice: local max, then exp against the running max.
    c = library.attention_1pass(M=16, P=4, E=2, F=2, M0=4)
    assert count_passes(c, "m0") == 2
    assert count_passes(c, "m1") == 1


def test_yaml_example_of_one_pass_attention():
    assert count_passes(dataflow.load_cascade(EXAMPLES / "attention_1pass.yaml"), "m") == 1


def test_gemm_is_one_pass_over_every_rank():
    c = library.gemm(M=4, N=4, K=4)
    assert [count_passes(c, r) for r in "mnk"] == [1, 1, 1]


def test_layernorm_centered_needs_three_passes_fused_stats_two():
    assert count_passes(library.layernorm(P=4, D=8), "d") == 3
    assert count_passes(library.layernorm(P=4, D=8, fused_stats=True), "d") == 2
    assert count_passes(library.layernorm(P=4, D=8), "p") == 1


def test_element_wise_and_scalar_reductions():
    c = parse_cascade("Z[m] = A[m] * 2\nY[n] = B[n]", {"m": 2, "n": 3})
    assert count_passes(c, "n") == 1
    analysis = analyze_passes(parse_cascade("S[] = A[m]\nT[] = S[] * 2", {"m": 4}), "m")
    assert analysis.count == 1 and analysis.between == ("T",)


def test_chained_reductions_through_an_einsum_outside_the_passes():
    # S = sum(A); T = f(S) outside the fibre; B = A / T needs a second pass.
    c = parse_cascade("S[] = A[m]\nT[] = recip(S[])\nB[m] = A[m] * T[]", {"m": 4})
    analysis = analyze_passes(c, "m")
    assert analysis.count == 2
    assert analysis.passes[1].boundaries == (PassBoundary("B", "T", "S"),)


def test_reading_a_stream_at_a_fixed_coordinate_needs_the_whole_stream():
    c = parse_cascade("C[m+1] = C[m] + A[m]\nB[m] = A[m] * C[4]", {"m": 4})
    assert count_passes(c, "m") == 2


def test_transformer_block_passes_over_sequence_and_hidden():
    assert count_passes(library.transformer_block(P=8, D=12, H=3, FF=10, variant=3), "m") == 3
    assert count_passes(library.transformer_block(P=8, D=12, H=3, FF=10, variant=1, M0=4), "m") == 1


def test_unknown_rank():
    with pytest.raises(UnknownNameError, match=r"unknown rank 'x' in cascade 'gemm' \(expected one of m, n, k\)"):
        count_passes(library.gemm(M=2, N=2, K=2), "x")
    with pytest.raises(UnknownNameError, match=r"unknown Einsum 'Q' in the pass analysis over 'm'"):
        analyze_passes(library.gemm(M=2, N=2, K=2), "m").pass_of("Q")
    with pytest.raises(TypeError, match=r"analyze_passes needs a Cascade, not 3"):
        analyze_passes(3, "m")


CHUNKED_TWO_PASS = """
BQK[m1,m0,p] = Q[e,p] * K[e,m1*4+m0]
LM[m1,p] = BQK[m1,m0,p] :: max(m0)
GM[p] = LM[m1,p] :: max(m1)
SLN[m1,m0,p] = exp(BQK[m1,m0,p] - LM[m1,p])
SLD[m1,p] = SLN[m1,m0,p]
SLNV[f,m1,p] = SLN[m1,m0,p] * V[f,m1*4+m0]
PRM[m1,p] = exp(LM[m1,p] - GM[p])
SPD[m1,p] = SLD[m1,p] * PRM[m1,p]
SD[p] = SPD[m1,p]
SPNV[f,m1,p] = SLNV[f,m1,p] * PRM[m1,p]
SNV[f,p] = SPNV[f,m1,p]
AV[f,p] = SNV[f,p] / SD[p]
"""


def test_chunked_two_pass_attention_with_local_maxima_is_two_passes_and_correct():
    import numpy as np

    from dataflow import execute

    c = parse_cascade(CHUNKED_TWO_PASS, {"e": 3, "f": 2, "m": 12, "m1": 3, "m0": 4, "p": 5},
                      tensors={"K": {"dims": ["e", "m"]}, "V": {"dims": ["f", "m"]}})
    analysis = analyze_passes(c, "m")
    assert analysis.count == 2
    assert analysis.passes[1].einsums == ("PRM", "SPD", "SD", "SPNV", "SNV")
    assert analysis.passes[1].boundaries == (PassBoundary("PRM", "GM", "GM"),)
    out = execute(c, seed=3)
    scores = out["Q"].T @ out["K"]
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    reference = (weights / weights.sum(axis=1, keepdims=True)) @ out["V"].T
    assert np.allclose(out["AV"], reference.T, rtol=1e-9)
