"""Study 1: L-Mul accuracy (reduced run, the attention kernel, the error bookkeeping)."""

from __future__ import annotations

import numpy as np
import pytest

from dataflow import execute
from dataflow.library import attention_1pass
from rtl.numerics import E4M3, float_format
from studies import StudyError, lmul_accuracy
from studies._lmul_attention import Multiplier, attention_1pass_with, pow2_scale


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lmul_accuracy.run(tmp_path_factory.mktemp("acc"), reduced=True, seed=3)


def test_outputs_written(result):
    assert result.table_path.name == "table.csv" and result.table_path.is_file()
    assert [p.name for p in result.plots] == ["lmul_products.png", "lmul_attention.png"]
    assert all(p.stat().st_size > 1000 for p in result.plots)


def test_table_covers_every_method_and_distribution(result):
    prod = result.table[result.table.part == "product"]
    methods = {f"lmul_m{m}" for m in lmul_accuracy.MANTISSAS} | {"fp8_e4m3", "fp8_e5m2"}
    for dist in lmul_accuracy.DISTRIBUTIONS:
        for acc in ("inputs", "format_closed"):
            assert set(prod[(prod.distribution == dist) & (prod.accounting == acc)].method) == methods
    assert (prod.samples == 20_000).all()
    assert (prod.mean_rel_err <= prod.p99_rel_err + 1e-12).all() and (prod.p99_rel_err <= prod.max_rel_err).all()


def test_errors_behave_as_theory_says(result):
    prod = result.table[(result.table.part == "product") & (result.table.accounting == "inputs")]
    for dist in lmul_accuracy.DISTRIBUTIONS:
        part = prod[prod.distribution == dist].set_index("method").mean_rel_err
        assert part["lmul_m2"] > part["lmul_m3"] > part["lmul_m5"]  # more mantissa bits, less error
        assert part["lmul_m7"] > 0.02  # L-Mul's own approximation error does not vanish
    gauss = prod[prod.distribution == "gaussian"].set_index("method").mean_rel_err
    assert gauss["fp8_e4m3"] < gauss["fp8_e5m2"]  # one more mantissa bit


def test_findings_quote_the_table(result):
    row = result.table[(result.table.distribution == "gaussian") & (result.table.method == "lmul_m4")
                       & (result.table.accounting == "inputs")].iloc[0]
    assert f"L-Mul m=4 {100 * row.mean_rel_err:.2f}%" in result.findings
    assert "attention output" in result.findings


def test_seed_changes_the_sample(tmp_path):
    x0, _ = lmul_accuracy.draw_pairs("student_t", 5, np.random.default_rng([0, 1]))
    x1, _ = lmul_accuracy.draw_pairs("student_t", 5, np.random.default_rng([1, 1]))
    assert not np.array_equal(x0, x1)
    with pytest.raises(ValueError, match="unknown distribution 'cauchy'"):
        lmul_accuracy.draw_pairs("cauchy", 5, np.random.default_rng(0))


def test_exact_chunked_attention_equals_the_executor():
    rng = np.random.default_rng(7)
    q, k, v = rng.standard_normal((8, 16)), rng.standard_normal((8, 16)), rng.standard_normal((8, 16))
    ref = execute(attention_1pass(M=16, P=16, E=8, F=8, M0=4), {"Q": q, "K": k, "V": v})
    got = attention_1pass_with(q, k, v, 4, Multiplier("exact"))
    np.testing.assert_allclose(got["AV"], ref["AV"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["QK"], ref["BQK"].reshape(16, 16), rtol=0, atol=1e-12)


def test_lmul_attention_uses_lmul_products():
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((4, 8)), rng.standard_normal((4, 8)), rng.standard_normal((4, 8))
    lm = attention_1pass_with(q, k, v, 4, Multiplier.lmul(3))
    exact = attention_1pass_with(q, k, v, 4, Multiplier("exact"))
    assert 0 < np.abs(lm["AV"] - exact["AV"]).max() < 1.0


def test_multiplier_and_shape_checks():
    with pytest.raises(StudyError, match="Multiplier.kind must be one of"):
        Multiplier("int8")
    with pytest.raises(StudyError, match="Multiplier 'lmul': fmt must be a FloatFormat, not None"):
        Multiplier("lmul")
    assert Multiplier.lmul(4).label == "lmul_m4" and Multiplier("fp8", E4M3).label == "fp8_e4m3"
    with pytest.raises(StudyError, match="m0 must divide M=8, not 3"):
        attention_1pass_with(np.ones((2, 4)), np.ones((2, 8)), np.ones((2, 8)), 3, Multiplier("exact"))


def test_pow2_scale_brings_the_peak_under_max_normal():
    s = pow2_scale(np.array([0.02, -0.5]), E4M3)
    assert 0.5 * s <= E4M3.max_normal < 0.5 * s * 2 and np.log2(s) == int(np.log2(s))
    assert pow2_scale(np.zeros(3), float_format(8, 3)) == 1.0
