"""Grid, random and Latin-hypercube sampling of axes; content hashes."""

from __future__ import annotations

import collections
import math

import numpy as np
import pytest

from accel.sweep import Axis, canonical_json, content_hash, sample

ROWS = Axis("pe_array.rows", values=(8, 16, 32))
UNIT = Axis("unit", values=((("arith.kind", "int8_mac"),), (("arith.kind", "fp8_mac"),)), labels=("int8", "fp8"))
CLOCK = Axis("clock_mhz", low=100.0, high=1600.0, scale="log", steps=5)
CAP = Axis("levels.scratchpad.capacity", low=1024, high=4096, integer=True, steps=4)


def test_grid_is_cartesian_last_axis_fastest():
    pts = sample([ROWS, UNIT], "grid")
    assert [p.labels for p in pts] == [
        (("pe_array.rows", r), ("unit", u)) for r in (8, 16, 32) for u in ("int8", "fp8")
    ]
    assert pts[1].changes == (("pe_array.rows", 8), ("arith.kind", "fp8_mac"))
    assert [p.index for p in pts] == list(range(6))


def test_grid_of_ranges_includes_the_ends():
    assert CLOCK.grid() == pytest.approx((100.0, 200.0, 400.0, 800.0, 1600.0))
    assert CAP.grid() == (1024, 2048, 3072, 4096)


def test_random_is_seeded_and_within_bounds():
    a = sample([ROWS, CLOCK], "random", samples=50, seed=7)
    b = sample([ROWS, CLOCK], "random", samples=50, seed=7)
    c = sample([ROWS, CLOCK], "random", samples=50, seed=8)
    assert a == b and a != c
    clocks = [dict(p.changes)["clock_mhz"] for p in a]
    assert all(100.0 <= x <= 1600.0 for x in clocks)
    assert {dict(p.changes)["pe_array.rows"] for p in a} == {8, 16, 32}


def test_lhs_stratifies_categorical_and_numeric_axes():
    n = 30
    pts = sample([ROWS, Axis("clock_mhz", low=0.0, high=30.0)], "lhs", samples=n, seed=3)
    assert len(pts) == n
    counts = collections.Counter(dict(p.changes)["pe_array.rows"] for p in pts)
    assert sorted(counts.values()) == [10, 10, 10]
    strata = sorted(math.floor(dict(p.changes)["clock_mhz"]) for p in pts)
    assert strata == list(range(n))  # exactly one sample per stratum of width 1


def test_lhs_on_a_log_axis_spreads_over_decades():
    pts = sample([Axis("clock_mhz", low=1.0, high=1000.0, scale="log")], "lhs", samples=3, seed=0)
    decades = sorted(math.floor(math.log10(dict(p.changes)["clock_mhz"])) for p in pts)
    assert decades == [0, 1, 2]


def test_duplicates_are_kept_once():
    pts = sample([Axis("pe_array.rows", values=(8, 8, 16))], "grid")
    assert [dict(p.changes)["pe_array.rows"] for p in pts] == [8, 16]


def test_sampling_bad_arguments():
    with pytest.raises(ValueError, match=r"sampling method must be one of \('grid', 'random', 'lhs'\), not 'sobol'"):
        sample([ROWS], "sobol")
    with pytest.raises(ValueError, match=r"lhs sampling needs an explicit seed >= 0, not None"):
        sample([ROWS], "lhs", samples=4)
    with pytest.raises(ValueError, match=r"a sweep needs at least one axis"):
        sample([], "grid")


def test_canonical_json_ignores_key_order_and_float_spelling():
    assert canonical_json({"b": 1.0, "a": [2, (3,)]}) == '{"a":[2,[3]],"b":1}'
    assert content_hash({"x": 1, "y": 2}) == content_hash({"y": 2.0, "x": 1})
    assert content_hash({"x": 1}) != content_hash({"x": 2})
    assert content_hash({"x": np.int64(4)}) == content_hash({"x": 4})
    with pytest.raises(TypeError, match=r"cannot hash a set"):
        content_hash({"x": {1}})
    with pytest.raises(ValueError, match=r"cannot hash a non-finite number nan"):
        content_hash({"x": float("nan")})


def test_source_digest_follows_the_model_source(tmp_path, monkeypatch):
    from accel.sweep import source_digest, tool_version

    pkg = tmp_path / "digestpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("X = 1\n")
    (pkg / "table.yaml").write_text("a: 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    first = source_digest(("digestpkg",))
    assert first == source_digest.__wrapped__(("digestpkg",))  # deterministic
    (pkg / "table.yaml").write_text("a: 2\n")
    assert source_digest.__wrapped__(("digestpkg",)) != first  # data files count
    (pkg / "table.yaml").write_text("a: 1\n")
    (pkg / "notes.txt").write_text("ignored\n")
    assert source_digest.__wrapped__(("digestpkg",)) == first  # other files do not
    (pkg / "__init__.py").write_text("X = 2\n")
    assert source_digest.__wrapped__(("digestpkg",)) != first
    assert tool_version().endswith(" src " + source_digest())
