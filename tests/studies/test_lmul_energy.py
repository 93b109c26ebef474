"""Study 2: L-Mul energy (the Horowitz accounting by hand, a reduced run with synthesis)."""

from __future__ import annotations

import pytest

from studies import lmul_energy


def _row(rows, source, method):
    return next(r for r in rows if r["source"] == source and r["method"] == method)


def test_horowitz_rows_reproduce_the_papers_fp32_accounting():
    rows = lmul_energy.horowitz_rows()
    fp32, lm = _row(rows, "horowitz", "fp_mult_fp32"), _row(rows, "horowitz", "lmul_fp32")
    assert fp32["mult_pj"] == pytest.approx(3.7)  # Horowitz table
    assert fp32["add_pj"] == pytest.approx(0.9)
    # L-Mul on FP32 operands: one 31-bit integer add, a power law through 0.03 pJ (8 b) and 0.1 pJ (32 b)
    assert lm["mult_pj"] == pytest.approx(0.03 * (31 / 8) ** 0.8685, rel=2e-3)
    n = lmul_energy.DOT_LENGTH
    assert lm["dot_pj"] == pytest.approx((n * lm["mult_pj"] + (n - 1) * 0.9) / n)


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lmul_energy.run(tmp_path_factory.mktemp("energy"), reduced=True)


def test_reduced_run_has_both_sources(result):
    t = result.table
    assert set(t.source) == {"horowitz", "rtl"}
    assert set(t[t.source == "rtl"].method) == {"fp_mult_e4m3", "lmul_e4m3", "lmul_e8m3"}
    assert result.plots[0].name == "lmul_energy.png" and result.plots[0].is_file()


def test_savings_are_computed_from_the_energies(result):
    t = result.table.set_index(["source", "method"])
    for source in ("horowitz", "rtl"):
        lm, fp = t.loc[(source, "lmul_e4m3")], t.loc[(source, "fp_mult_e4m3")]
        assert lm.save_mult_vs_baseline == pytest.approx(1 - lm.mult_pj / fp.mult_pj)
        assert 0 < lm.mult_pj < fp.mult_pj  # an adder is smaller than a multiplier either way
    h = t.loc[("horowitz", "lmul_fp32")]
    assert h.save_mult_vs_baseline == pytest.approx(0.9737, abs=1e-3)
    assert h.save_dot_vs_baseline == pytest.approx(0.7844, abs=1e-3)
    assert "saves" in result.findings and f"{100 * h.save_dot_vs_baseline:.1f}%" in result.findings
