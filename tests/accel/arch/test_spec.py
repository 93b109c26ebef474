"""Built-in architectures, the core types and YAML round trips."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

import accel
from accel import (
    DRAM,
    Architecture,
    ArithmeticUnit,
    MemoryLevel,
    PEArray,
    RegisterFile,
    VectorUnit,
    builtin_architectures,
    load_architecture,
    parse_architecture,
    to_dict,
    to_yaml,
)

# Peak throughput, hand-computed: rows * cols * macs_per_cycle * 2 ops * clock.
PEAK_OPS = {
    "tpu_like": 256 * 256 * 2 * 700e6,  # 91.75 TOPS, the TPU v1's 92 TOPS
    "eyeriss_like": 12 * 14 * 2 * 200e6,  # 67.2 GOPS
    "fusemax_like": 256 * 256 * 2 * 940e6,  # 123.2 TOPS
    "edge": 16 * 16 * 2 * 400e6,  # 204.8 GOPS
}


def test_builtin_names_match_shipped_files():
    assert builtin_architectures() == ("tpu_like", "eyeriss_like", "fusemax_like", "edge")
    shipped = {p.name for p in resources.files("accel").joinpath("examples").iterdir() if p.name.endswith(".yaml")}
    assert {f"{n}.yaml" for n in builtin_architectures()} <= shipped


def test_every_shipped_example_file_loads():
    # Example files beyond the built-ins (e.g. the H100 model used by `accel calibrate`) must load too.
    folder = resources.files("accel").joinpath("examples")
    for entry in folder.iterdir():
        if entry.name.endswith(".yaml"):
            arch = load_architecture(str(entry))
            assert arch.name == entry.name.removesuffix(".yaml")


@pytest.mark.parametrize("name", builtin_architectures())
def test_every_example_loads_and_round_trips(name):
    arch = load_architecture(name)
    assert isinstance(arch, Architecture)
    assert arch.name == name
    text = to_yaml(arch)
    again = parse_architecture(text)
    assert again == arch
    assert to_yaml(again) == text
    assert parse_architecture(to_dict(arch)) == arch


@pytest.mark.parametrize("name", builtin_architectures())
def test_peak_ops_per_second(name):
    arch = load_architecture(name)
    assert arch.peak_ops_per_second == pytest.approx(PEAK_OPS[name], rel=1e-12)


def test_example_file_loads_by_path(tmp_path):
    text = resources.files("accel").joinpath("examples", "edge.yaml").read_text()
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    assert load_architecture(path) == load_architecture("edge")
    assert load_architecture(str(path)) == load_architecture("edge")


def test_unknown_name_lists_builtins():
    with pytest.raises(FileNotFoundError, match=r"no architecture file or built-in named 'nope'; built-ins: tpu_like, eyeriss_like"):
        load_architecture("nope")


def test_derived_properties_tpu_like():
    arch = load_architecture("tpu_like")
    assert arch.num_pes == 65536
    assert arch.peak_macs_per_cycle == 65536
    assert arch.clock_hz == 700e6
    assert arch.operand_bits == 8 and arch.accumulator_bits == 32
    assert arch.level_names == ("accumulators", "weight_fifo", "unified_buffer")
    assert arch.level("weight_fifo").capacity == 262144
    assert arch.level_index("unified_buffer") == 2
    assert arch.dram_bytes_per_second == pytest.approx(48.57 * 700e6)
    assert arch.peak_vector_ops_per_second == 0.0
    ub = arch.level("unified_buffer")
    assert ub.can_hold("Q", role="input") and not ub.can_hold("W", role="weight")
    assert arch.register_file.can_hold("W", role="weight")
    with pytest.raises(ValueError, match=r"architecture 'tpu_like' has no memory level 'l3'; levels: accumulators, weight_fifo, unified_buffer"):
        arch.level("l3")


def test_fusemax_like_vector_unit_and_hbm():
    arch = load_architecture("fusemax_like")
    assert arch.vector_unit == VectorUnit(lanes=256, ops_per_cycle=1, ops=("add", "sub", "mul", "div", "max", "exp"), format="fp32", pipeline_depth=4)
    assert arch.peak_vector_ops_per_second == 256 * 940e6
    assert arch.dram.energy_per_byte == 31.2
    assert arch.operand_bits == 16 and arch.accumulator_bits == 32


def test_lmul_operand_bits():
    unit = ArithmeticUnit("lmul", "bf16", "fp32", mantissa_bits=3)
    assert unit.operand_bits == 1 + 8 + 3
    assert ArithmeticUnit("fp8_mac", "e5m2", "fp16").operand_bits == 8
    assert ArithmeticUnit("fp8_mac", "e5m2", "fp16").accumulator_bits == 16


def test_yaml_has_explicit_defaults_and_no_nulls():
    arch = parse_architecture(
        """
name: tiny
clock_mhz: 100
technology_nm: 45
pe_array: {rows: 2, cols: 2, network: broadcast}
register_file: {capacity: 4, word_bits: 8, holds: [any]}
levels:
  - {name: buf, capacity: 1024, word_bits: 32, read_bandwidth: 4, write_bandwidth: 4, holds: [any]}
dram: {bandwidth: 1, latency: 10}
arith: {kind: fp8_mac}
"""
    )
    data = yaml.safe_load(to_yaml(arch))
    assert data["arith"] == {"kind": "fp8_mac", "input_format": "e4m3", "accumulate_format": "fp32", "pipeline_depth": 1, "macs_per_cycle": 1}
    assert data["pe_array"]["dataflow"] == "flexible" and data["pe_array"]["hop_latency"] == 1
    assert data["levels"][0]["ports"] == 1 and data["levels"][0]["banks"] == 1 and data["levels"][0]["latency"] == 1
    assert "energy_per_byte" not in data["dram"] and "vector_unit" not in data
    assert parse_architecture(data) == arch


def test_parse_rejects_other_types():
    with pytest.raises(TypeError, match=r"parse_architecture expects YAML text or a mapping, not int: 3"):
        parse_architecture(3)


def test_types_are_frozen():
    arch = load_architecture("edge")
    with pytest.raises(AttributeError):
        arch.clock_mhz = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "make, exc, message",
    [
        (lambda: PEArray(rows=0, cols=4), ValueError, r"pe_array.rows must be >= 1, not 0"),
        (lambda: PEArray(rows=4, cols=4, network="mesh"), ValueError, r"pe_array.network must be one of \('systolic', 'broadcast'\), not 'mesh'"),
        (lambda: PEArray(rows=True, cols=4), TypeError, r"pe_array.rows must be an integer, not True"),
        (lambda: PEArray(rows=4, cols=4, fold_pipelining=1), TypeError, r"pe_array.fold_pipelining must be true or false, not 1"),
        (lambda: RegisterFile(capacity=4, word_bits=8, holds=()), ValueError, r"register_file.holds must name at least one tensor or role, not \(\)"),
        (lambda: MemoryLevel("buf", 1024, 32, 0, 4), ValueError, r"levels.buf.read_bandwidth must be > 0, not 0"),
        (lambda: MemoryLevel("2buf", 1024, 32, 4, 4), ValueError, r"memory level name must be an identifier, not '2buf'"),
        (lambda: DRAM(bandwidth=8, latency=-1), ValueError, r"dram.latency must be >= 0, not -1"),
        (lambda: DRAM(bandwidth=float("inf"), latency=1), ValueError, r"dram.bandwidth must be finite, not inf"),
        (lambda: PEArray(rows=4, cols=4, row_ranks=3), TypeError, r"pe_array.row_ranks must be a sequence of non-empty names, not 3"),
        (lambda: ArithmeticUnit("int4_mac", "int8", "int32"), ValueError, r"arith.kind must be one of \('int8_mac', "),
        (lambda: ArithmeticUnit("fp8_mac", "int8", "fp32"), ValueError, r"arith.input_format for 'fp8_mac' must be one of \('e4m3', 'e5m2'\), not 'int8'"),
        (lambda: ArithmeticUnit("lmul", "e4m3", "fp32", mantissa_bits=4), ValueError, r"arith.mantissa_bits must be <= 3 for 'e4m3', not 4"),
        (lambda: ArithmeticUnit("int8_mac", "int8", "int32", mantissa_bits=3), ValueError, r"arith.mantissa_bits applies only to 'lmul', not 'int8_mac' \(got 3\)"),
        (lambda: VectorUnit(lanes=4, ops=("exp", "tanh")), ValueError, r"vector_unit.ops must be drawn from .*, not 'tanh'"),
    ],
)
def test_constructors_check_arguments(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_architecture_rejects_duplicate_levels():
    base = load_architecture("edge")
    lvl = base.levels[0]
    with pytest.raises(ValueError, match=r"architecture 'edge' has duplicate level names \['scratchpad'\]"):
        Architecture(
            name="edge", clock_mhz=1, technology_nm=22, pe_array=base.pe_array, register_file=base.register_file,
            levels=(lvl, lvl), dram=base.dram, arith=base.arith,
        )


def test_public_api_is_listed():
    for name in ("Architecture", "PEArray", "RegisterFile", "MemoryLevel", "DRAM", "ArithmeticUnit", "SpecError",
                 "load_architecture", "parse_architecture", "builtin_architectures", "derive", "to_dict", "to_yaml",
                 "energy_table", "default_registry", "EstimatorRegistry", "Estimator", "Estimate", "UserTableEstimator"):
        assert name in accel.__all__ and hasattr(accel, name)
