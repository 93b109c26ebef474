"""Study 5: FP8 vs INT8 vs L-Mul accelerators (reduced sweep)."""

from __future__ import annotations

import pytest

from accel.sweep import pareto_mask, parse_spec
from studies import accelerator_pareto


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return accelerator_pareto.run(tmp_path_factory.mktemp("pareto"), reduced=True, seed=1)


def test_specs_parse():
    full = parse_spec(accelerator_pareto.sweep_spec(False, 0), source="t")
    assert [len(a.values) for a in full.axes] == [4, 5, 4]


def test_every_point_evaluated(result):
    t = result.table
    assert len(t) == 6 and (t.status == "ok").all()
    assert set(t.unit) == {"fp8", "int8", "lmul"}
    assert [p.name for p in result.plots] == ["pareto.png", "pareto_area.png"]


def test_front_flag_is_the_pareto_front(result):
    t = result.table
    mask = pareto_mask(t[["latency_s", "energy_pj", "area_mm2"]].to_numpy())
    assert list(t.on_front) == list(mask)


def test_mac_cost_orders_the_units(result):
    t = result.table.set_index(["array", "unit"])
    for array in ("16x16", "32x32"):
        assert t.loc[(array, "int8"), "area.mac"] < t.loc[(array, "lmul"), "area.mac"] < t.loc[(array, "fp8"), "area.mac"]
    assert "lmul / fp8 at the same design" in result.findings
