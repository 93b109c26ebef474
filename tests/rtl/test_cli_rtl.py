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
