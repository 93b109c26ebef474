"""User-supplied energy/area tables as an estimator."""

from __future__ import annotations

import pytest
import yaml

from accel import Action, Component, SpecError, UserTableEstimator, area_table, default_registry, energy_table, load_architecture

TABLE = {
    "name": "lab28",
    "accuracy": 70,
    "source": "our 28 nm library, 2026",
    "technology_nm": 28,
    "energy": [
        {"component": "mac", "action": "compute", "match": {"kind": "int8_mac"}, "pJ": 0.12},
        {"component": "sram", "action": "read", "pJ": 50.0},
        {"component": "sram", "action": "read", "match": {"level": "weight_fifo"}, "pJ": 7.5, "source": "memory compiler run 12"},
        {"component": "dram", "action": "read", "pJ": 15.0},
    ],
    "area": [{"component": "mac", "match": {"kind": "int8_mac"}, "um2": 310.0}],
}


@pytest.fixture
def table_file(tmp_path):
    path = tmp_path / "lab28.yaml"
    path.write_text(yaml.safe_dump(TABLE))
    return path


def test_user_table_outranks_horowitz_where_it_answers(table_file):
    reg = default_registry().register(UserTableEstimator.from_yaml(table_file))
    t = energy_table(load_architecture("tpu_like"), reg)
    assert t["mac"] == 0.12 and t.estimate("mac").source == "lab28: our 28 nm library, 2026"
    assert t["weight_fifo.read"] == 7.5 and t.estimate("weight_fifo.read").source == "lab28: memory compiler run 12"
    assert t["unified_buffer.read"] == 50.0  # the less specific row
    assert t["dram.read"] == 15.0
    assert t.estimate("dram.write").estimator == "horowitz_45nm"  # no row for writes
    assert t.estimate("noc.hop").estimator == "horowitz_45nm"
    assert area_table(load_architecture("tpu_like"), reg).entries[0].um2_each == 310.0


def test_user_table_only_answers_at_its_node(table_file):
    est = UserTableEstimator.from_yaml(table_file)
    assert est.energy(Action.of("dram", "read", technology_nm=28)).value == 15.0
    assert est.energy(Action.of("dram", "read", technology_nm=45)) is None
    assert est.energy(Action.of("mac", "compute", kind="fp8_mac", technology_nm=28)) is None
    assert est.area(Component.of("mac", kind="int8_mac", technology_nm=16)) is None


def test_lower_accuracy_table_loses():
    low = UserTableEstimator.from_dict(dict(TABLE, name="guess", accuracy=10, technology_nm=None))
    reg = default_registry().register(low)
    t = energy_table(load_architecture("tpu_like"), reg)
    assert t.estimate("mac").estimator == "horowitz_45nm"


def test_bad_table_lists_every_error():
    bad = {
        "name": "",
        "accuracy": 120,
        "colour": "red",
        "energy": [
            {"component": "mac", "pJ": -1},
            {"component": "sram", "action": "read", "match": [1], "pJ": 3, "per": "word"},
            "oops",
        ],
        "area": {"component": "mac"},
    }
    with pytest.raises(SpecError) as info:
        UserTableEstimator.from_dict(bad, source="lab.yaml")
    assert str(info.value) == (
        "lab.yaml: 10 errors in estimator table:\n"
        "  colour: unknown key; allowed: accuracy, area, energy, name, source, technology_nm\n"
        "  name: must be a non-empty string, got ''\n"
        "  accuracy: must be an integer in 0..100, got 120\n"
        "  source: missing required field\n"
        "  energy[0].action: missing required field\n"
        "  energy[0].pJ: must be a number >= 0, got -1\n"
        "  energy[1].per: unknown key; allowed: action, component, match, pJ, source\n"
        "  energy[1].match: must be a mapping of attribute -> value, got [1]\n"
        "  energy[2]: must be a mapping, got 'oops'\n"
        "  area: must be a list of entries, got {'component': 'mac'}"
    )


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no estimator table file '.*nope.yaml'"):
        UserTableEstimator.from_yaml(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [x\n")
    with pytest.raises(SpecError, match=r"bad.yaml: 1 error in estimator table:\n  line 2, column 1: malformed YAML: "):
        UserTableEstimator.from_yaml(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("name: e\nsource: s\n")
    with pytest.raises(SpecError, match=r"energy: the table has no energy or area entries"):
        UserTableEstimator.from_yaml(empty)
