"""`accel simulate WORKLOAD ARCH`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from accel import derive, load_architecture, to_yaml
from accel.cli import main


@pytest.fixture(scope="module")
def arch_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("arch") / "small.yaml"
    path.write_text(to_yaml(derive(load_architecture("tpu_like"), {"pe_array.rows": 4, "pe_array.cols": 4})))
    return str(path)


def _run(*args):
    return CliRunner().invoke(main, ["simulate", *args])


def test_text_report_and_trace(arch_file, tmp_path):
    trace = tmp_path / "mlp.json"
    res = _run("mlp", arch_file, "-p", "N=4", "-p", "sizes=16,32,8", "--trace", str(trace), "--time-limit", "2",
               "--fusion", "none")
    assert res.exit_code == 0, res.output
    for heading in ("cycles by cause", "energy (pJ) by component", "energy (pJ) by action", "analytical", "schedule: greedy-belady"):
        assert heading in res.output
    doc = json.loads(trace.read_text())
    assert any(e["ph"] == "X" and e["cat"] == "compute" for e in doc["traceEvents"])


def test_json_report(arch_file, tmp_path):
    res = _run("gemm", arch_file, "-p", "M=16", "-p", "N=8", "-p", "K=16", "--json", "--no-trace", "--scheduler", "none")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    rep = data["report"]
    assert rep["simulator"] == "cycle" and rep["macs"] == 16 * 8 * 16
    assert sum(rep["cycles_by_cause"].values()) == rep["total_cycles"]
    assert data["analytical"]["simulator"] == "analytical" and data["trace"] is None and data["schedule"] is None


def test_map_for_schedule_prices_the_same_traffic_in_both_models(arch_file):
    res = _run("mlp", arch_file, "-p", "N=4", "-p", "sizes=16,32,8", "--json", "--no-trace", "--map-for-schedule")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    sim, ana = data["report"], data["analytical"]
    assert data["schedule"]["method"] == "greedy-belady"
    assert ana["energy_pj"] == pytest.approx(sim["energy_pj"], rel=1e-9)


def test_help():
    res = _run("--help")
    assert res.exit_code == 0 and "--scratchpad" in res.output and "--trace" in res.output


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["no_such_workload", "tpu_like"], 2, "no_such_workload"),
        (["gemm", "no_such_arch"], 2, "no_such_arch"),
        (["gemm", "ARCH", "-p", "M=8", "-p", "N=8", "-p", "K=8", "--scratchpad", "100B"], 3, "is larger than the scratchpad (100 bytes)"),
        (["gemm", "ARCH", "--scheduler", "none", "--scratchpad", "1KiB"], 2, "--scratchpad needs a scheduler"),
        (["gemm", "ARCH", "--scheduler", "none", "--map-for-schedule"], 2, "--map-for-schedule needs a scheduler"),
    ],
)
def test_bad_input(arch_file, args, code, message):
    res = _run(*[arch_file if a == "ARCH" else a for a in args], "--no-trace")
    assert res.exit_code == code, res.output
    assert message in res.output
