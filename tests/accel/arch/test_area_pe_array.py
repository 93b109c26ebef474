"""The area table asks for the PE array as one piece first; the MAC carries its pipeline depth."""

from __future__ import annotations

import pytest

from accel import Action, Component, Estimate, Estimator, area_table, default_registry, derive, energy_table, load_architecture


class _ArrayTable(Estimator):
    """Answers a ``pe_array`` by its PE count and depth, records what it was asked."""

    name, accuracy = "array_table", 90

    def __init__(self, arrays: bool = True):
        self.arrays = arrays
        self.asked: list[object] = []

    def energy(self, action: Action):
        self.asked.append(action)
        return None

    def area(self, component: Component):
        self.asked.append(component)
        if component.kind != "pe_array" or not self.arrays:
            return None
        pes = component.get("rows") * component.get("cols")
        return Estimate(1000.0 * pes * component.get("pipeline_depth"), "um2", "test table", self.name, self.accuracy)


def test_a_pe_array_estimate_replaces_the_mac_and_register_file_entries():
    arch = derive(load_architecture("edge"), {"pe_array.rows": 2, "pe_array.cols": 3, "arith.pipeline_depth": 2})
    est = _ArrayTable()
    table = area_table(arch, default_registry().register(est))
    assert [e.key for e in table.entries] == ["pe_array", "scratchpad", "l2"]
    assert table["pe_array"] == pytest.approx(1000.0 * 6 * 2)
    asked = next(c for c in est.asked if c.kind == "pe_array")
    assert dict(asked.attrs) == {
        "rows": 2, "cols": 3, "dataflow": "output_stationary", "network": "systolic", "hop_latency": 1,
        "macs_per_cycle": 1, "kind": "int8_mac", "input_format": "int8", "accumulate_format": "int32",
        "pipeline_depth": 2, "technology_nm": 22, "rf_capacity": 32, "rf_word_bits": 32, "rf_holds_output": True,
    }
    # Without an estimator for the whole array: MACs and register files one by one, as before.
    assert [e.key for e in area_table(arch).entries][:2] == ["mac", "rf"]


def test_the_mac_action_and_component_carry_the_pipeline_depth():
    arch = derive(load_architecture("edge"), {"arith.pipeline_depth": 3})
    est = _ArrayTable()
    registry = default_registry().register(est)
    energy_table(arch, registry)
    mac = next(a for a in est.asked if isinstance(a, Action) and a.component == "mac")
    assert mac.get("pipeline_depth") == 3
    macs = _ArrayTable(arrays=False)
    area_table(arch, default_registry().register(macs))
    assert any(isinstance(c, Component) and c.kind == "mac" and c.get("pipeline_depth") == 3 for c in macs.asked)
