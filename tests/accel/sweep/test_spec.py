"""Sweep spec: parse, validate (pinned messages), build."""

from __future__ import annotations

import textwrap

import pytest

from accel.sweep import Axis, SweepSpecError, load_spec, parse_spec

BASE = """
name: s
base: edge
workloads:
  - {name: gemm, params: {M: 32, N: 32, K: 32}}
axes:
  pe_array.rows: [8, 16]
  unit:
    - {label: int8, arith.kind: int8_mac}
    - {label: lmul, arith.kind: lmul, arith.input_format: e4m3, arith.mantissa_bits: 3}
mapping: {mapper: search, samples: 200, seed: 0}
"""


def spec(extra: str = "", **replace: str):
    text = BASE
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_spec(text + textwrap.dedent(extra), source="t.yaml")


def test_valid_spec_builds_typed_parts():
    s = spec()
    assert s.name == "s" and s.base.name == "edge"
    assert [a.name for a in s.axes] == ["pe_array.rows", "unit"]
    unit = s.axes[1]
    assert unit.linked and unit.labels == ("int8", "lmul")
    assert unit.paths == ("arith.kind", "arith.input_format", "arith.mantissa_bits")
    assert s.workloads[0].label == "gemm(M=32,N=32,K=32)"
    assert s.sampling.method == "grid" and s.mapping.samples == 200
    assert s.objectives == ("latency", "energy", "area")
    assert len(s.designs()) == 4


def test_unknown_dotted_path_names_it_and_lists_paths_near_it():
    with pytest.raises(SweepSpecError, match=r"axes\.pe_array\.rowz: unknown dotted path 'pe_array\.rowz'.*near it: pe_array\.rows"):
        spec(**{"pe_array.rows: [8, 16]": "pe_array.rowz: [8, 16]"})


def test_unknown_level_name_in_linked_axis():
    with pytest.raises(SweepSpecError, match=r"axes\.unit\[0\]\.levels\.scratchpd\.capacity: unknown dotted path.*no level named 'scratchpd'"):
        spec(**{"{label: int8, arith.kind: int8_mac}": "{label: int8, levels.scratchpd.capacity: 4}"})


def test_empty_axis():
    with pytest.raises(SweepSpecError, match=r"axes\.pe_array\.rows: empty axis: give at least one value"):
        spec(**{"pe_array.rows: [8, 16]": "pe_array.rows: []"})


def test_every_error_is_collected():
    with pytest.raises(SweepSpecError) as info:
        spec(**{"pe_array.rows: [8, 16]": "pe_array.rows: []", "name: s": "name: 3", "seed: 0}": "seed: 0, colour: red}"})
    paths = [p for p, _ in info.value.errors]
    assert paths == ["name", "axes.pe_array.rows", "mapping"]
    assert "3 errors in sweep spec" in str(info.value)


def test_value_invalid_in_every_design_is_an_error():
    with pytest.raises(SweepSpecError, match=r"axes\.pe_array\.rows: value -4 gives an invalid architecture in every design point: pe_array\.rows"):
        spec(**{"pe_array.rows: [8, 16]": "pe_array.rows: [8, -4]"})


def test_value_invalid_only_in_some_combinations_is_accepted():
    # lmul with 3 mantissa bits is fine for e4m3 but not for e5m2 (2 mantissa bits): those points are 'invalid' at run time.
    s = spec(**{"pe_array.rows: [8, 16]": "arith.input_format: [e4m3, e5m2]",
                "{label: int8, arith.kind: int8_mac}": "{label: fp8, arith.kind: fp8_mac}",
                "{label: lmul, arith.kind: lmul, arith.input_format: e4m3, arith.mantissa_bits: 3}":
                "{label: lmul, arith.kind: lmul, arith.mantissa_bits: 3}"})
    assert len(s.designs()) == 4


def test_unknown_top_key_and_sampling_without_seed():
    with pytest.raises(SweepSpecError) as info:
        spec("sampling: {method: lhs, samples: 10}\naxis: 3\n")
    text = str(info.value)
    assert "axis: unknown key 'axis'" in text
    assert "sampling.seed: lhs sampling needs an explicit seed: an integer >= 0, not None" in text


def test_range_axis_needs_steps_on_a_grid():
    with pytest.raises(SweepSpecError, match=r"axes\.clock_mhz: a range axis needs 'steps' for grid sampling"):
        spec("", **{"pe_array.rows: [8, 16]": "clock_mhz: {range: [200, 800]}"})


def test_unknown_workload_and_base():
    with pytest.raises(SweepSpecError, match=r"workloads\[0\]: .*unknown workload 'gemmm'"):
        spec(**{"{name: gemm, params: {M: 32, N: 32, K: 32}}": "gemmm"})
    with pytest.raises(SweepSpecError, match=r"base: .*'nope'"):
        spec(**{"base: edge": "base: nope"})


def test_bad_yaml_and_non_mapping():
    with pytest.raises(SweepSpecError, match=r"not valid YAML"):
        parse_spec("a: [1, 2", source="x")
    with pytest.raises(SweepSpecError, match=r"a sweep spec must be a mapping, not \[1, 2\]"):
        parse_spec("[1, 2]", source="x")


def test_load_spec_resolves_relative_files(tmp_path):
    (tmp_path / "w.yaml").write_text("name: w\nshapes: {m: 8, n: 8, k: 8}\neinsums:\n  - Z[m,n] = A[m,k] * B[k,n]\n")
    (tmp_path / "s.yaml").write_text(BASE.replace("{name: gemm, params: {M: 32, N: 32, K: 32}}", "{file: w.yaml}"))
    s = load_spec(tmp_path / "s.yaml")
    assert s.workloads[0].label == "w"
    assert s.workloads[0].cascade().shapes == {"m": 8, "n": 8, "k": 8}
    with pytest.raises(FileNotFoundError, match="no sweep spec"):
        load_spec(tmp_path / "missing.yaml")


def test_axis_checks_its_own_arguments():
    with pytest.raises(ValueError, match=r"axis 'x' needs either a non-empty list of values or a range"):
        Axis("x")
    with pytest.raises(ValueError, match=r"a log range needs low > 0, not 0\.0"):
        Axis("x", low=0.0, high=4.0, scale="log")


def test_onnx_model_is_a_workload(tmp_path):
    # Every command that takes a workload also takes an ONNX model: a sweep spec's `file:` too.
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["Z"], name="mm")],
        "g",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["rows", 16]),
         helper.make_tensor_value_info("B", TensorProto.FLOAT, [16, 8])],
        [helper.make_tensor_value_info("Z", TensorProto.FLOAT, ["rows", 8])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, tmp_path / "mm.onnx")
    (tmp_path / "s.yaml").write_text(
        BASE.replace("{name: gemm, params: {M: 32, N: 32, K: 32}}", "{file: mm.onnx, params: {rows: 4}}"))
    s = load_spec(tmp_path / "s.yaml")
    assert s.workloads[0].label == "mm"
    assert s.workloads[0].cascade().macs() == 4 * 16 * 8
    (tmp_path / "bad.yaml").write_text(BASE.replace("{name: gemm, params: {M: 32, N: 32, K: 32}}", "{file: w.yaml, params: {M: 4}}"))
    (tmp_path / "w.yaml").write_text("name: w\nshapes: {m: 8, n: 8, k: 8}\neinsums:\n  - Z[m,n] = A[m,k] * B[k,n]\n")
    with pytest.raises(SweepSpecError, match=r"params apply only to built-in workloads and ONNX models, not to file 'w.yaml'"):
        load_spec(tmp_path / "bad.yaml")
