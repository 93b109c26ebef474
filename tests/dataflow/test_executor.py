"""The numpy executor against independent references (numpy.einsum, plain softmax attention, ...)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from dataflow import ShapeError, UnknownNameError, execute, library, parse_cascade

RTOL = 1e-6


def rel_err(actual, reference) -> float:
    """Largest absolute difference relative to the largest reference magnitude."""
    return float(np.max(np.abs(actual - reference)) / np.max(np.abs(reference)))


def test_gemm_matches_numpy_einsum():
    c = library.gemm(M=7, N=5, K=9)
    out = execute(c, seed=3)
    assert rel_err(out["Z"], np.einsum("mk,kn->mn", out["A"], out["B"])) < RTOL


def test_batched_gemm_matches_numpy_einsum():
    c = library.batched_gemm(B=3, M=4, N=6, K=5)
    out = execute(c, seed=4)
    assert rel_err(out["Z"], np.einsum("bmk,bkn->bmn", out["A"], out["B"])) < RTOL


def _conv_reference(x, w, stride, padding, depthwise=False):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    R, S = w.shape[-2:]
    windows = sliding_window_view(xp, (R, S), axis=(2, 3))[:, :, ::stride, ::stride]
    if depthwise:
        return np.einsum("ncpqrs,crs->ncpq", windows, w)
    return np.einsum("ncpqrs,kcrs->nkpq", windows, w)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), (2, 0), (1, 2)])
def test_conv2d_matches_numpy_reference(stride, padding):
    c = library.conv2d(N=2, C=3, K=4, H=9, W=8, R=3, S=3, stride=stride, padding=padding)
    out = execute(c, seed=5)
    reference = _conv_reference(out["I"], out["W"], stride, padding)
    assert out["O"].shape == reference.shape
    assert rel_err(out["O"], reference) < RTOL


def test_depthwise_conv2d_matches_numpy_reference():
    c = library.depthwise_conv2d(N=1, C=3, H=7, W=7, R=3, S=3, stride=2, padding=1)
    out = execute(c, seed=6)
    assert rel_err(out["O"], _conv_reference(out["I"], out["W"], 2, 1, depthwise=True)) < RTOL


def test_padding_holds_the_init_value_and_the_interior_the_input():
    c = library.conv2d(N=1, C=2, K=2, H=4, W=4, R=3, S=3, stride=1, padding=1)
    out = execute(c)
    assert np.all(out["IP"][:, :, 0, :] == 0) and np.all(out["IP"][:, :, :, -1] == 0)
    assert np.array_equal(out["IP"][:, :, 1:-1, 1:-1], out["I"])


def _softmax_attention(q, k, v):
    """Plain softmax attention: q[e,p], k[e,m], v[f,m] -> [f,p]."""
    scores = q.T @ k
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return (weights @ v.T).T


@pytest.mark.parametrize("name", ["attention_3pass", "attention_2pass", "attention_1pass"])
def test_attention_variants_match_plain_softmax(name):
    params = {"M": 24, "P": 5, "E": 4, "F": 3}
    if name == "attention_1pass":
        params["M0"] = 6
    out = execute(library.build(name, **params), seed=7)
    assert rel_err(out["AV"], _softmax_attention(out["Q"], out["K"], out["V"])) < RTOL


def test_attention_1pass_handles_large_scores_with_running_max():
    c = library.attention_1pass(M=16, P=3, E=2, F=2, M0=4)
    rng = np.random.default_rng(11)
    q = rng.standard_normal((2, 3)) * 30.0
    k = rng.standard_normal((2, 16)) * 30.0
    out = execute(c, inputs={"Q": q, "K": k})
    assert np.all(np.isfinite(out["AV"]))
    assert rel_err(out["AV"], _softmax_attention(q, k, out["V"])) < RTOL


def test_multi_head_attention_matches_reference_per_head():
    out = execute(library.attention(1, M=8, P=4, E=3, F=2, M0=2, H=2), seed=8)
    for h in range(2):
        reference = _softmax_attention(out["Q"][h], out["K"][h], out["V"][h])
        assert rel_err(out["AV"][h], reference) < RTOL


@pytest.mark.parametrize("fused", [False, True])
def test_layernorm_matches_numpy(fused):
    out = execute(library.layernorm(P=5, D=12, fused_stats=fused), seed=9)
    x = out["X"]
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    reference = (x - mean) / np.sqrt(var + 1e-12) * out["G"][:, None] + out["B"][:, None]
    assert rel_err(out["Y"], reference) < RTOL


def test_mlp_matches_numpy():
    out = execute(library.mlp(N=3, sizes=(5, 7, 4)), seed=10)
    hidden = np.maximum(out["X"] @ out["W1"] + out["B1"], 0.0)
    assert rel_err(out["Y"], hidden @ out["W2"] + out["B2"]) < RTOL


def _gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


def _layernorm(x, g, b):
    return (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-12) * g[:, None] + b[:, None]


@pytest.mark.parametrize("variant", [3, 2, 1])
def test_transformer_block_matches_numpy_reference(variant):
    c = library.transformer_block(P=8, D=12, H=3, FF=10, variant=variant, M0=4)
    t = execute(c, seed=12)
    x = t["X"]
    q = np.einsum("dp,dhe->hep", x, t["WQ"]) + t["BQ"][:, :, None]
    k = np.einsum("dp,dhe->hep", x, t["WK"]) + t["BK"][:, :, None]
    v = np.einsum("dp,dhf->hfp", x, t["WV"]) + t["BV"][:, :, None]
    av = np.stack([_softmax_attention(q[h], k[h], v[h]) for h in range(3)])
    r1 = np.einsum("hfp,hfd->dp", av, t["WO"]) + t["BO"][:, None] + x
    y1 = _layernorm(r1, t["N1G"], t["N1B"])
    hidden = _gelu(np.einsum("dp,di->ip", y1, t["W1"]) + t["B1"][:, None])
    r2 = np.einsum("ip,id->dp", hidden, t["W2"]) + t["B2"][:, None] + y1
    assert rel_err(t["Y"], _layernorm(r2, t["N2G"], t["N2B"])) < RTOL


def test_recurrence_is_a_prefix_scan_from_init():
    c = parse_cascade(["S[m+1] = S[m] + A[m]"], {"m": 6}, tensors={"S": {"init": 2.0}})
    out = execute(c, seed=1)
    assert np.allclose(out["S"], 2.0 + np.concatenate([[0.0], np.cumsum(out["A"])]))


def test_reductions_max_and_min_and_mixed_order():
    c = parse_cascade(["X[n] = A[n,m,k] :: sum(k) max(m)", "Y[n] = A[n,m,k] :: min(m,k)"], {"n": 2, "m": 3, "k": 4})
    out = execute(c, seed=2)
    assert np.allclose(out["X"], out["A"].sum(axis=2).max(axis=1))
    assert np.allclose(out["Y"], out["A"].min(axis=(1, 2)))


def test_large_einsum_is_evaluated_in_blocks_with_the_same_result(monkeypatch):
    import dataflow._executor as executor

    c = library.gemm(M=16, N=8, K=8)
    whole = execute(c, seed=1)["Z"]
    monkeypatch.setattr(executor, "_BLOCK_ELEMENTS", 100)
    assert np.array_equal(execute(c, seed=1)["Z"], whole)


def test_inputs_are_seeded_and_independent():
    c = library.gemm(M=3, N=3, K=3)
    first, again, other = execute(c, seed=1), execute(c, seed=1), execute(c, seed=2)
    assert np.array_equal(first["A"], again["A"]) and not np.array_equal(first["A"], other["A"])
    given = execute(c, inputs={"A": np.ones((3, 3))}, seed=1)
    assert np.array_equal(given["B"], first["B"])
    assert np.allclose(given["Z"], np.ones((3, 3)) @ first["B"])


def test_bad_inputs():
    c = library.gemm(M=3, N=2, K=4)
    with pytest.raises(ShapeError, match=r"execute\('gemm'\): input 'A' has shape \(4, 3\) \(expected shape \(3, 4\) \(dims m, k\)\)"):
        execute(c, inputs={"A": np.zeros((4, 3))})
    with pytest.raises(UnknownNameError, match=r"'Q' is not a tensor of the cascade \(expected one of the cascade's inputs: A, B\)"):
        execute(c, inputs={"Q": np.zeros(3)})
    with pytest.raises(UnknownNameError, match=r"'Z' is produced by an Einsum"):
        execute(c, inputs={"Z": np.zeros((3, 2))})
    with pytest.raises(TypeError, match=r"seed must be a non-negative integer, not -1"):
        execute(c, seed=-1)
    with pytest.raises(TypeError, match=r"input 'A' must be a numeric array, not str"):
        execute(c, inputs={"A": "abc"})


def test_resnet18_runs_and_its_pools_match_numpy():
    out = execute(library.resnet18(image=32, classes=10), seed=13)
    assert out["LOGITS"].shape == (1, 10) and np.all(np.isfinite(out["LOGITS"]))
    stem = out["Ystem"]  # relu output inside a -inf halo of 1
    assert np.all(np.isneginf(stem[:, :, 0, :]))
    windows = sliding_window_view(stem, (3, 3), axis=(2, 3))[:, :, ::2, ::2]
    pooled = out["POOL"][:, :, 1:-1, 1:-1]
    assert np.array_equal(pooled, windows.max(axis=(-1, -2)))
    last = [name for name in out if name.startswith("Y4_1")][-1]
    assert np.allclose(out["GAP"], out[last].sum(axis=(2, 3)))


def test_tensors_too_large_to_execute_are_refused(monkeypatch):
    import dataflow._executor as executor

    monkeypatch.setattr(executor, "_MAX_TENSOR_ELEMENTS", 10)
    with pytest.raises(ShapeError, match=r"execute\('gemm'\): tensor 'A' has 12 elements, too many to execute"):
        execute(library.gemm(M=3, N=2, K=4))


def test_broadcast_constant_and_fixed_output_coordinates():
    c = parse_cascade(
        ["Z[m,n] = A[m]", "C[m] = 3", "X[2,m] = A[m] * 2", "S[] = A[m]"],
        {"m": 3, "n": 2},
        tensors={"X": {"init": -1.0}},
    )
    out = execute(c, seed=4)
    assert np.array_equal(out["Z"], np.repeat(out["A"][:, None], 2, axis=1))
    assert np.array_equal(out["C"], np.full(3, 3.0))
    assert out["X"].shape == (3, 3)
    assert np.array_equal(out["X"][:2], np.full((2, 3), -1.0)) and np.allclose(out["X"][2], 2 * out["A"])
    assert out["S"].shape == () and np.isclose(out["S"], out["A"].sum())


# execute_boxes: an Einsum run tile by tile -------------------------------------------------------------------

def _boxes(einsum, rank, size, tile):
    return [(einsum, {rank: range(s, s + tile)}) for s in range(0, size, tile)]


@pytest.mark.parametrize("op", ["sum", "max", "min"])
def test_boxes_that_split_a_reduced_rank_combine_their_partials(op):
    from dataflow import execute_boxes

    c = parse_cascade([f"Y[p] = X[m,p] * W[m] :: {op}(m)"], {"m": 12, "p": 5})
    whole = execute(c, seed=4)
    tiled = execute_boxes(c, _boxes("Y", "m", 12, 3), seed=4)
    assert np.allclose(tiled["Y"], whole["Y"], rtol=1e-12, atol=0)
    assert np.array_equal(tiled["X"], whole["X"])  # the same inputs for the same seed


def test_boxes_in_an_order_that_reads_too_early_differ():
    from dataflow import execute_boxes

    c = parse_cascade(["S[p] = X[m,p]", "Y[m,p] = X[m,p] / S[p]"], {"m": 8, "p": 3})
    whole = execute(c, seed=1)
    right = execute_boxes(c, _boxes("S", "m", 8, 4) + _boxes("Y", "m", 8, 4), seed=1)
    early = execute_boxes(c, [b for pair in zip(_boxes("S", "m", 8, 4), _boxes("Y", "m", 8, 4)) for b in pair],
                          seed=1)
    assert np.allclose(right["Y"], whole["Y"])
    assert not np.allclose(early["Y"], whole["Y"])  # the first tile divided by a partial sum


def test_boxes_keep_a_recurrence_in_order():
    from dataflow import execute_boxes, library

    c = library.build("attention_1pass", M=16, P=4, M0=2, E=2, F=2)
    whole = execute(c, seed=2)
    boxes = [(e.name, {"m1": range(s, s + 2)}) for s in range(0, 8, 2) for e in c.einsums[:-1]] \
        + [(c.einsums[-1].name, {})]
    tiled = execute_boxes(c, boxes, seed=2)
    assert all(np.allclose(tiled[t], whole[t], equal_nan=True) for t in whole)


def test_boxes_name_what_is_wrong():
    from dataflow import EinsumError, UnknownNameError, execute_boxes

    c = parse_cascade(["Y[p] = X[m,p] * W[m] :: max(m)", "Z[p] = Y[p]"], {"m": 4, "p": 2})
    with pytest.raises(UnknownNameError, match="unknown Einsum 'Q' in cascade"):
        execute_boxes(c, [("Q", {})])
    with pytest.raises(EinsumError, match="rank 'm' spans range\\(2, 9\\)"):
        execute_boxes(c, [("Y", {"m": range(2, 9)})])
    mixed = parse_cascade(["Y[p] = X[m,e,p] :: sum(e) max(m)"], {"m": 4, "e": 4, "p": 2})
    halves = lambda r: [("Y", {r: range(0, 2)}), ("Y", {r: range(2, 4)})]  # noqa: E731
    assert np.allclose(execute_boxes(mixed, halves("m"))["Y"], execute(mixed)["Y"])  # max of maxima of sums
    with pytest.raises(EinsumError, match="splits reduced rank 'e', but a max reduction follows it"):
        execute_boxes(mixed, halves("e"))
