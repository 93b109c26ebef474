"""Deriving variants by dotted path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accel import SpecError, builtin_architectures, derive, load_architecture, parse_architecture, to_yaml


def test_paths_of_every_shape():
    base = load_architecture("edge")
    arch = derive(
        base,
        {
            "clock_mhz": 800,
            "pe_array.rows": 32,
            "levels[1].capacity": 1 << 20,
            "levels.scratchpad.read_bandwidth": 64,
            "pe_array.col_ranks": ["n"],
            "name": "edge_big",
        },
    )
    assert arch.clock_mhz == 800.0
    assert arch.pe_array.rows == 32 and arch.pe_array.cols == 16
    assert arch.pe_array.col_ranks == ("n",)
    assert arch.level("l2").capacity == 1 << 20
    assert arch.level("scratchpad").read_bandwidth == 64
    assert arch.name == "edge_big"
    assert arch.peak_ops_per_second == 32 * 16 * 2 * 800e6
    # Everything else unchanged, and the base is untouched.
    assert arch.arith == base.arith and arch.dram == base.dram
    assert base.pe_array.rows == 16


def test_derived_variant_round_trips_through_yaml():
    arch = derive(load_architecture("tpu_like"), {"arith.kind": "fp8_mac", "levels.unified_buffer.capacity": 8 << 20})
    assert parse_architecture(to_yaml(arch)) == arch


def test_changing_arith_kind_resets_its_formats():
    arch = derive(load_architecture("tpu_like"), {"arith.kind": "bf16_mac"})
    assert (arch.arith.input_format, arch.arith.accumulate_format) == ("bf16", "fp32")
    lmul = derive(arch, {"arith.kind": "lmul", "arith.mantissa_bits": 4})
    assert (lmul.arith.input_format, lmul.arith.mantissa_bits, lmul.operand_bits) == ("bf16", 4, 13)
    back = derive(lmul, {"arith.kind": "int8_mac"})
    assert back.arith.mantissa_bits is None and back.arith.input_format == "int8"
    fp8 = derive(arch, {"arith.kind": "fp8_mac", "arith.input_format": "e5m2", "arith.accumulate_format": "fp16"})
    assert (fp8.arith.input_format, fp8.arith.accumulate_format) == ("e5m2", "fp16")


def test_sections_and_levels_replace_whole():
    base = load_architecture("edge")
    with_vu = derive(base, {"vector_unit": {"lanes": 16, "ops": ["exp", "max"]}})
    assert with_vu.vector_unit.lanes == 16 and with_vu.vector_unit.format == "fp32"
    assert derive(with_vu, {"vector_unit.lanes": 32}).vector_unit.lanes == 32
    assert derive(with_vu, {"vector_unit": None}).vector_unit is None
    new_level = {"name": "l3", "capacity": 4 << 20, "word_bits": 512, "read_bandwidth": 64, "write_bandwidth": 64, "holds": ["any"]}
    assert derive(base, {"levels[1]": new_level}).level_names == ("scratchpad", "l3")
    assert derive(base, {"levels.l2": new_level}).level_names == ("scratchpad", "l3")
    assert derive(base, {"dram.energy_per_byte": 20.0}).dram.energy_per_byte == 20.0
    assert derive(derive(base, {"dram.energy_per_byte": 20.0}), {"dram.energy_per_byte": None}).dram.energy_per_byte is None


def test_unknown_paths_are_all_named():
    base = load_architecture("edge")
    with pytest.raises(SpecError) as info:
        derive(base, {"pe_array.rowz": 1, "levels.l9.capacity": 3, "levels[5].capacity": 1, "colour": "red", "clock_mhz.x": 1,
                      "vector_unit.lanes": 4, "arith.kind.x": 1, "pe_array[0].rows": 1, "levels.l2.capacity.x": 1, "a..b": 1})
    assert str(info.value) == (
        "derive('edge'): 10 errors in derive paths:\n"
        "  pe_array.rowz: 'pe_array' has no field 'rowz'; allowed: col_ranks, cols, dataflow, fold_pipelining, hop_latency, network, row_ranks, rows\n"
        "  levels.l9.capacity: no level named 'l9'; levels: scratchpad, l2\n"
        "  levels[5].capacity: index 5 is out of range; levels has 2 entries\n"
        "  colour: unknown field 'colour'; allowed: arith, clock_mhz, description, dram, levels, name, pe_array, register_file, technology_nm, vector_unit\n"
        "  clock_mhz.x: 'clock_mhz' is a plain field; it has no index or sub-fields\n"
        "  vector_unit.lanes: 'vector_unit' is not present; set 'vector_unit' to a mapping first\n"
        "  arith.kind.x: too deep: fields of 'arith' are plain values\n"
        "  pe_array[0].rows: 'pe_array' is not a list; it takes no index\n"
        "  levels.l2.capacity.x: too deep: fields of 'levels' are plain values\n"
        "  a..b: malformed path segment ''; expected name or name[index]"
    )


def test_result_is_revalidated():
    base = load_architecture("edge")
    with pytest.raises(SpecError) as info:
        derive(base, {"levels[0].read_bandwidth": 0, "arith.kind": "int4_mac", "levels.l2.holds": []})
    assert info.value.errors == [
        ("levels[0].read_bandwidth", "must be > 0, got 0"),
        ("levels[1].holds", "holds no tensor; list roles ('input', 'weight', 'output', 'any') or tensor names"),
        ("arith.kind", "unknown arithmetic unit 'int4_mac'; allowed: 'int8_mac', 'int16_mac', 'fp8_mac', 'lmul', 'bf16_mac', 'fp16_mac', 'fp32_mac'"),
    ]
    assert str(info.value).startswith("derive('edge'): 3 errors in architecture spec:\n")


def test_changes_must_be_a_mapping():
    with pytest.raises(TypeError, match=r"derive expects a mapping of path -> value, not \['pe_array.rows'\]"):
        derive(load_architecture("edge"), ["pe_array.rows"])


@settings(max_examples=60)
@given(
    name=st.sampled_from(builtin_architectures()),
    rows=st.integers(1, 512),
    cols=st.integers(1, 512),
    clock=st.floats(1, 3000, allow_nan=False),
    level=st.integers(0, 3),
    capacity_kib=st.integers(1, 1 << 16),
    kind=st.sampled_from(["int8_mac", "fp8_mac", "bf16_mac", "fp16_mac", "fp32_mac", "int16_mac"]),
)
def test_any_valid_variant_round_trips(name, rows, cols, clock, level, capacity_kib, kind):
    base = load_architecture(name)
    idx = level % len(base.levels)
    arch = derive(base, {"pe_array.rows": rows, "pe_array.cols": cols, "clock_mhz": clock,
                         f"levels[{idx}].capacity": capacity_kib * 1024, "arith.kind": kind})
    assert parse_architecture(to_yaml(arch)) == arch
    assert arch.peak_ops_per_second == pytest.approx(2 * rows * cols * clock * 1e6)
