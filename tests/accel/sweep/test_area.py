"""The sweep's area models: ``area: rtl`` prices the PE array the architecture describes, as Yosys measured it."""

from __future__ import annotations

import pytest

from accel import area_table, derive, load_architecture
from accel.sweep import parse_spec, results_frame, run_sweep
from accel.sweep._area import area_registry, design_area

pytest.importorskip("rtl.synth")

# A 2x2 INT8 array at 45 nm (the node of the synthesized cell areas): one PE synthesis per design, a few seconds.
SPEC = """
name: rtl_rank
base: edge
set: {technology_nm: 45, pe_array.rows: 2, pe_array.cols: 2}
workloads: [{name: gemm, params: {M: 4, N: 4, K: 8}}]
axes:
  variant:
    - {label: deep, arith.pipeline_depth: 3}
    - {label: shallow, arith.pipeline_depth: 1}
    - {label: one_word_rf, arith.pipeline_depth: 1, register_file.capacity: 4}
mapping: {mapper: search, samples: 20, seed: 0}
area: MODEL
"""


def _edge(**changes):
    base = {"technology_nm": 45, "pe_array.rows": 2, "pe_array.cols": 2}
    return derive(load_architecture("edge"), {**base, **changes})


@pytest.mark.slow
def test_a_sweep_ranks_designs_by_the_synthesized_array(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the synthesis cache goes to build/synth-cache here
    store = tmp_path / "rtl.sqlite"
    run_sweep(parse_spec(SPEC.replace("MODEL", "rtl")), store, workers=0)
    frame = results_frame(store).set_index("variant")
    assert (frame["status"] == "ok").all()
    # Pipeline registers cost area; a one-word register file leaves out the PE's result register.
    assert list(frame.sort_values("area_mm2").index) == ["one_word_rf", "shallow", "deep"]
    cache = tmp_path / "build" / "synth-cache"
    assert len([p for p in cache.iterdir() if (p / "result.json").exists()]) == 3  # one PE per design

    # The same designs priced by the table: the depth and the result register are invisible to it.
    table = tmp_path / "table.sqlite"
    run_sweep(parse_spec(SPEC.replace("MODEL", "table")), table, workers=0)
    by_table = results_frame(table).set_index("variant")["area_mm2"]
    assert by_table["deep"] == by_table["shallow"]

    # What the sweep stored is the synthesized PE times the PEs plus the table's buffers.
    registry = area_registry("rtl", cache_dir=cache)
    cached = registry.estimators[0].table
    pe = cached.find("pe", kind="int8", acc_bits=32, dataflow="output_stationary", depth=3, capture=True)
    assert cached.synthesized == 0  # read back from disk, not resynthesized
    parts = dict(design_area(_edge(**{"arith.pipeline_depth": 3}), registry))
    assert "mac" not in parts and "rf" not in parts
    assert parts["pe_array"] == pytest.approx(4 * pe.area_um2 / 1e6)
    assert frame.loc["deep", "area_mm2"] == pytest.approx(sum(parts.values()))


def test_the_pe_array_falls_back_to_macs_where_the_generator_builds_none(tmp_path):
    registry = area_registry("rtl", cache_dir=tmp_path)
    # A flexible dataflow has no generated array; bf16 has no generated MAC: the table answers, nothing is synthesized.
    arch = derive(load_architecture("fusemax_like"), {"pe_array.rows": 4, "pe_array.cols": 4})
    keys = [e.key for e in area_table(arch, registry).entries]
    assert keys[:2] == ["mac", "rf"] and "pe_array" not in keys
    assert all(e.estimate.estimator != "rtl_synthesis" for e in area_table(arch, registry).entries)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_unknown_area_model():
    with pytest.raises(ValueError, match=r"area model must be one of \('table', 'rtl'\), not 'yosys'"):
        area_registry("yosys")


FPGA_SPEC = """
name: rtl_fpga
base: edge
set: {technology_nm: 45, pe_array.rows: 2, pe_array.cols: 2}
workloads: [{name: gemm, params: {M: 4, N: 4, K: 8}}]
axes:
  arith.pipeline_depth: [1, 3]
mapping: {mapper: search, samples: 20, seed: 0}
area: rtl
fpga: TARGET
"""


@pytest.mark.slow
@pytest.mark.parametrize("target, dsps", [("ecp5", 4), ("ice40", 0)])
def test_an_rtl_sweep_carries_the_arrays_fpga_resources(tmp_path, monkeypatch, target, dsps):
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "fpga.sqlite"
    spec = parse_spec(FPGA_SPEC.replace("TARGET", target))
    run_sweep(spec, store, workers=0)
    frame = results_frame(store).set_index("arith.pipeline_depth")
    assert (frame["status"] == "ok").all()
    columns = ["fpga.luts", "fpga.carries", "fpga.ffs", "fpga.dsps", "fpga.brams"]
    assert set(columns) <= set(frame.columns)
    # Each column is 2 x 2 of the PE as synth_<target> counted it, read back from the same cache.
    registry = area_registry("rtl", cache_dir=tmp_path / "build" / "synth-cache")
    cache = registry.estimators[0].table
    for depth in (1, 3):
        pe = cache.fpga("pe", {"kind": "int8", "acc_bits": 32, "dataflow": "output_stationary", "depth": depth,
                               "capture": True}, target)
        assert [frame.loc[depth, c] for c in columns] == [4 * pe[r] for r in ("luts", "carries", "ffs", "dsps", "brams")]
    assert cache.synthesized == 0
    # ECP5 keeps each PE's multiplier in a DSP block, synth_ice40 (no -dsp) builds it of LUTs; the
    # deeper pipeline's stage registers are flip-flops: a sweep can rank the designs by them.
    assert (frame["fpga.dsps"] == dsps).all()
    assert list(frame.sort_values("fpga.ffs").index) == [1, 3]
    # Resuming the finished sweep plans the same tasks (same keys), so nothing is evaluated again.
    assert run_sweep(spec, store, workers=0).evaluated == 0


def test_fpga_columns_need_the_rtl_area_model():
    from accel.sweep import SweepSpecError

    with pytest.raises(SweepSpecError, match="fpga.*needs `area: rtl`"):
        parse_spec(FPGA_SPEC.replace("area: rtl", "area: table").replace("TARGET", "ecp5"))
    with pytest.raises(SweepSpecError, match="fpga.*must be one of ecp5, ice40, not 'xilinx'"):
        parse_spec(FPGA_SPEC.replace("TARGET", "xilinx"))
    assert parse_spec(FPGA_SPEC.replace("fpga: TARGET", "")).fpga == "ecp5"


def test_the_synthesized_array_is_scaled_to_the_architectures_node(tmp_path):
    registry = area_registry("rtl", cache_dir=tmp_path)
    table = area_registry("table")
    at45 = dict(design_area(_edge(), registry))
    at22 = dict(design_area(_edge(technology_nm=22), registry))
    assert "pe_array" in at22 and "mac" not in at22
    # The same factor by which the table's own PE array (MACs plus register files) shrinks from 45 to 22 nm.
    factor = (sum(v for k, v in design_area(_edge(technology_nm=22), table) if k in ("mac", "rf"))
              / sum(v for k, v in design_area(_edge(), table) if k in ("mac", "rf")))
    assert at22["pe_array"] == pytest.approx(at45["pe_array"] * factor)
    assert factor < 0.5 and registry.estimators[0].table.synthesized == 1  # one PE, synthesized once for both
