"""The study registry, the shared run-argument checks and the `accel study` CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import studies
from accel.cli import main
from studies import StudyError
from studies._common import check_run_args


def test_names_are_the_five_studies_in_order():
    assert studies.names() == ("lmul_accuracy", "lmul_energy", "fusemax_attention", "cosma_traffic", "accelerator_pareto")


def test_every_study_states_claim_method_and_findings():
    for name in studies.names():
        doc = __import__(studies.STUDIES[name], fromlist=["run"]).__doc__
        assert "Claim reproduced" in doc or "Question" in doc, name
        assert "Method." in doc and "Findings" in doc, name


def test_unknown_study_is_named():
    with pytest.raises(StudyError, match=r"unknown study 'nope'; expected one of lmul_accuracy"):
        studies.run_study("nope", "x")
    with pytest.raises(TypeError, match="a study name must be a string, not 3"):
        studies.describe(3)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seed": -1}, StudyError, r"s: seed must be non-negative, not -1"),
        ({"seed": 1.5}, TypeError, r"s: seed must be an integer, not 1.5"),
        ({"reduced": "yes"}, TypeError, r"s: reduced must be a bool, not 'yes'"),
        ({"out_dir": 7}, TypeError, r"s: out_dir must be a folder path, not 7"),
    ],
)
def test_run_arguments_are_checked(tmp_path, kwargs, error, message):
    args = {"out_dir": tmp_path / "o", "reduced": True, "seed": 0, **kwargs}
    with pytest.raises(error, match=message):
        check_run_args("s", args["out_dir"], args["reduced"], args["seed"])


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(StudyError, match=r"out_dir '.*f' exists and is not a folder"):
        studies.run_study("fusemax_attention", f, reduced=True)


def test_cli_list_and_help():
    runner = CliRunner()
    out = runner.invoke(main, ["study", "list", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [r["name"] for r in rows] == list(studies.names())
    assert all(r["description"].startswith("Study ") for r in rows)
    assert runner.invoke(main, ["study", "run", "--help"]).exit_code == 0


def test_cli_unknown_study_exits_2(tmp_path):
    out = CliRunner().invoke(main, ["study", "run", "nope", "-o", str(tmp_path)])
    assert out.exit_code == 2
    assert "unknown study 'nope'" in out.output


def test_cli_runs_a_reduced_study(tmp_path):
    out = CliRunner().invoke(main, ["study", "run", "fusemax_attention", "--reduced", "-o", str(tmp_path), "--json"])
    assert out.exit_code == 0, out.output
    record = json.loads(out.output)
    assert record["reduced"] is True and record["name"] == "fusemax_attention"
    assert (tmp_path / "table.csv").is_file() and (tmp_path / "fusemax_attention.png").is_file()
    assert len(record["table"]) == 2 * 2 * 3  # N = 1K, 2K; 3-pass, 1-pass; unfused, FLAT-like, FuseMax-like
