"""The Chrome / Perfetto trace: well formed and consistent with the cycle totals."""

from __future__ import annotations

import json

import pytest

from accel import derive, load_architecture
from dataflow import library
from mapping import build_problem
from sim.cycle import simulate, write_trace


@pytest.fixture
def run(random_mappings):
    arch = derive(load_architecture("tpu_like"), {"pe_array.rows": 4, "pe_array.cols": 4, "dram.bandwidth": 8.0})
    cascade = library.gemm(M=16, N=8, K=16)
    einsum = cascade.einsums[0]
    mapping = random_mappings(build_problem(einsum, cascade.shapes, arch), 1, seed=3)[0]
    return simulate(einsum, cascade.shapes, arch, mapping)


def test_trace_is_well_formed_chrome_json(run, tmp_path):
    path = run.write_trace(tmp_path / "t.json")
    doc = json.loads(path.read_text())
    assert doc["otherData"]["time_unit"] == "cycle" and doc["otherData"]["clock_mhz"] == 700.0
    names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name"}
    spans = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert len(spans) == len(run.events) > 0
    for e in spans:
        assert set(e) == {"name", "cat", "ph", "ts", "dur", "pid", "tid", "args"}
        assert isinstance(e["ts"], int) and isinstance(e["dur"], int) and e["dur"] > 0
        assert e["tid"] in names
    tracks = set(names.values())
    assert {"controller", "pe_array", "dram.bus", "dma0"} <= tracks
    assert {"unified_buffer.read", "unified_buffer.write"} <= tracks


def test_trace_agrees_with_the_cycle_totals(run):
    report = run.report
    array = [e for e in run.events if e.track == "pe_array"]
    stretch = sum(dict(e.args)["stretch"] for e in array)
    assert sum(e.duration for e in array) == report.cycles("compute") + report.cycles("fill_drain") + stretch
    assert sum(dict(e.args)["steady"] for e in array) == report.cycles("compute")
    assert max(e.end for e in run.events) == report.total_cycles
    waits = sum(e.duration for e in run.events if e.track == "controller")
    assert waits + stretch + (report.total_cycles - array[-1].end) == report.cycles("bandwidth_stall")


def test_every_engine_does_one_thing_at_a_time(run):
    by_track = {}
    for e in run.events:
        by_track.setdefault(e.track, []).append(e)
    for track, events in by_track.items():
        events.sort(key=lambda e: e.start)
        for a, b in zip(events, events[1:]):
            assert a.end <= b.start, (track, a, b)


def test_write_trace_needs_an_existing_folder(run, tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot write trace .* folder .*nowhere.* does not exist"):
        write_trace(tmp_path / "nowhere" / "t.json", run.events, name="x", clock_mhz=1.0)
