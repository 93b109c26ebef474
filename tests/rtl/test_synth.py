"""Yosys synthesis of every unit, gate equivalents, the RTL estimator and the iCE40 flow."""

from __future__ import annotations

import shutil

import pytest

from accel import Action, Component, default_registry
from rtl.hdl import ToolMissingError, build_unit
from rtl.synth import (
    GE_WEIGHTS,
    NEXTPNR_INSTALL,
    AreaTable,
    RTLSynthesisEstimator,
    SynthCache,
    SynthResult,
    gate_equivalents,
    require_nextpnr,
    rtl_registry,
    run_fpga,
    synthesize,
    yosys_script,
)
from rtl.synth._calibration import calibration_verilog
from rtl.synth._yosys import synthesize_verilog

# Every unit once, with parameters that keep synthesis quick.
UNITS = [
    ("int8_mac", {"acc_bits": 16}),
    ("fp8_mul", {"fmt": "e4m3"}),
    ("lmul", {"fmt": "e4m3"}),
    ("fp8_mac", {"fmt": "e4m3", "accumulator": "fp16"}),
    ("lmul_mac", {"fmt": "e4m3", "accumulator": "fp16"}),
    ("pe", {"kind": "int8", "acc_bits": 16, "dataflow": "weight_stationary"}),
    ("array", {"kind": "int8", "acc_bits": 16, "rows": 2, "cols": 2, "dataflow": "weight_stationary"}),
]


def test_every_unit_synthesizes_and_feeds_the_estimator(tmp_path):
    # One test on purpose: each unit is synthesized once, whatever pytest-xdist does.
    synthesized = {unit: synthesize(build_unit(unit, params), tmp_path / unit) for unit, params in UNITS}
    cal = {
        top: synthesize_verilog(text, top, tmp_path / top, label=top, unit=top)
        for top, text in calibration_verilog().items()
    }
    table = AreaTable(rows=tuple(synthesized.values()), mult8=cal["calib_mult8"], add8=cal["calib_add8"])
    _check_units(synthesized)
    _check_lmul_ratio(synthesized, table)
    _check_calibration(table)
    _check_estimator(table)


def _check_units(synthesized):
    for unit, flops in [("int8_mac", 16), ("fp8_mul", 0), ("lmul", 0), ("fp8_mac", 16), ("lmul_mac", 16)]:
        r = synthesized[unit]
        assert r.generic_cells > 0 and r.gate_equivalents > r.generic_cells * 0.6, unit
        assert r.ice40_luts > 0, unit
        assert r.generic_ffs == flops and r.ice40_ffs == flops, unit
        assert r.area_um2 == pytest.approx(r.gate_equivalents * 0.798)
    pe, array = synthesized["pe"], synthesized["array"]
    # 2x2 PEs plus skew and deskew registers: more than four PEs' worth of flip-flops.
    assert array.ice40_ffs > 4 * pe.ice40_ffs
    assert 3 * pe.ice40_luts < array.ice40_luts


def _check_lmul_ratio(synthesized, table):
    lmul, fp8 = synthesized["lmul"], synthesized["fp8_mul"]
    assert lmul.gate_equivalents < 0.6 * fp8.gate_equivalents
    assert lmul.ice40_luts < 0.6 * fp8.ice40_luts
    assert table.lmul_ratio("e4m3") == pytest.approx(lmul.gate_equivalents / fp8.gate_equivalents)
    assert table.lmul_ratio("e5m2") is None
    with pytest.raises(ValueError, match=r"lmul_ratio: unknown metric 'area'"):
        table.lmul_ratio("e4m3", "area")


def _check_calibration(table):
    assert table.pj_per_ge * table.mult8.gate_equivalents == pytest.approx(0.2)
    # The 8-bit adder cross-check lands within a factor 2 of Horowitz's 0.03 pJ.
    assert 0.015 < table.add8_check_pj < 0.06
    data = table.as_dict()
    assert [r["label"] for r in data["rows"]][:3] == ["int8_mac[acc_bits=16]", "fp8_mul", "lmul"]
    assert data["lmul_over_fp8_mul"]["e4m3.gate_equivalents"] < 0.6


def test_gate_equivalent_weights():
    assert gate_equivalents({"$_NAND_": 3, "$_XOR_": 2, "$_NOT_": 3}) == pytest.approx(3 + 4 + 2.01)
    assert gate_equivalents({"$_SDFFE_PP0P_": 1}) == pytest.approx(5.67 + 2.33 + 1.33)
    assert gate_equivalents({"$_DFF_P_": 2}) == pytest.approx(11.34)
    assert GE_WEIGHTS["$_MUX_"] == 2.33
    with pytest.raises(ValueError, match=r"no gate-equivalent weight for cell type 'SB_LUT4'"):
        gate_equivalents({"SB_LUT4": 1})


def test_yosys_script_runs_both_flows():
    text = yosys_script("lmul", "lmul.v", ice40_json="n.json")
    assert "synth -flatten -top lmul" in text and "synth_ice40 -top lmul" in text and "write_json n.json" in text


def _check_estimator(table):
    registry = rtl_registry(table)
    act = Action.of("mac", "compute", kind="lmul", input_format="e4m3", accumulate_format="fp16", mantissa_bits=3, technology_nm=45)
    est = registry.energy(act)
    assert est.estimator == "rtl_synthesis" and est.accuracy == 80 and est.unit == "pJ"
    row = table.find("lmul_mac", fmt="e4m3", accumulator="fp16")
    assert est.value == pytest.approx(row.gate_equivalents * table.pj_per_ge)
    assert "NAND2-equivalents" in est.source and "Horowitz" in est.source
    fp8 = registry.energy(Action.of("mac", "compute", kind="fp8_mac", input_format="e4m3", accumulate_format="fp16", technology_nm=45))
    assert fp8.estimator == "rtl_synthesis" and fp8.value > est.value * 0.8
    area = registry.area(Component.of("mac", kind="int8_mac", input_format="int8", accumulate_format="int32", technology_nm=45))
    assert area is None or area.estimator != "rtl_synthesis"  # the table holds a 16-bit INT8 MAC only
    mul = registry.energy(Action.of("fp_mult", "compute", format="e4m3"))
    assert mul.estimator == "rtl_synthesis"
    assert mul.value == pytest.approx(table.find("fp8_mul", fmt="e4m3").gate_equivalents * table.pj_per_ge)
    # Other nodes, other mantissa widths and other units fall through to the next estimator.
    other = registry.energy(Action.of("mac", "compute", kind="lmul", input_format="e4m3", accumulate_format="fp16", mantissa_bits=3, technology_nm=7))
    assert other is None or other.estimator != "rtl_synthesis"
    est_only = RTLSynthesisEstimator(table)
    assert est_only.energy(Action.of("mac", "compute", kind="lmul", input_format="e4m3", accumulate_format="fp16", mantissa_bits=2)) is None
    assert est_only.energy(Action.of("mac", "compute", kind="bf16_mac", input_format="bf16", accumulate_format="fp32")) is None
    assert est_only.area(Component.of("mac", kind="lmul", input_format="e4m3", accumulate_format="fp16")).unit == "um2"
    assert len(registry.estimators) == len(default_registry().estimators) + 1
    with pytest.raises(TypeError, match=r"table must be an AreaTable or a SynthCache, not 3"):
        RTLSynthesisEstimator(3)


needs_nextpnr = pytest.mark.skipif(shutil.which("nextpnr-ice40") is None, reason=f"nextpnr-ice40 is not installed: {NEXTPNR_INSTALL}")


@needs_nextpnr
def test_fpga_flow_on_a_small_pe_array(tmp_path):
    design = build_unit("array", {"kind": "int8", "acc_bits": 16, "rows": 1, "cols": 2, "dataflow": "weight_stationary"})
    r = run_fpga(design, tmp_path, device="hx8k")
    assert r.fits, r.message
    assert r.fmax_mhz is not None and r.fmax_mhz > 5
    assert r.synth.ice40_luts > 0 and r.synth.ice40_ffs > 0 and r.logic_cells >= r.synth.ice40_luts
    assert r.as_dict()["device"] == "hx8k"


@needs_nextpnr
def test_fpga_reports_a_unit_too_big_for_the_device(tmp_path):
    r = run_fpga(build_unit("fp8_mul"), tmp_path, device="up5k")
    assert not r.fits and r.fmax_mhz is None
    assert r.message == "needs 50 IO pins, the up5k sg48 has 39"


def test_fpga_bad_input(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"device must be one of \['hx8k', 'up5k'\], not 'ecp5'"):
        run_fpga(build_unit("lmul"), tmp_path, device="ecp5")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError, match=r"nextpnr-ice40 not found on PATH .*apt-get install nextpnr-ice40"):
        require_nextpnr()


def _row(unit, ge, **params):
    return SynthResult(label=unit, unit=unit, params=tuple(sorted(params.items())), generic_cells=int(ge),
                       gate_equivalents=float(ge), generic_ffs=0, ice40_luts=1, ice40_carries=0, ice40_ffs=0,
                       generic_by_type=())


def _array(**changes):
    attrs = dict(rows=4, cols=2, dataflow="output_stationary", network="systolic", hop_latency=1, macs_per_cycle=1,
                 kind="int8_mac", input_format="int8", accumulate_format="int32", pipeline_depth=2, rf_capacity=8,
                 rf_word_bits=32, rf_holds_output=True, technology_nm=45)
    attrs.update(changes)
    return Component.of("pe_array", **{k: v for k, v in attrs.items() if v is not None})


def test_the_estimator_prices_the_generated_pe_array():
    pe = dict(kind="int8", acc_bits=32, dataflow="output_stationary")
    rows = (_row("pe", 1000, **pe, depth=2, capture=True), _row("pe", 900, **pe, depth=2, capture=False),
            _row("pe", 950, **pe, depth=1, capture=True), _row("int8_mac", 700, acc_bits=32, depth=2))
    est = RTLSynthesisEstimator(AreaTable(rows=rows, mult8=_row("calib_mult8", 400), add8=_row("calib_add8", 40)))
    answer = est.area(_array())
    assert answer.value == pytest.approx(8 * 1000 * 0.798) and answer.estimator == "rtl_synthesis"
    assert "x 8 PEs" in answer.source and "iCE40: 1 LUT4s" in answer.source
    # The result register needs two accumulator words in a register file that holds outputs.
    assert est.area(_array(rf_capacity=7)).value == pytest.approx(8 * 900 * 0.798)
    assert est.area(_array(rf_holds_output=False)).value == pytest.approx(8 * 900 * 0.798)
    assert est.area(_array(pipeline_depth=1)).value == pytest.approx(8 * 950 * 0.798)
    # The MAC alone at its depth; a depth the table lacks is not answered.
    assert est.area(Component.of("mac", kind="int8_mac", input_format="int8", accumulate_format="int32",
                                 pipeline_depth=2)).value == pytest.approx(700 * 0.798)
    assert est.area(Component.of("mac", kind="int8_mac", pipeline_depth=1)) is None
    # What the generator does not build: no answer, so the next estimator answers.
    for changes in ({"network": "broadcast"}, {"hop_latency": 2}, {"macs_per_cycle": 2}, {"dataflow": "flexible"},
                    {"rows": 65}, {"pipeline_depth": 4}, {"technology_nm": 3}, {"kind": "bf16_mac"},
                    {"kind": "lmul", "input_format": "e4m3", "accumulate_format": "fp32", "mantissa_bits": 2}):
        assert est.area(_array(**changes)) is None, changes


def test_the_cache_synthesizes_each_unit_once(tmp_path):
    first = SynthCache(tmp_path)
    row = first.find("lmul", fmt="e4m3")
    assert first.synthesized == 1 and row.gate_equivalents > 0
    assert first.find("lmul", fmt="e4m3") is row and first.synthesized == 1
    again = SynthCache(tmp_path)  # a later process: read back from disk
    assert again.find("lmul", fmt="e4m3") == row and again.synthesized == 0
    entries = sorted(p.name for p in tmp_path.iterdir())
    assert len(entries) == 1 and entries[0].startswith("lmul-") and (tmp_path / entries[0] / "result.json").exists()
    # Other Verilog, another key; a unit the generator refuses is not answered.
    assert again.key("module a; endmodule", "a") != again.key("module b; endmodule", "b")
    assert again.find("int8_mac", depth=9) is None
    with pytest.raises(ValueError, match=r"Mac: depth must be in \[1, 3\], not 9"):
        again.result("int8_mac", {"depth": 9})
    with pytest.raises(TypeError, match=r"SynthCache: root must be a folder path, not 3"):
        SynthCache(3)


def test_fpga_resources_refuse_an_unknown_target_before_any_synthesis(tmp_path):
    from rtl.synth import SynthCache

    cache = SynthCache(tmp_path / "cache")
    with pytest.raises(ValueError, match=r"target must be one of \('ice40', 'ecp5'\), not 'xilinx'"):
        cache.fpga("pe", {"kind": "int8", "acc_bits": 32}, "xilinx")
    assert cache.synthesized == 0 and not (tmp_path / "cache").exists()


def test_the_synthesized_area_scales_to_other_nodes_as_the_default_registry_does():
    pe = dict(kind="int8", acc_bits=32, dataflow="output_stationary")
    rows = (_row("pe", 1000, **pe, depth=2, capture=True), _row("int8_mac", 700, acc_bits=32, depth=2))
    est = RTLSynthesisEstimator(AreaTable(rows=rows, mult8=_row("calib_mult8", 400), add8=_row("calib_add8", 40)))
    table = default_registry()
    mac = dict(kind="int8_mac", input_format="int8", accumulate_format="int32", pipeline_depth=2)
    at45 = est.area(_array()).value
    for node in (7, 22, 45, 90, 180):
        factor = (table.area(Component.of("mac", **mac, technology_nm=node)).value
                  / table.area(Component.of("mac", **mac, technology_nm=45)).value)
        array = est.area(_array(technology_nm=node))
        assert array.value == pytest.approx(at45 * factor)
        assert est.area(Component.of("mac", **mac, technology_nm=node)).value == pytest.approx(700 * 0.798 * factor)
        assert ("from 45 nm to" in array.source) == (node != 45)
    assert est.area(_array(technology_nm=22)).value < at45 < est.area(_array(technology_nm=90)).value
    # Outside the registry's 7-180 nm no area; energy stays at 45 nm only.
    assert est.area(_array(technology_nm=3)) is None
    assert est.energy(Action.of("mac", "compute", **mac, technology_nm=22)) is None
