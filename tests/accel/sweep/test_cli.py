"""`accel sweep ...` and `accel demo` through click's CliRunner: output, --json, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from accel.cli import main
from accel.cli.demo import DEMO_SPEC

REPO = Path(__file__).resolve().parents[3]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", [(), ("run",), ("resume",), ("status",), ("export",), ("plot",)])
def test_every_sweep_command_has_help(command):
    result = invoke("sweep", *command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_demo_has_help_and_its_spec_is_the_example():
    assert invoke("demo", "--help").exit_code == 0
    example = yaml.safe_load((REPO / "examples" / "sweeps" / "fp8_lmul_int8.yaml").read_text())
    assert example == yaml.safe_load(DEMO_SPEC)


def test_examples_parse():
    from accel.sweep import load_spec

    for path in sorted((REPO / "examples" / "sweeps").glob("*.yaml")):
        assert load_spec(path).designs()


def test_run_status_export_plot(tmp_path, small_spec_path):
    store = tmp_path / "s.sqlite"
    run = invoke("sweep", "run", str(small_spec_path), "--store", str(store), "--workers", "0", "--json")
    assert run.exit_code == 0, run.output
    summary = json.loads(run.output)
    assert summary["counts"]["ok"] == 6 and summary["counts"]["infeasible"] == 6
    status = invoke("sweep", "status", str(store))
    assert "sweep 'small'" in status.output and "infeasible 6" in status.output
    assert json.loads(invoke("sweep", "status", str(store), "--json").output)["counts"]["total"] == 12
    resumed = json.loads(invoke("sweep", "resume", str(store), "--workers", "0", "--json").output)
    assert (resumed["evaluated"], resumed["reused"]) == (0, 12)
    out = tmp_path / "r.csv"
    exported = invoke("sweep", "export", str(store), str(out))
    assert exported.exit_code == 0 and f"wrote 12 rows to {out}" in exported.output
    plotted = invoke("sweep", "plot", str(store), "--out", str(tmp_path / "plots"), "--kind", "pareto", "--json")
    data = json.loads(plotted.output)
    assert Path(data["plots"]["pareto"]).is_file()
    assert data["pareto_front"] and all(r["spad"] == "normal" for r in data["pareto_front"])


def test_bad_spec_exits_2_with_the_message(tmp_path, small_spec_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(small_spec_path.read_text().replace("pe_array.rows: [4, 8]", "pe_array.rowz: [4, 8]"))
    result = invoke("sweep", "run", str(bad), "--store", str(tmp_path / "s.sqlite"), "--workers", "0")
    assert result.exit_code == 2
    assert "unknown dotted path 'pe_array.rowz'" in result.output
    assert not (tmp_path / "s.sqlite").exists()


def test_corrupt_or_missing_store_exits_2(tmp_path, small_spec_path):
    store = tmp_path / "s.sqlite"
    store.write_text("not a database")
    result = invoke("sweep", "run", str(small_spec_path), "--store", str(store), "--workers", "0")
    assert result.exit_code == 2 and "not a SQLite database (left untouched)" in result.output
    assert store.read_text() == "not a database"
    for cmd in ("status", "resume", "export"):
        args = [str(tmp_path / "none.sqlite")] + ([str(tmp_path / "x.csv")] if cmd == "export" else [])
        result = invoke("sweep", cmd, *args)
        assert result.exit_code == 2 and "no sweep store" in result.output


def _leaves(cmd, path=()):
    import click

    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from _leaves(sub, (*path, name))
    else:
        yield path, cmd


def test_every_accel_command_has_help_and_json():
    leaves = list(_leaves(main))
    assert ("sweep", "run") in [p for p, _ in leaves] and ("demo",) in [p for p, _ in leaves]
    for path, cmd in leaves:
        result = invoke(*path, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output, path
        assert "--json" in result.output, f"accel {' '.join(path)} has no --json"


def test_a_sweep_with_no_feasible_point_exits_3(tmp_path, small_spec_path):
    spec = tmp_path / "none.yaml"
    spec.write_text(small_spec_path.read_text().replace("- {label: normal, levels.scratchpad.capacity: 65536}\n", ""))
    result = CliRunner().invoke(
        main, ["sweep", "run", str(spec), "--store", str(tmp_path / "n.sqlite"), "--workers", "0", "--json"])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["counts"]["infeasible"] == 6
    assert "no design point of sweep 'small' is feasible (6 infeasible" in result.stderr
