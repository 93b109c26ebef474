"""Running sweeps: in process and on a Dask LocalCluster; resume, reuse, infeasible and invalid points."""

from __future__ import annotations

import json
import logging

import pytest

from accel.sweep import (
    evaluate_point,
    export,
    load_spec,
    parse_spec,
    plan,
    plot_energy_breakdown,
    plot_pareto,
    plot_roofline,
    results_frame,
    resume_sweep,
    run_sweep,
    store_status,
)


def test_run_records_every_point_and_reruns_reuse_them(tmp_path, small_spec_path):
    spec = load_spec(small_spec_path)
    store = tmp_path / "s.sqlite"
    seen = []
    summary = run_sweep(spec, store, workers=0, progress=lambda r, done, total: seen.append((done, total)))
    assert (summary.total, summary.evaluated, summary.reused, summary.lost) == (12, 12, 0, 0)
    assert seen == [(i, 12) for i in range(1, 13)]
    counts = dict(summary.counts)
    assert (counts["ok"], counts["infeasible"], counts["pending"]) == (6, 6, 0)
    again = run_sweep(spec, store, workers=0)
    assert (again.evaluated, again.reused) == (0, 12)
    assert store_status(store)["counts"]["total"] == 12


def test_stored_values_equal_a_direct_evaluation(tmp_path, small_spec_path):
    spec = load_spec(small_spec_path)
    store = tmp_path / "s.sqlite"
    run_sweep(spec, store, workers=0)
    frame = results_frame(store).set_index("key")
    for task in plan(spec)[:4]:
        direct = evaluate_point(task)
        row = frame.loc[task.key]
        assert row["status"] == direct.status
        if direct.status == "ok":
            for name, value in direct.metrics:
                assert row[name] == value
            report = json.loads(direct.report)
            assert row["latency_cycles"] == report["total_cycles"]
            assert row["energy_pj"] == pytest.approx(report["energy_pj"])


def test_infeasible_points_keep_the_mappers_reason(tmp_path, small_spec_path):
    store = tmp_path / "s.sqlite"
    run_sweep(load_spec(small_spec_path), store, workers=0)
    frame = results_frame(store)
    bad = frame[frame["spad"] == "tiny"]
    assert set(bad["status"]) == {"infeasible"}
    assert bad["reason"].str.contains("level 'scratchpad' holds 1 bytes, less than the smallest tiles").all()
    assert bad["energy_pj"].isna().all()
    good = frame[frame["spad"] == "normal"]
    assert set(good["status"]) == {"ok"}
    assert (good["energy_pj"] > 0).all() and (good["area_mm2"] > 0).all()
    # the area model: MACs x PEs + register files + SRAM levels, from the estimator registry
    row = good.iloc[0]
    assert row["area_mm2"] == pytest.approx(row["area.mac"] + row["area.rf"] + row["area.scratchpad"] + row["area.l2"])


def test_invalid_combinations_are_recorded_not_raised(tmp_path):
    spec = parse_spec("""
name: inv
base: edge
workloads: [{name: gemm, params: {M: 16, N: 16, K: 16}}]
axes:
  unit:
    - {label: fp8, arith.kind: fp8_mac}
    - {label: lmul3, arith.kind: lmul, arith.mantissa_bits: 3}
  arith.input_format: [e4m3, e5m2]
mapping: {mapper: search, samples: 50, seed: 0}
""")
    store = tmp_path / "inv.sqlite"
    run_sweep(spec, store, workers=0)
    frame = results_frame(store)
    invalid = frame[frame["status"] == "invalid"]
    assert invalid[["unit", "arith.input_format"]].values.tolist() == [["lmul3", "e5m2"]]
    assert "invalid architecture: arith.mantissa_bits: must be <= 2" in invalid["reason"].iloc[0]
    assert (frame["status"] == "ok").sum() == 3


def test_export_and_plots(tmp_path, small_spec_path):
    store = tmp_path / "s.sqlite"
    run_sweep(load_spec(small_spec_path), store, workers=0)
    import pandas as pd

    pq = export(store, tmp_path / "out" / "r.parquet")
    csv = export(store, tmp_path / "out" / "r.csv")
    a, b = pd.read_parquet(pq), pd.read_csv(csv)
    assert len(a) == len(b) == 12
    assert {"unit", "spad", "pe_array.rows", "latency_s", "energy.mac", "area.mac"} <= set(a.columns)
    with pytest.raises(ValueError, match=r"export format must be one of \['csv', 'parquet'\]"):
        export(store, tmp_path / "r.xlsx")
    frame = results_frame(store)
    for fn, name in ((plot_pareto, "p.png"), (plot_energy_breakdown, "e.png"), (plot_roofline, "r.png")):
        out = fn(frame, tmp_path / "plots" / name)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"no evaluated \('ok'\) points to plot yet"):
        plot_pareto(frame[frame["status"] != "ok"], tmp_path / "x.png")


def test_resume_needs_a_started_store(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no sweep store"):
        resume_sweep(tmp_path / "none.sqlite", workers=0)


def test_sweep_on_a_dask_local_cluster(tmp_path, small_spec_path):
    distributed = pytest.importorskip("distributed")
    spec = load_spec(small_spec_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as cluster:
        summary = run_sweep(spec, tmp_path / "dask.sqlite", scheduler=cluster.scheduler_address)
    assert (summary.evaluated, summary.lost) == (12, 0)
    run_sweep(spec, tmp_path / "serial.sqlite", workers=0)
    cols = ["key", "status", "reason", "latency_cycles", "energy_pj", "area_mm2"]
    a = results_frame(tmp_path / "dask.sqlite")[cols].sort_values("key").reset_index(drop=True)
    b = results_frame(tmp_path / "serial.sqlite")[cols].sort_values("key").reset_index(drop=True)
    assert a.equals(b)


def test_unreachable_scheduler(tmp_path, small_spec_path):
    with pytest.raises(ValueError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"):
        run_sweep(load_spec(small_spec_path), tmp_path / "s.sqlite", scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)


@pytest.mark.slow
def test_rtl_area_model_uses_the_synthesized_mac():
    pytest.importorskip("rtl.synth")
    text = """
name: rtl_area
base: fusemax_like
workloads: [{name: gemm, params: {M: 16, N: 16, K: 16}}]
axes:
  pe_array.rows: [4]
  pe_array.cols: [4]
  arith.kind: [int8_mac]
area: MODEL
"""
    rtl_task = plan(parse_spec(text.replace("MODEL", "rtl")))[0]
    table_task = plan(parse_spec(text.replace("MODEL", "table")))[0]
    assert rtl_task.key != table_task.key  # the area numbers are part of the content hash
    rtl_area, table_area = dict(rtl_task.area), dict(table_task.area)
    assert rtl_area["global_buffer"] == table_area["global_buffer"]  # SRAM still from the table
    from accel import derive, load_architecture

    arch = derive(load_architecture("fusemax_like"), {"pe_array.rows": 4, "pe_array.cols": 4, "arith.kind": "int8_mac"})
    assert arch.peak_macs_per_cycle == 16
    assert rtl_area["mac"] != table_area["mac"]
    assert 16 * 500e-6 < rtl_area["mac"] < 16 * 2000e-6  # hundreds of NAND2 equivalents per MAC at 45 nm


def test_a_store_runs_in_one_process_at_a_time(tmp_path, small_spec_path):
    import fcntl

    store = tmp_path / "s.sqlite"
    spec = load_spec(small_spec_path)
    run_sweep(spec, store, workers=0)
    with open(str(store) + ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running sweep holds it
        with pytest.raises(ValueError, match=r"is being run by another process"):
            resume_sweep(store, workers=0)
    assert resume_sweep(store, workers=0).reused == 12


def test_cycle_level_simulator_option(tmp_path):
    text = """
name: cyc
base: edge
workloads: [{name: gemm, params: {M: 16, N: 16, K: 16}}]
axes:
  pe_array.rows: [4, 8]
mapping: {mapper: search, samples: 50, seed: 0}
simulator: SIM
"""
    run_sweep(parse_spec(text.replace("SIM", "cycle")), tmp_path / "c.sqlite", workers=0)
    run_sweep(parse_spec(text.replace("SIM", "analytical")), tmp_path / "a.sqlite", workers=0)
    c, a = results_frame(tmp_path / "c.sqlite"), results_frame(tmp_path / "a.sqlite")
    assert set(c["status"]) == {"ok"} and set(a["status"]) == {"ok"}
    assert set(c["key"]).isdisjoint(a["key"])  # the simulator is part of the content hash
    assert (c["macs"].to_numpy() == a["macs"].to_numpy()).all()
    from accel.sweep import ResultStore

    with ResultStore(tmp_path / "c.sqlite") as store:
        assert store.report(c["key"].iloc[0])["simulator"] == "cycle"


def test_schedule_option_keeps_intermediates_on_chip(tmp_path):
    text = """
name: sched
base: edge
workloads: [{name: mlp, params: {N: 8, sizes: [32, 64, 16]}}]
axes:
  levels.l2.capacity: [524288, 64]
mapping: {mapper: search, samples: 50, seed: 0, schedule: SCHED}
simulator: SIM
"""
    frames = {}
    for sched in ("none", "greedy-belady"):
        for sim in ("analytical", "cycle"):
            path = tmp_path / f"{sched}-{sim}.sqlite"
            run_sweep(parse_spec(text.replace("SCHED", sched).replace("SIM", sim)), path, workers=0)
            frames[sched, sim] = results_frame(path).sort_values("design")
    plain, kept = frames["none", "analytical"], frames["greedy-belady", "analytical"]
    assert list(plain["status"]) == ["ok", "ok"]
    # a 64-byte L2 cannot hold the cascade's tensors: infeasible with the scheduler's reason, not a crash
    assert list(kept["status"]) == ["ok", "infeasible"]
    assert "is larger than the scratchpad (64 bytes)" in kept["reason"].iloc[1]
    assert set(plain["key"]).isdisjoint(kept["key"])  # the schedule is part of the content hash
    assert kept["dram_bytes"].iloc[0] < plain["dram_bytes"].iloc[0]
    assert kept["energy_pj"].iloc[0] < plain["energy_pj"].iloc[0]
    # both simulators price the schedule's traffic alike
    cyc = frames["greedy-belady", "cycle"]
    assert cyc["energy_pj"].iloc[0] == pytest.approx(kept["energy_pj"].iloc[0], rel=1e-9)
    assert cyc["dram_bytes"].iloc[0] == pytest.approx(kept["dram_bytes"].iloc[0], rel=1e-9)


def test_unknown_schedule_is_a_spec_error():
    from accel.sweep import SweepSpecError

    with pytest.raises(SweepSpecError, match=r"mapping: schedule must be one of none, ilp, divide, greedy-lru, greedy-belady, not 'lru'"):
        parse_spec("name: x\nbase: edge\nworkloads: [gemm]\nmapping: {schedule: lru}\n")
    with pytest.raises(SweepSpecError, match=r"mapping: fusion 'auto' keeps each fused group's tiles on chip and takes schedule 'none'"):
        parse_spec("name: x\nbase: edge\nworkloads: [gemm]\nmapping: {schedule: greedy-belady, fusion: auto}\n")


def test_a_fused_sweep_point_goes_through_the_fusion_search():
    from accel.sweep._evaluate import _map_report, pipeline_options
    from accel.sweep._options import mapping_options
    from accel import load_architecture
    from dataflow import library

    opts = mapping_options({"fusion": "auto", "samples": 200})
    assert pipeline_options(opts, "analytical").fusion == "auto"
    hw = load_architecture("fusemax_like")
    cascade = library.build("attention_1pass", M=256, P=256)
    fused = _map_report(cascade, hw, opts, "analytical")
    alone = _map_report(cascade, hw, mapping_options({"samples": 200}), "analytical")
    dram = lambda r: sum(e.count for e in r.energy if e.component == "dram")  # noqa: E731
    assert dram(fused) < dram(alone)


def test_spec_from_store_round_trips(tmp_path, small_spec_path):
    from accel.sweep import spec_from_store

    spec = load_spec(small_spec_path)
    run_sweep(spec, tmp_path / "s.sqlite", workers=0)
    again = spec_from_store(tmp_path / "s.sqlite")
    assert [t.key for t in plan(again)] == [t.key for t in plan(spec)]
