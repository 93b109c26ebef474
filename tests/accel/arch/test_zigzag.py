"""ZigZag hardware YAML import: what each key becomes, what is noted, and what cannot be expressed."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from accel import energy_table, load_architecture
from accel.arch import SpecError, import_architecture
from accel.arch._zigzag import from_zigzag
from accel.cli import main

SPEC = """\
name: toy_ws
memories:
  w_rf:
    size: 512
    r_cost: 0.1
    w_cost: 0.2
    latency: 1
    operands: [I2]
    ports:
      - {name: r_port_1, type: read, bandwidth_min: 8, bandwidth_max: 8, allocation: [I2, tl]}
      - {name: w_port_1, type: write, bandwidth_min: 8, bandwidth_max: 8, allocation: [I2, fh]}
    served_dimensions: []
  o_rf:
    size: 32
    r_cost: 0.05
    w_cost: 0.05
    latency: 1
    operands: [O]
    ports:
      - {name: rw_port_1, type: read_write, bandwidth_min: 32, bandwidth_max: 32, allocation: [O, tl, O, fh]}
    served_dimensions: []
  buffer:
    size: 1048576
    r_cost: 20.0
    w_cost: 25.0
    latency: 2
    operands: [I1, O]
    ports:
      - {name: r_port_1, type: read, bandwidth_min: 64, bandwidth_max: 512, allocation: [I1, tl]}
      - {name: w_port_1, type: write, bandwidth_min: 64, bandwidth_max: 256, allocation: [I1, fh]}
    served_dimensions: [D1, D2]
  dram:
    size: 10000000000
    r_cost: 640
    w_cost: 800
    latency: 30
    operands: [I1, I2, O]
    ports:
      - {name: rw_port_1, type: read_write, bandwidth_min: 64, bandwidth_max: 64, allocation: [I1, fh]}
    served_dimensions: [D1, D2]
operational_array:
  unit_energy: 0.5
  unit_area: 1
  dimensions: [D1, D2]
  sizes: [8, 4]
  systolic_dimensions: [D1, D2]
"""


def _spec(**changes):
    data = yaml.safe_load(SPEC)
    for path, value in changes.items():
        node = data
        *head, last = path.split(".")
        for key in head:
            node = node[key]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return data


def test_each_key_becomes_its_part():
    out = from_zigzag(_spec(), "toy.yaml")
    a = out.architecture
    assert (a.pe_array.rows, a.pe_array.cols, a.pe_array.network, a.pe_array.dataflow) == (8, 4, "systolic", "flexible")
    assert (a.register_file.capacity, a.register_file.word_bits, a.register_file.holds) == (64 + 4, 32, ("weight", "output"))
    (buf,) = a.levels
    assert (buf.name, buf.capacity, buf.word_bits, buf.read_bandwidth, buf.write_bandwidth, buf.ports, buf.latency, buf.holds) == (
        "buffer", 131072, 512, 64.0, 32.0, 2, 2, ("input", "output"))
    assert (a.dram.bandwidth, a.dram.latency) == (8.0, 30)
    assert a.arith.kind == "int8_mac"
    table = energy_table(a, _registry(out))
    # per access of the widest port: a level's word, DRAM per byte of its 64-bit access
    assert (table["mac"], table["buffer.read"], table["buffer.write"]) == (0.5, 20.0, 25.0)
    assert (table["dram.read"], table["dram.write"], table["noc.hop"]) == (80.0, 100.0, 0.0)
    assert table.estimate("buffer.read").accuracy == 100
    assert any("w_rf, o_rf: per-PE memories of different operands, merged" in n for n in out.notes)


def _registry(out):
    from accel import default_registry

    reg = default_registry()
    reg.register(out.energy)
    return reg


def test_a_single_per_pe_memory_brings_its_costs():
    data = _spec(**{"memories.o_rf": None, "memories.w_rf.operands": ["I2", "O"]})
    out = from_zigzag(data, "toy.yaml")
    table = energy_table(out.architecture, _registry(out))
    assert (table["rf.read"], table["rf.write"]) == (0.1, 0.2)
    assert not any("merged" in n for n in out.notes)


@pytest.mark.parametrize("changes, place, problem", [
    ({"memories.buffer.served_dimensions": ["D1"]}, "memories.buffer.served_dimensions",
     "['D1'] serves some of the array's dimensions (D1, D2) but not all"),
    ({"memories.buffer.banks": 4}, "memories.buffer.banks", "unknown key"),
    ({"operational_array.is_imc": True}, "operational_array.is_imc", "in-memory compute arrays cannot be expressed"),
    ({"operational_array.dimensions": ["D1", "D2", "D3"], "operational_array.sizes": [2, 2, 2]},
     "operational_array.dimensions", "one or two distinct dimensions"),
    ({"memories.dram.operands": ["I1", "O"]}, "memories.dram.operands", "must hold every operand"),
    ({"memories.buffer.size": 1001}, "memories.buffer.size", "not a whole number of bytes"),
    ({"memories.w_rf.latency": None}, "memories.w_rf.latency", "missing"),
    ({"memories.buffer.ports": [{"name": "r_port_1", "type": "read", "bandwidth_min": 8, "bandwidth_max": 8,
                                 "allocation": ["I1, tl"]}]}, "memories.buffer.ports", "needs a read and a write port"),
    ({"operational_array.input_precision": [8, 4]}, "operational_array.input_precision", "equal operand widths"),
])
def test_what_cannot_be_expressed_names_the_key(changes, place, problem):
    with pytest.raises(SpecError) as info:
        from_zigzag(_spec(**changes), "toy.yaml")
    assert str(info.value).startswith("toy.yaml: ")
    assert any(path == place and problem in message for path, message in info.value.errors), info.value.errors


def test_per_pe_memory_above_a_shared_one():
    data = _spec()
    data["memories"] = {k: data["memories"][k] for k in ("buffer", "w_rf", "o_rf", "dram")}
    data["memories"]["buffer"]["operands"] = ["I1", "O", "I2"]
    with pytest.raises(SpecError, match=r"memories\.w_rf\.served_dimensions: a per-PE memory above a shared one for operand I2"):
        from_zigzag(data, "toy.yaml")


def test_duplicate_keys_read_as_zigzag_reads_them(tmp_path):
    text = SPEC.replace("    latency: 2\n", "    latency: 2\n    latency: 5\n", 1)
    path = tmp_path / "dup.yaml"
    path.write_text(text)
    out = import_architecture(path)
    assert out.architecture.level("buffer").latency == 5  # the last value, as PyYAML's safe_load keeps
    assert any(n.startswith("line 27: duplicate key 'latency' (first on line 26); the last one is read") for n in out.notes)


def test_unknown_format(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("layers: []\n")
    with pytest.raises(SpecError, match="not a ZigZag hardware spec"):
        import_architecture(path)


def test_cli_import_writes_a_loadable_architecture(tmp_path):
    spec = tmp_path / "toy.yaml"
    spec.write_text(SPEC)
    out, table = tmp_path / "toy.accel.yaml", tmp_path / "energy.yaml"
    result = CliRunner().invoke(main, ["arch", "import", str(spec), "--energy-table", str(table)])
    assert result.exit_code == 0, result.output
    assert "imported" in result.output and "note: memories w_rf, o_rf: per-PE memories" in result.output
    arch = load_architecture(str(out))
    assert arch == from_zigzag(_spec(), str(spec)).architecture
    shown = CliRunner().invoke(main, ["arch", "show", str(out), "--table", str(table), "--json"])
    assert json.loads(shown.output)["energy"]["buffer.read"]["pJ"] == 20.0
    bad = tmp_path / "bad.yaml"
    bad.write_text(SPEC.replace("served_dimensions: [D1, D2]\n  dram", "served_dimensions: [D2]\n  dram"))
    result = CliRunner().invoke(main, ["arch", "import", str(bad)])
    assert result.exit_code == 2 and "memories.buffer.served_dimensions" in result.output
    assert "Traceback" not in result.output
