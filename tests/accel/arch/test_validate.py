"""Bad architecture specs: every error reported at once, with its path and the allowed values."""

from __future__ import annotations

import re

import pytest
import yaml

from accel import SpecError, parse_architecture

GOOD = """
name: tiny
clock_mhz: 100
technology_nm: 45
pe_array: {rows: 4, cols: 4, network: systolic}
register_file: {capacity: 16, word_bits: 8, holds: [weight]}
levels:
  - {name: buf, capacity: 4096, word_bits: 64, read_bandwidth: 8, write_bandwidth: 8, holds: [input, weight]}
  - {name: glb, capacity: 65536, word_bits: 64, read_bandwidth: 8, write_bandwidth: 8, holds: [any]}
dram: {bandwidth: 4, latency: 50}
arith: {kind: int8_mac}
"""


def spec(**changes):
    """GOOD as a dict with top-level or nested changes (``levels__1__holds=[]``); None deletes."""
    data = yaml.safe_load(GOOD)
    for key, value in changes.items():
        parts = key.split("__")
        target = data
        for p in parts[:-1]:
            target = target[int(p)] if p.isdigit() else target[p]
        last = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return data


def errors_of(data):
    with pytest.raises(SpecError) as info:
        parse_architecture(data, source="t.yaml")
    return info.value


def test_good_spec_parses():
    arch = parse_architecture(GOOD)
    assert arch.name == "tiny" and arch.levels[1].name == "glb"


def test_many_errors_reported_at_once():
    bad = """
name: bad
clock_mhz: 0
technology_nm: 45
colour: red
pe_array: {rows: -4, cols: 4, network: mesh}
register_file: {capacity: 16, word_bits: 8, holds: [weight]}
levels:
  - {name: buf, capacity: 4096, word_bits: 64, read_bandwidth: 8, write_bandwidth: 8, holds: [any]}
  - {name: glb, capacity: 65536, word_bits: 64, read_bandwidth: 8, write_bandwidth: 8, holds: []}
  - {name: l3, capacity: 0, word_bits: 64, read_bandwidth: 0, write_bandwidth: 8, holds: [any], latancy: 3}
dram: {latency: 50}
arith: {kind: int4_mac}
"""
    err = errors_of(bad)
    expected = (
        "t.yaml: 10 errors in architecture spec:\n"
        "  colour: unknown key; allowed: arith, clock_mhz, description, dram, levels, name, pe_array, register_file, technology_nm, vector_unit\n"
        "  clock_mhz: must be > 0, got 0\n"
        "  pe_array.rows: must be >= 1, got -4\n"
        "  pe_array.network: unknown network 'mesh'; allowed: 'systolic', 'broadcast'\n"
        "  levels[2].latancy: unknown key; allowed: banks, capacity, holds, latency, name, ports, read_bandwidth, word_bits, write_bandwidth\n"
        "  levels[2].capacity: must be >= 1, got 0\n"
        "  levels[2].read_bandwidth: must be > 0, got 0\n"
        "  levels[1].holds: holds no tensor; list roles ('input', 'weight', 'output', 'any') or tensor names\n"
        "  dram.bandwidth: missing required field\n"
        "  arith.kind: unknown arithmetic unit 'int4_mac'; allowed: 'int8_mac', 'int16_mac', 'fp8_mac', 'lmul', 'bf16_mac', 'fp16_mac', 'fp32_mac'"
    )
    assert str(err) == expected
    assert err.errors[6] == ("levels[2].read_bandwidth", "must be > 0, got 0")
    assert len(err.errors) == 10
    assert isinstance(err, ValueError)
    with pytest.raises(SpecError, match=re.escape("levels[2].read_bandwidth: must be > 0, got 0")):
        parse_architecture(bad)


@pytest.mark.parametrize(
    "changes, path, message",
    [
        ({"name": None}, "name", "missing required field"),
        ({"pe_array__cols": None}, "pe_array.cols", "missing required field"),
        ({"dram": None}, "dram", "missing required section"),
        ({"levels__0__colour": "red"}, "levels[0].colour", "unknown key; allowed: banks, capacity, holds, latency, name, ports, read_bandwidth, word_bits, write_bandwidth"),
        ({"pe_array__speed": 3}, "pe_array.speed", "unknown key; allowed: col_ranks, cols, dataflow, fold_pipelining, hop_latency, network, row_ranks, rows"),
        ({"levels__1__capacity": -5}, "levels[1].capacity", "must be >= 1, got -5"),
        ({"levels__1__write_bandwidth": 0}, "levels[1].write_bandwidth", "must be > 0, got 0"),
        ({"levels__0__ports": 0}, "levels[0].ports", "must be >= 1, got 0"),
        ({"dram__bandwidth": 0}, "dram.bandwidth", "must be > 0, got 0"),
        ({"dram__energy_per_byte": -1}, "dram.energy_per_byte", "must be > 0, got -1"),
        ({"technology_nm": "45nm"}, "technology_nm", "must be a number, got '45nm'"),
        ({"clock_mhz": True}, "clock_mhz", "must be a number, got True"),
        ({"clock_mhz": float("nan")}, "clock_mhz", "must be a finite number, got nan"),
        ({"pe_array__rows": 2.5}, "pe_array.rows", "must be an integer, got 2.5"),
        ({"pe_array__fold_pipelining": "yes"}, "pe_array.fold_pipelining", "must be true or false, got 'yes'"),
        ({"pe_array__fold_pipelining": 1}, "pe_array.fold_pipelining", "must be true or false, got 1"),
        ({"pe_array__dataflow": "diagonal"}, "pe_array.dataflow", "unknown dataflow 'diagonal'; allowed: 'weight_stationary', 'output_stationary', 'input_stationary', 'row_stationary', 'flexible'"),
        ({"pe_array__row_ranks": "k"}, "pe_array.row_ranks", "must be a list, got 'k'"),
        ({"pe_array__row_ranks": ["k", "2x"]}, "pe_array.row_ranks[1]", "must be a name (letters, digits, underscores; not starting with a digit), got '2x'"),
        ({"register_file__holds": []}, "register_file.holds", "holds no tensor; list roles ('input', 'weight', 'output', 'any') or tensor names"),
        ({"register_file__capacity": 1, "register_file__word_bits": 16}, "register_file.capacity", "1 bytes cannot hold one 16-bit word"),
        ({"levels__1__name": "buf"}, "levels[1].name", "duplicate level name 'buf' (also levels[0])"),
        ({"levels__1__name": "dram"}, "levels[1].name", "'dram' is reserved; reserved names: 'any', 'dram', 'mac', 'noc', 'rf', 'vector'"),
        ({"levels": []}, "levels", "must be a non-empty list of levels, innermost first, got []"),
        ({"levels__0": 5}, "levels[0]", "must be a mapping, got 5"),
        ({"arith__kind": "fp64_mac"}, "arith.kind", "unknown arithmetic unit 'fp64_mac'; allowed: 'int8_mac', 'int16_mac', 'fp8_mac', 'lmul', 'bf16_mac', 'fp16_mac', 'fp32_mac'"),
        ({"arith__input_format": "e4m3"}, "arith.input_format", "'e4m3' is not available for 'int8_mac'; allowed: 'int8'"),
        ({"arith__input_format": "fp4"}, "arith.input_format", "unknown input format 'fp4'; allowed: 'int8', 'int16', 'int32', 'e4m3', 'e5m2', 'fp16', 'bf16', 'fp32'"),
        ({"arith": {"kind": "fp8_mac", "accumulate_format": "int32"}}, "arith.accumulate_format", "'int32' is not available for 'fp8_mac'; allowed: 'fp32', 'fp16'"),
        ({"arith": {"kind": "lmul"}}, "arith.mantissa_bits", "required for 'lmul' (the L-Mul operand mantissa width, 1 to 7)"),
        ({"arith": {"kind": "lmul", "input_format": "e5m2", "mantissa_bits": 3}}, "arith.mantissa_bits", "must be <= 2 (the mantissa of 'e5m2'), got 3"),
        ({"arith__mantissa_bits": 3}, "arith.mantissa_bits", "applies only to 'lmul', not 'int8_mac'; remove it"),
        ({"arith__pipeline_depth": 0}, "arith.pipeline_depth", "must be >= 1, got 0"),
        ({"vector_unit": {"lanes": 8, "ops": ["exp", "tanh"]}}, "vector_unit.ops[1]", "unknown vector op 'tanh'; allowed: 'add', 'sub', 'mul', 'div', 'max', 'min', 'exp', 'recip', 'sqrt'"),
        ({"vector_unit": {"lanes": 0}}, "vector_unit.lanes", "must be >= 1, got 0"),
        ({"vector_unit": {"lanes": 8, "format": "int8"}}, "vector_unit.format", "unknown vector format 'int8'; allowed: 'fp32', 'fp16', 'bf16'"),
    ],
)
def test_single_error_is_pinned(changes, path, message):
    err = errors_of(spec(**changes))
    assert err.errors == [(path, message)]
    assert str(err) == f"t.yaml: 1 error in architecture spec:\n  {path}: {message}"


def test_null_required_value_is_named():
    err = errors_of(spec(pe_array__rows=None) | {})
    assert err.errors == [("pe_array.rows", "missing required field")]
    data = spec()
    data["pe_array"]["rows"] = None
    assert errors_of(data).errors == [("pe_array.rows", "missing required value (got null)")]


def test_malformed_yaml_names_the_line():
    err = errors_of("name: x\nlevels: [1, 2\n")
    assert len(err.errors) == 1
    path, message = err.errors[0]
    assert path.startswith("line ") and message.startswith("malformed YAML: ")


def test_top_level_must_be_a_mapping():
    assert errors_of("- 1\n- 2\n").errors == [("<top>", "must be a mapping, got [1, 2]")]


def test_lmul_spec_is_accepted():
    arch = parse_architecture(spec(arith={"kind": "lmul", "input_format": "e4m3", "mantissa_bits": 3, "accumulate_format": "fp16"}))
    assert arch.arith.mantissa_bits == 3 and arch.operand_bits == 8 and arch.accumulator_bits == 16


def test_error_paths_follow_yaml_positions():
    data = spec()
    data["levels"].append({"name": "l3", "capacity": 1 << 20, "word_bits": 64, "read_bandwidth": 0, "write_bandwidth": 8, "holds": ["any"]})
    assert errors_of(data).errors == [("levels[2].read_bandwidth", "must be > 0, got 0")]
