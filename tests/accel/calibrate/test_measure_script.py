"""benchmarks/gpu/measure.py without a GPU: the planned rows and --merge."""

import importlib.util
import json
from pathlib import Path

import pytest

from accel.calibrate import KINDS, parse_measurements

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "gpu" / "measure.py"


@pytest.fixture(scope="module")
def measure():
    spec = importlib.util.spec_from_file_location("measure", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no torch: the GPU code is inside run()
    return module


def test_planned_rows_probe_the_weak_kinds(measure):
    plan = measure.planned_rows()
    rows = [r for section in plan.values() for r in section]
    assert {r["kind"] for r in rows} == set(KINDS)
    fp8 = [r for r in plan["gemm"] if r["kind"] == "gemm_fp8_e4m3"]
    assert all(r["m"] % 16 == 0 and r["n"] % 16 == 0 and r["k"] % 16 == 0 for r in fp8)  # cuBLASLt's FP8 alignment
    assert {r["k"] for r in fp8 if min(r["m"], r["n"]) <= 256} >= {1024, 4096, 16384}
    assert {r["cols"] for r in plan["rows"] if r["kind"] == "layernorm_bf16"} == {1024 * 2**i for i in range(7)}
    assert {(r["d"], r["causal"]) for r in plan["attention"]} == {(64, False), (64, True), (128, False), (128, True)}
    # The planned rows, given times, are a valid measurement file.
    doc = {"device": "NVIDIA H200", "rows": [dict(r, ms=0.01) for r in rows]}
    assert len(parse_measurements(doc).rows) == len(rows)


def test_merge_keeps_the_lowest_run(measure, tmp_path):
    def run(name, ms, device="NVIDIA H200"):
        path = tmp_path / name
        rows = [{"kind": "copy", "bytes": 2097152, "ms": ms[0], "gbps": 1.0, "kernels": name},
                {"kind": "copy", "bytes": 33554432, "ms": ms[1]}]
        path.write_text(json.dumps({"device": device, "note": "n.", "rows": rows}))
        return str(path)

    a, b = run("a.json", (0.006, 0.013)), run("b.json", (0.004, 0.020))
    out = tmp_path / "m.json"
    measure.merge(str(out), [a, b])
    doc = json.loads(out.read_text())
    assert [r["ms"] for r in doc["rows"]] == [0.004, 0.013]
    assert doc["rows"][0]["kernels"] == "b.json" and "Merged from 2 runs (2 per row)" in doc["note"]
    with pytest.raises(SystemExit, match="different devices"):
        measure.merge(str(out), [a, run("c.json", (1, 1), device="NVIDIA H100 80GB HBM3")])


@pytest.fixture(scope="module")
def probe():
    spec = importlib.util.spec_from_file_location("probe", SCRIPT.with_name("probe.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports no torch at module level either
    return module


def test_probe_keeps_each_kernels_lowest_duration(probe):
    """The profiler's trace: each call opens with the 256 MB flush (a fill kernel over a large grid or a large
    memset); per kernel of the first call, its launch configuration and its lowest duration over the calls."""
    fill = "void at::native::vectorized_elementwise_kernel<4, at::native::FillFunctor<signed char>>"

    def kernel(ts, name, dur, grid, **args):
        return {"cat": "kernel", "name": name, "ts": ts, "dur": dur, "args": {"grid": grid, **args}}

    events = [
        {"cat": "cpu_op", "name": "aten::zero_", "ts": 0},
        kernel(1, fill, 80.0, [65536, 1, 1]),
        kernel(100, "gemm", 5.0, [128, 1, 1], block=[384, 1, 1], **{"registers per thread": 168}),
        {"cat": "gpu_memset", "name": "Memset (Device)", "ts": 101, "dur": 0.7, "args": {"bytes": 64}},
        {"cat": "gpu_memset", "name": "Memset (Device)", "ts": 200, "dur": 70.0, "args": {"bytes": 2**28}},
        kernel(300, "gemm", 4.0, [128, 1, 1]),
        {"cat": "gpu_memset", "name": "Memset (Device)", "ts": 301, "dur": 0.9, "args": {"bytes": 64}},
    ]
    got = probe.lowest_per_kernel(events)
    assert [(k["name"], k["us"], k["calls"]) for k in got] == [("gemm", 4.0, 2), ("Memset (Device)", 0.7, 2)]
    assert got[0]["registers per thread"] == 168 and got[0]["block"] == [384, 1, 1]
    assert probe.lowest_per_kernel([kernel(0, "gemm", 5.0, [1, 1, 1])]) == []  # no flush: no call to read
