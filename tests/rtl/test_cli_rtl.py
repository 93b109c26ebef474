"""`accel rtl generate / area / fpga` through click's CliRunner."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from accel.cli import main
from rtl.synth import NEXTPNR_INSTALL


def _run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("command", ["generate", "area", "fpga"])
def test_help(command):
    result = _run("rtl", command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


def test_generate_writes_verilog_and_yosys_script(tmp_path):
    result = _run("rtl", "generate", "lmul", "--params", "fmt=e5m2,saturate=true", "-o", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["label"] == "lmul[fmt=e5m2,saturate=True]"
    verilog = (tmp_path / "lmul.v").read_text()
    assert "module lmul(" in verilog and "input [7:0] a" in verilog
    script = (tmp_path / "lmul.ys").read_text()
    assert "read_verilog lmul.v" in script and "synth_ice40 -top lmul" in script


def test_generate_array_text_output(tmp_path):
    result = _run("rtl", "generate", "array", "--params", "rows=3,cols=2,kind=int8,dataflow=weight_stationary", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and (tmp_path / "array.v").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "fp8_mul", "--params", "fmt=e3m4"], "unsupported format 'e3m4'"),
        (["generate", "array", "--params", "rows=0"], "rows must be in [1, 64], not 0"),
        (["generate", "lmul", "--params", "exp_bits=5,man_bits=11"], "at most 10 mantissa bits"),
        (["generate", "mul16"], "unknown unit 'mul16'"),
        (["fpga", "all", "--params", "rows=2"], "--params cannot be combined with UNIT 'all'"),
        (["area", "--unit", "lmul:fmt=e9m1"], "exp_bits must be in [2, 8], not 9"),
    ],
)
def test_bad_input_exits_2(tmp_path, args, message):
    if args[0] == "generate":
        args = args + ["-o", str(tmp_path)]
    result = _run("rtl", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_area_table_for_chosen_units(tmp_path):
    result = _run("rtl", "area", "--unit", "lmul", "--unit", "fp8_mul:fmt=e4m3", "--workdir", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["label"] for r in data["rows"]] == ["lmul", "fp8_mul"]
    assert 0 < data["lmul_over_fp8_mul"]["e4m3.gate_equivalents"] < 0.6
    text = _run("rtl", "area", "--unit", "lmul", "--workdir", str(tmp_path))
    assert text.exit_code == 0 and "LUT4" in text.output and "pJ per gate equivalent" in text.output


@pytest.mark.skipif(shutil.which("nextpnr-ice40") is None, reason=f"nextpnr-ice40 is not installed: {NEXTPNR_INSTALL}")
def test_fpga_reports_luts_and_fmax(tmp_path):
    result = _run("rtl", "fpga", "lmul", "--target", "ice40", "--device", "up5k", "--workdir", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    (r,) = json.loads(result.output)["results"]
    assert r["fits"] and r["fmax_mhz"] > 5 and r["luts"] > 0 and r["ffs"] == 24


SMALL_ARCH = """
name: cli_small
description: 2x3 INT8 output-stationary array
clock_mhz: 100
technology_nm: 22
pe_array: {rows: 2, cols: 3, row_ranks: [m], col_ranks: [n], network: systolic, hop_latency: 1,
           dataflow: output_stationary}
register_file: {capacity: 4, word_bits: 32, holds: [output]}
levels:
  - {name: scratchpad, capacity: 65536, word_bits: 64, read_bandwidth: 64, write_bandwidth: 64, ports: 2, banks: 8,
     holds: [any], latency: 1}
dram: {bandwidth: 16, latency: 10}
arith: {kind: int8_mac, input_format: int8, accumulate_format: int32, pipeline_depth: 2, macs_per_cycle: 1}
"""


def test_generate_from_arch_builds_the_array_and_the_accelerator(tmp_path):
    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL_ARCH)
    result = _run("rtl", "generate", "--arch", str(spec), "-o", str(tmp_path / "a"), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert (info["unit"], info["rows"], info["cols"], info["depth"]) == ("array", 2, 3, 2)
    assert "module cli_small_array(" in (tmp_path / "a" / "cli_small_array.v").read_text()
    mapping = tmp_path / "map.yaml"
    mapped = _run("map", "gemm", str(spec), "-p", "M=4", "-p", "N=3", "-p", "K=3", "-o", str(mapping))
    assert mapped.exit_code == 0, mapped.output
    result = _run("rtl", "generate", "--arch", str(spec), "--workload", "gemm", "-p", "M=4", "-p", "N=3", "-p", "K=3",
                  "--mapping", str(mapping), "-o", str(tmp_path / "b"), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["unit"] == "accelerator" and (info["row_operand"], info["col_operand"]) == ("A", "B")
    # 2 x 3 PEs, T = 3 beats, depth 2: every fold takes T + R + C - 2 + 1 cycles.
    assert info["beats_per_fold"] == 3 and info["fold_interval"] == 3 + 2 + 3 - 2 + 1
    assert info["array_cycles"] == info["folds"] * info["fold_interval"]
    text = _run("rtl", "generate", "--arch", str(spec), "--workload", "gemm", "-p", "M=4", "-p", "N=3", "-p", "K=3",
                "--mapping", str(mapping), "-o", str(tmp_path / "c"))
    assert text.exit_code == 0 and "A along the rows, B down the columns" in text.output


def test_generate_refuses_what_it_cannot_build(tmp_path):
    result = _run("rtl", "generate", "--arch", "fusemax_like", "-o", str(tmp_path))
    assert result.exit_code == 2
    assert "pe_array.dataflow 'flexible' has no generator" in result.output
    result = _run("rtl", "generate", "--arch", "eyeriss_like", "-o", str(tmp_path))
    assert result.exit_code == 2 and "pe_array.dataflow 'row_stationary'" in result.output
    result = _run("rtl", "generate", "int8_mac", "--arch", "edge", "-o", str(tmp_path))
    assert result.exit_code == 2 and "give either UNIT or --arch" in result.output
    result = _run("rtl", "generate", "int8_mac", "--params", "depth=4", "-o", str(tmp_path))
    assert result.exit_code == 2 and "depth must be in [1, 3], not 4" in result.output
    result = _run("rtl", "fpga", "int8_mac", "--target", "ecp5", "--device", "hx8k")
    assert result.exit_code == 2 and "'hx8k' is not a ecp5 device" in result.output


def test_ecp5_place_and_route_reports_resources(tmp_path):
    result = _run("rtl", "fpga", "int8_mac", "--params", "depth=3", "--target", "ecp5", "--device", "25k",
                  "--workdir", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    (r,) = json.loads(result.output)["results"]
    assert r["fits"] and r["fmax_mhz"] > 0 and r["device"] == "25k"
    assert r["dsps"] == 1 and r["luts"] > 0 and r["ffs"] >= 8 + 8 + 32  # operands and accumulator registered


def test_ecp5_design_that_does_not_fit_says_what_it_needs(tmp_path):
    from rtl.hdl import build_unit
    from rtl.synth import run_ecp5

    design = build_unit("array", {"kind": "int8", "rows": 6, "cols": 5, "dataflow": "weight_stationary"})
    r = run_ecp5(design.component, design.label, tmp_path, device="25k")
    assert not r.fits and r.dsps == 30
    assert r.message == ("does not fit the LFE5U-25F: needs 18x18 multipliers 30 of 28; multipliers can go to LUTs "
                         "(hard_multipliers=N keeps N in DSP blocks; --no-dsp none)")


def test_ecp5_multipliers_past_the_dsp_budget_go_to_luts(tmp_path):
    from rtl.hdl import SystolicArray, arith
    from rtl.synth import ecp5_hard_multipliers, run_ecp5

    int8 = arith("int8")
    assert ecp5_hard_multipliers(int8, 30, "25k") == 28
    assert ecp5_hard_multipliers(int8, 256, "85k") == 156
    assert ecp5_hard_multipliers(int8, 156, "85k") is None  # all fit: nothing to choose
    assert ecp5_hard_multipliers(arith("lmul"), 4096, "85k") is None  # L-Mul multiplies with an adder
    with pytest.raises(ValueError, match=r"device must be one of \['25k', '45k', '85k'\], not '12k'"):
        ecp5_hard_multipliers(int8, 4, "12k")
    # Two of six PEs multiply in LUTs: four DSP blocks, more LUTs than with all six in DSPs.
    mixed = run_ecp5(SystolicArray(int8, 2, 3, "weight_stationary", hard_multipliers=4), "mixed", tmp_path / "m",
                     device="25k", place=False, generic=False)
    full = run_ecp5(SystolicArray(int8, 2, 3, "weight_stationary"), "full", tmp_path / "f", device="25k",
                    place=False, generic=False)
    assert (mixed.dsps, full.dsps) == (4, 6)
    assert mixed.luts + 2 * mixed.carries > full.luts + 2 * full.carries + 2 * 40
    with pytest.raises(ValueError, match=r"SystolicArray: hard_multipliers must be in \[0, 6\], not 7"):
        SystolicArray(int8, 2, 3, hard_multipliers=7)


def test_an_arch_array_past_the_dsp_budget_is_built_with_the_rest_in_luts(tmp_path):
    from accel.cli.rtl import _from_arch

    spec = tmp_path / "wide.yaml"
    spec.write_text(SMALL_ARCH.replace("rows: 2, cols: 3", "rows: 6, cols: 5"))
    _kind, _label, comp, info = _from_arch(str(spec), None, (), None, None, ecp5_device="25k")
    assert info["hard_multipliers"] == comp.hard_multipliers == 28  # of 30 PEs: the LFE5U-25F has 28 DSP blocks
    _kind, _label, comp, info = _from_arch(str(spec), None, (), None, None, ecp5_device="85k")
    assert "hard_multipliers" not in info and comp.hard_multipliers == 30
    _kind, _label, acc, info = _from_arch(str(spec), "gemm", ("M=6", "N=5", "K=2"), None, None, ecp5_device="25k")
    assert info["hard_multipliers"] == acc.hard_multipliers == 28


def test_generate_a_weight_stationary_accelerator(tmp_path):
    spec = tmp_path / "ws.yaml"
    spec.write_text(SMALL_ARCH.replace("row_ranks: [m], col_ranks: [n]", "row_ranks: [k], col_ranks: [n]")
                    .replace("dataflow: output_stationary", "dataflow: weight_stationary"))
    constraints = tmp_path / "c.yaml"
    constraints.write_text("constraints:\n  - levels: {rf: {order: [m]}}\n")
    mapping = tmp_path / "map.yaml"
    mapped = _run("map", "gemm", str(spec), "-p", "M=4", "-p", "N=3", "-p", "K=3", "--constraints", str(constraints),
                  "-o", str(mapping))
    assert mapped.exit_code == 0, mapped.output
    result = _run("rtl", "generate", "--arch", str(spec), "--workload", "gemm", "-p", "M=4", "-p", "N=3", "-p", "K=3",
                  "--mapping", str(mapping), "-o", str(tmp_path / "ws"), "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert (info["dataflow"], info["double_buffered_weights"]) == ("weight_stationary", False)
    assert (info["row_operand"], info["col_operand"]) == ("A", "B")
    # A fold: R weight beats, T beats, the skew and the drain (2R + C + T - 2 + depth - 1).
    assert info["fold_interval"] == 2 * 2 + 3 + info["beats_per_fold"] - 2 + 1
    assert info["array_cycles"] == info["folds"] * info["fold_interval"]
