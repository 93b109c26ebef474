"""Study 4: COSMA traffic (reduced run)."""

from __future__ import annotations

import numpy as np
import pytest

from studies import cosma_traffic


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return cosma_traffic.run(tmp_path_factory.mktemp("cosma"), reduced=True)


def test_outputs(result):
    assert result.table_path.is_file() and result.plots[0].name == "cosma_traffic.png"
    assert len(result.table) == 2 * 2
    assert list(dict.fromkeys(result.table.network)) == ["resnet50 (64x64 image)", "bert_base (1 block, 64 tokens)"]


def test_cosma_never_moves_more_than_the_greedy_baselines(result):
    t = result.table
    assert (t.nc_cosma_bytes <= t.nc_lru_bytes).all() and (t.nc_cosma_bytes <= t.nc_belady_bytes).all()
    assert (t.groupby("network").compulsory_bytes.nunique() == 1).all()  # compulsory traffic is the graph's
    assert (t.scratchpad_bytes % 1024 == 0).all()


def test_reductions_match_the_bytes(result):
    t = result.table
    has = t.nc_lru_bytes > 0
    assert has.any()  # the smallest scratchpad spills
    np.testing.assert_allclose(t[has].reduction_vs_lru, 1 - t[has].nc_cosma_bytes / t[has].nc_lru_bytes)
    assert t[~has].reduction_vs_lru.isna().all()
    mean = t.reduction_vs_lru.dropna().mean()
    assert f"average reduction of non-compulsory traffic {100 * mean:.1f}%" in result.findings
