"""Pareto fronts against a brute-force definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accel.sweep import pareto_front, pareto_mask


def brute(v):
    n = len(v)
    return np.array([not any(all(v[j] <= v[i]) and any(v[j] < v[i]) for j in range(n) if j != i) for i in range(n)])


def test_small_case_by_hand():
    v = np.array([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2], [6, 6]], dtype=float)
    assert pareto_mask(v).tolist() == [True, True, True, False, True, False]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[st.integers(0, 6)] * 3), min_size=1, max_size=25))
def test_matches_brute_force(points):
    v = np.array(points, dtype=float)
    assert pareto_mask(v).tolist() == brute(v).tolist()


def test_bad_input():
    with pytest.raises(ValueError, match=r"2-D array of points x objectives, not shape \(3,\)"):
        pareto_mask([1, 2, 3])
    with pytest.raises(ValueError, match=r"finite values only"):
        pareto_mask([[1.0, float("nan")]])


def test_front_per_workload_ignores_failed_points():
    frame = pd.DataFrame({
        "workload": ["a", "a", "a", "b", "b"],
        "status": ["ok", "ok", "infeasible", "ok", "ok"],
        "latency_s": [1.0, 2.0, None, 5.0, 4.0],
        "energy_pj": [2.0, 1.0, None, 5.0, 4.0],
        "area_mm2": [1.0, 1.0, None, 1.0, 1.0],
    })
    front = pareto_front(frame, ("latency", "energy", "area"))
    assert front.index.tolist() == [0, 1, 4]
    with pytest.raises(ValueError, match=r"objectives must be drawn from"):
        pareto_front(frame, ("speed", "energy"))
