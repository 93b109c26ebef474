"""Every command with ``--json``, run as a user runs it (a subprocess): stdout is one JSON document and nothing else.

Solver banners (HiGHS prints one per process on C-level stdout), progress and logs, including those of sweep
workers in their own processes, must go to stderr or nowhere. The list of commands is read from the CLI itself,
so a new command without a case here fails the coverage test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from accel.cli import main

ACCEL = str(Path(sys.executable).with_name("accel"))

SWEEP = """\
name: json_probe
description: two points on the edge array, scheduled, through a worker process
base: edge
workloads:
  - {name: gemm, params: {M: 32, N: 32, K: 32}}
axes:
  pe_array.rows: [4, 8]
sampling: {method: grid}
mapping: {mapper: ilp, solver: highs, objective: edp, schedule: greedy-belady}
objectives: [latency, energy]
"""


def _tiny_onnx(path: Path) -> Path:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3), name="w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [w],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def _prepare(tmp: Path) -> None:
    """The input files the cases read."""
    (tmp / "sweep.yaml").write_text(SWEEP)
    _tiny_onnx(tmp / "tiny.onnx")
    from tests.accel.arch.test_zigzag import SPEC as ZIGZAG_SPEC

    (tmp / "zz.yaml").write_text(ZIGZAG_SPEC)
    (tmp / "gemm_map.yaml").write_text("mappings:\n  - einsum: Z\n    nest:\n      - dram: {m: 2}\n"
                                       "      - spatial_rows: {m: 16}\n      - spatial_cols: {n: 16}\n      - rf: {k: 16}\n")


def _cases(tmp: Path) -> dict[str, list[str]]:
    spec = tmp / "sweep.yaml"
    store = str(tmp / "sweep.sqlite")
    return {
        "workload list": ["workload", "list"],
        "workload show": ["workload", "show", "attention_1pass", "-p", "M=64", "-p", "P=64"],
        "workload import": ["workload", "import", str(tmp / "tiny.onnx"), "-o", str(tmp / "tiny.yaml")],
        "arch list": ["arch", "list"],
        "arch show": ["arch", "show", "fusemax_like"],
        "arch import": ["arch", "import", str(tmp / "zz.yaml"), "-o", str(tmp / "zz.accel.yaml")],
        "map": ["map", "gemm", "tpu_like", "-p", "M=512", "-p", "N=512", "-p", "K=512"],
        "schedule": ["schedule", "attention_1pass", "--arch", "fusemax_like", "-p", "M=256", "-p", "P=256",
                     "--solver", "highs", "--time-limit", "5"],
        "evaluate": ["evaluate", "gemm", "edge", "-p", "M=32", "-p", "N=16", "-p", "K=16", "--mapping",
                     str(tmp / "gemm_map.yaml")],
        "simulate": ["simulate", "gemm", "edge", "-p", "M=64", "-p", "N=64", "-p", "K=64", "--no-trace"],
        "calibrate": ["calibrate", "--model", "analytical", "--summary-only"],
        "sweep run": ["sweep", "run", str(spec), "--store", store, "--workers", "1"],
        "sweep resume": ["sweep", "resume", store, "--workers", "0"],
        "sweep status": ["sweep", "status", store],
        "sweep export": ["sweep", "export", store, str(tmp / "export.csv")],
        "sweep plot": ["sweep", "plot", store, "-o", str(tmp / "plots")],
        "rtl generate": ["rtl", "generate", "int8_mac", "-o", str(tmp / "rtl")],
        "rtl area": ["rtl", "area", "--unit", "int8_mac"],
        "rtl fpga": ["rtl", "fpga", "int8_mac"],
        "study list": ["study", "list"],
        "study run": ["study", "run", "cosma_traffic", "--reduced", "-o", str(tmp / "study")],
    }


#: Commands left out, each with the reason (every other command must have a case above).
SKIPPED = {
    # The demo is a fixed 12-point sweep of M = P = 1024 attention (half a minute on 2 cores); `sweep run` above
    # goes through the same runner, workers and printing.
    "demo": "same code path as sweep run",
}


def _leaves(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _leaves(cmd, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), cmd


def test_every_command_has_json_and_a_case(tmp_path):
    leaves = dict(_leaves(main))
    assert all(any(p.name == "as_json" for p in cmd.params) for cmd in leaves.values())
    assert set(leaves) == set(_cases(tmp_path)) | set(SKIPPED)


SEQUENCE = ["sweep run", "sweep resume", "sweep status", "sweep export", "sweep plot"]


@pytest.mark.parametrize("name", [n for n in _cases(Path("/nonexistent-probe")) if n not in SEQUENCE])
def test_json_alone_on_stdout(name, tmp_path):
    _prepare(tmp_path)
    _run_json(_cases(tmp_path)[name], tmp_path)


def test_sweep_commands_json_alone_on_stdout(tmp_path):
    _prepare(tmp_path)
    cases = _cases(tmp_path)
    outputs = dict(zip(SEQUENCE, (_run_json(cases[name], tmp_path) for name in SEQUENCE)))
    assert outputs["sweep run"]["counts"]["ok"] == 2 and outputs["sweep status"]["counts"]["ok"] == 2


def _run_json(args, cwd):
    done = subprocess.run([ACCEL, *args, "--json"], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"accel {' '.join(args)} --json: stdout is not JSON alone ({exc}); it begins {done.stdout[:300]!r}")
