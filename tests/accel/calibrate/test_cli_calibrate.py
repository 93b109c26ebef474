"""`accel calibrate` through click's runner."""

import json

import pytest
from click.testing import CliRunner

from accel.cli import main


@pytest.fixture()
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args))


def _file(tmp_path, rows):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"device": "NVIDIA H100 80GB HBM3", "rows": rows}))
    return str(path)


def test_help(run):
    r = run("calibrate", "--help")
    assert r.exit_code == 0 and "MEASUREMENTS" in r.output and "--fit" in r.output


def test_default_files_summary(run):
    r = run("calibrate", "--summary-only")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split()[:5] == ["device", "model", "split", "scope", "rows"]
    for device in ("h100", "h200"):
        assert any(line.split()[:3] == [device, "simpy", "held-out"] and "goal rows" in line for line in lines)


def test_rows_and_json(run, tmp_path):
    path = _file(tmp_path, [{"kind": "gemm_bf16", "m": 4096, "n": 4096, "k": 4096, "ms": 0.1833},
                            {"kind": "copy", "bytes": 536870912, "ms": 0.1818}])
    r = run("calibrate", path, "--model", "analytical")
    assert r.exit_code == 0, r.output
    assert "m.json#0" in r.output and "gemm_bf16 m=4096 n=4096 k=4096" in r.output and "held-out" in r.output
    r = run("calibrate", path, "--model", "simpy", "--json")
    data = json.loads(r.output)
    assert [(row["model"], row["row"], row["split"]) for row in data["rows"]] == [("simpy", 0, "held-out"), ("simpy", 1, "held-out")]
    assert data["rows"][0]["measured_ms"] == 0.1833 and abs(data["rows"][0]["rel_error"]) < 0.1
    assert {s["scope"] for s in data["summary"]} == {"all rows", "goal rows"}
    assert data["knobs"]["provenance"]["model"] == "analytical"


def test_bad_input_exits_2_naming_the_row(run, tmp_path):
    path = _file(tmp_path, [{"kind": "gemm_bf16", "m": 64, "n": 64, "k": 64, "us": 3.0}])
    r = run("calibrate", path)
    assert r.exit_code == 2
    assert "row 0 (gemm_bf16): unknown field 'us'" in r.output
    r = run("calibrate", str(tmp_path / "nope.json"))
    assert r.exit_code == 2 and "nope.json" in r.output
    r = run("calibrate", "--save", str(tmp_path / "k.json"))
    assert r.exit_code == 2 and "--save writes fitted knobs; give --fit too" in r.output
    r = run("calibrate", "--joint")
    assert r.exit_code == 2 and "--joint chooses the rows of a fit; give --fit too" in r.output


def test_unknown_device_or_kind_exits_2(run, tmp_path):
    path = tmp_path / "a100.json"
    path.write_text(json.dumps({"device": "NVIDIA A100-SXM4-80GB", "rows": [{"kind": "copy", "bytes": 2097152, "ms": 0.005}]}))
    r = run("calibrate", str(path))
    assert r.exit_code == 2 and "a100.json: 'device' 'NVIDIA A100-SXM4-80GB' is not a modelled GPU" in r.output
    r = run("calibrate", str(path), "--arch", "h100", "--model", "analytical", "--summary-only")
    assert r.exit_code == 0, r.output
    path = _file(tmp_path, [{"kind": "copy", "bytes": 2097152, "ms": 0.005},
                            {"kind": "rmsnorm_bf16", "rows": 4, "cols": 1024, "ms": 0.01}])
    r = run("calibrate", path)
    assert r.exit_code == 2 and "m.json: 1 error in measurement file:" in r.output and "row 1: kind must be one of" in r.output


def test_fit_and_save(run, tmp_path):
    path = _file(tmp_path, [{"kind": "copy", "bytes": 536870912, "ms": 0.1818},
                            {"kind": "copy", "bytes": 4294967296, "ms": 1.422}])
    out = tmp_path / "k.json"
    r = run("calibrate", path, "--fit", "--calibration-file", "m.json", "--save", str(out), "--summary-only")
    assert r.exit_code == 0, r.output
    assert "fitted knobs:" in r.output
    saved = json.loads(out.read_text())
    assert saved["provenance"]["calibration_rows"] == "m.json#0;m.json#1"
