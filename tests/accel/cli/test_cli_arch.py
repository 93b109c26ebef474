"""`accel arch list` and `accel arch show` through click's CliRunner."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from accel import load_architecture, to_dict, to_yaml
from accel.cli import main


def run(*args):
    return CliRunner().invoke(main, ["arch", *args])


def test_help():
    for args in (["--help"], ["list", "--help"], ["show", "--help"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
    assert "--set PATH=VALUE" in run("show", "--help").output


def test_list_table_and_json():
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "PEs", "arith", "clock", "node", "peak", "description"]
    assert [ln.split()[0] for ln in lines[2:]] == ["tpu_like", "eyeriss_like", "fusemax_like", "edge"]
    assert "91.75 Top/s" in lines[2]
    data = json.loads(run("list", "--json").output)
    assert [d["name"] for d in data] == ["tpu_like", "eyeriss_like", "fusemax_like", "edge"]
    assert data[3]["peak_ops_per_second"] == 16 * 16 * 2 * 400e6


def test_show_prints_hierarchy_peak_dram_and_energy_sources():
    result = run("show", "tpu_like")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "PE array: 256 x 256 = 65536 PEs, weight_stationary, systolic network" in out
    assert "peak: 65536 MAC/cycle = 91.75 Top/s (2 ops per MAC)" in out
    assert "DRAM: 34 GB/s, 70 cycles" in out
    hierarchy = [ln.split()[0] for ln in out.split("memory hierarchy")[1].splitlines()[3:8]]
    assert hierarchy == ["rf", "accumulators", "weight_fifo", "unified_buffer", "dram"]
    assert "unified_buffer  24 MiB    2048 b  256" in out
    mac_line = next(ln for ln in out.splitlines() if ln.startswith("mac "))
    assert "0.1553" in mac_line and "horowitz_45nm" in mac_line and "Horowitz, ISSCC 2014" in mac_line
    assert "to 28 nm (Stillmaker & Baas" in mac_line
    assert "area (logic and storage):" in out


def test_show_json_matches_the_library():
    data = json.loads(run("show", "fusemax_like", "--json").output)
    arch = load_architecture("fusemax_like")
    assert data["architecture"] == json.loads(json.dumps(to_dict(arch)))
    assert data["summary"]["peak_ops_per_second"] == arch.peak_ops_per_second
    assert data["summary"]["peak_vector_ops_per_second"] == 256 * 940e6
    assert data["energy"]["dram.read"]["source"] == "architecture spec: dram.energy_per_byte"
    assert data["energy"]["mac"]["pJ"] == pytest.approx(1.74401, rel=1e-5)


def test_show_with_set_and_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(to_yaml(load_architecture("edge")))
    data = json.loads(run("show", str(path), "--set", "pe_array.rows=32", "--set", "levels.l2.holds=[input, output]", "--json").output)
    assert data["architecture"]["pe_array"]["rows"] == 32
    assert data["architecture"]["levels"][1]["holds"] == ["input", "output"]
    assert data["summary"]["peak_ops_per_second"] == 32 * 16 * 2 * 400e6


def test_show_prints_fold_pipelining():
    line = lambda out: next(ln for ln in out.splitlines() if ln.startswith("PE array:"))  # noqa: E731
    assert line(run("show", "tpu_like").output).endswith(", fold pipelining off")  # the default
    on = run("show", "tpu_like", "--set", "pe_array.fold_pipelining=true")
    assert on.exit_code == 0, on.output
    assert line(on.output).endswith(", fold pipelining on")
    data = json.loads(run("show", "edge", "--set", "pe_array.fold_pipelining=true", "--json").output)
    assert data["architecture"]["pe_array"]["fold_pipelining"] is True
    assert json.loads(run("show", "edge", "--json").output)["architecture"]["pe_array"]["fold_pipelining"] is False
    bad = run("show", "edge", "--set", "pe_array.fold_pipelining=maybe")
    assert bad.exit_code == 2
    assert "pe_array.fold_pipelining: must be true or false, got 'maybe'" in bad.output


def test_show_with_user_table(tmp_path):
    table = tmp_path / "t.yaml"
    table.write_text(yaml.safe_dump({"name": "mylib", "source": "lab", "energy": [{"component": "mac", "action": "compute", "pJ": 0.05}]}))
    result = run("show", "edge", "--table", str(table))
    assert result.exit_code == 0, result.output
    mac_line = next(ln for ln in result.output.splitlines() if ln.startswith("mac "))
    assert mac_line.split()[:4] == ["mac", "0.05", "MAC", "mylib"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["nope"], "error: no architecture file or built-in named 'nope'; built-ins: tpu_like, eyeriss_like, fusemax_like, edge"),
        (["edge", "--set", "levels[0].read_bandwidth=0", "--set", "arith.kind=int4"],
         "error: derive('edge'): 2 errors in architecture spec:\n  levels[0].read_bandwidth: must be > 0, got 0\n"
         "  arith.kind: unknown arithmetic unit 'int4'; allowed: 'int8_mac'"),
        (["edge", "--set", "pe_array.rowz=3"], "error: derive('edge'): 1 error in derive paths:\n  pe_array.rowz: 'pe_array' has no field 'rowz'"),
        (["edge", "--set", "rows"], "Invalid value for --set: expected PATH=VALUE (e.g. pe_array.rows=32), got 'rows'"),
    ],
)
def test_show_bad_input_exits_2(args, message):
    result = run("show", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_show_node_without_estimates_still_shows_the_architecture():
    # A valid spec that no estimator covers is shown; the missing estimates are named, not invented.
    result = run("show", "edge", "--set", "technology_nm=3")
    assert result.exit_code == 0, result.output
    assert "memory hierarchy" in result.output
    assert "energy: no estimator answers for 8 action(s) of 'edge'" in result.output
    assert "energy per action:" not in result.output
    data = json.loads(run("show", "edge", "--set", "technology_nm=3", "--json").output)
    assert data["energy"] is None and data["area"] is None
    assert data["unavailable"][0].startswith("energy: no estimator answers")


def test_show_bad_file_reports_all_errors(tmp_path):
    path = tmp_path / "bad.yaml"
    data = to_dict(load_architecture("edge"))
    data["clock_mhz"] = -1
    data["levels"][1]["banks"] = 0
    path.write_text(yaml.safe_dump(data))
    result = run("show", str(path))
    assert result.exit_code == 2
    assert f"error: {path}: 2 errors in architecture spec:\n  clock_mhz: must be > 0, got -1\n  levels[1].banks: must be >= 1, got 0" in result.output
