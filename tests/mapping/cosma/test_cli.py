"""`accel schedule` through click's CliRunner."""

import json

from click.testing import CliRunner

from accel.cli import main

SMALL = ["-p", "M=16", "-p", "P=16", "-p", "E=4", "-p", "F=4"]


def test_text_output_and_picture(tmp_path):
    png = tmp_path / "mem.png"
    result = CliRunner().invoke(
        main, ["schedule", "attention_3pass", *SMALL, "--scratchpad", "1KiB", "--png", str(png), "--time-limit", "10"]
    )
    assert result.exit_code == 0, result.output
    assert "method ilp (schedule from ilp), optimal" in result.output
    for name in ("QK", "GM", "SN", "SD", "AV"):
        assert f"  {name} " in result.output
    assert "DRAM traffic:" in result.output and "non-compulsory" in result.output
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_json_output_is_consistent(tmp_path):
    args = ["schedule", "attention_1pass", *SMALL, "-p", "M0=4", "--scratchpad", "700B", "--method", "greedy-lru",
            "--png", str(tmp_path / "m.png"), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["method"] == "greedy-lru" and record["scratchpad"] == 700
    traffic = record["traffic"]
    assert traffic["total"] == traffic["compulsory"] + traffic["non_compulsory"]
    assert traffic["total"] == traffic["load_bytes"] + traffic["store_bytes"]
    assert [s["operator"] for s in record["steps"]][0] == "BQK"


def test_divide_method_and_no_png():
    args = ["schedule", "attention_1pass", *SMALL, "-p", "M0=4", "--scratchpad", "4KiB", "--method", "divide", "--window", "3",
            "--lookahead", "1", "--solver", "highs", "--no-png", "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["method"] == "divide" and record["png"] is None and record["traffic"]["non_compulsory"] == 0


def test_exit_codes():
    runner = CliRunner()
    bad = runner.invoke(main, ["schedule", "attention_3pass", *SMALL, "--scratchpad", "0KiB", "--no-png"])
    assert bad.exit_code == 2 and "size must be positive, not '0KiB'" in bad.output
    small = runner.invoke(main, ["schedule", "attention_3pass", *SMALL, "--scratchpad", "100B", "--no-png"])
    assert small.exit_code == 3 and "larger than the scratchpad" in small.output
    unknown = runner.invoke(main, ["schedule", "no_such_workload", "--scratchpad", "1MiB", "--no-png"])
    assert unknown.exit_code == 2
    method = runner.invoke(main, ["schedule", "attention_3pass", "--scratchpad", "1MiB", "--method", "magic"])
    assert method.exit_code == 2
    assert "--scratchpad" in runner.invoke(main, ["schedule", "--help"]).output


def test_yaml_workload(tmp_path):
    from pathlib import Path

    import dataflow

    path = Path(dataflow.__file__).parent / "examples" / "gemm.yaml"
    result = CliRunner().invoke(main, ["schedule", str(path), "--scratchpad", "1MiB", "--no-png", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["status"] == "optimal"
    missing = CliRunner().invoke(main, ["schedule", str(tmp_path / "none.yaml"), "--scratchpad", "1MiB", "--no-png"])
    assert missing.exit_code == 2 and "none.yaml" in missing.output


def test_scratchpad_from_an_architecture():
    runner = CliRunner()
    result = runner.invoke(main, ["schedule", "attention_3pass", *SMALL, "--arch", "edge", "--level", "scratchpad",
                                  "--no-png", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["scratchpad"] == 65536
    both = runner.invoke(main, ["schedule", "attention_3pass", "--arch", "edge", "--scratchpad", "1MiB"])
    assert both.exit_code == 2 and "exactly one of --scratchpad SIZE and --arch NAME" in both.output
    level = runner.invoke(main, ["schedule", "attention_3pass", *SMALL, "--arch", "edge", "--level", "l3", "--no-png"])
    assert level.exit_code == 2 and "has no level 'l3'; it has 'scratchpad', 'l2'" in level.output
    arch = runner.invoke(main, ["schedule", "attention_3pass", *SMALL, "--arch", "nope", "--no-png"])
    assert arch.exit_code == 2 and "nope" in arch.output
