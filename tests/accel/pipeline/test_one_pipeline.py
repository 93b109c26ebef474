"""One pipeline: ``accel schedule --arch A`` and ``accel simulate ... A`` ask the same question and get one answer.

Both go through :mod:`accel.pipeline` (the same level, tensor widths and scheduler), so for every built-in
architecture and the attention, ResNet-18 and BERT workloads they report the same schedule and DRAM traffic, or
fail alike (exit 3 when the cascade does not fit). ``simulate`` runs the schedule alone here (``--fusion none``):
by default it also tries the fusion search and keeps the better (``tests/mapping/search/test_fusion_search.py``).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from accel import builtin_architectures, load_architecture
from accel.cli import main

WORKLOADS = {
    "attention_1pass": ["-p", "M=256", "-p", "P=256"],
    "resnet18": ["-p", "image=64"],
    "bert_base": ["-p", "layers=1", "-p", "seq_len=64"],
}
ARCHS = [name for name in builtin_architectures() if load_architecture(name).levels and load_architecture(name).pe_array]


def _run(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_schedule_and_simulate_agree(arch, workload):
    params = WORKLOADS[workload]
    code_s, out_s = _run("schedule", workload, "--arch", arch, "--method", "greedy-belady", *params, "--json")
    code_m, out_m = _run("simulate", workload, arch, "--scheduler", "greedy-belady", "--fusion", "none", *params,
                         "--no-trace", "--json")
    assert code_s == code_m, (out_s[-500:], out_m[-500:])
    if code_s:
        assert code_s == 3
        return
    scheduled, simulated = json.loads(out_s), json.loads(out_m)["schedule"]
    assert scheduled["traffic"] == simulated["traffic"]
    assert scheduled["steps"] == simulated["steps"]
    assert scheduled["scratchpad"] == simulated["scratchpad"]["capacity"]
