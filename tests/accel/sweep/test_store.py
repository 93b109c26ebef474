"""The SQLite result store: round trips, and corrupt stores refused and left untouched."""

from __future__ import annotations

import json
import sqlite3

import pytest

from accel.sweep import PointResult, ResultStore, StoreError, load_spec, plan


@pytest.fixture
def tasks(small_spec_path):
    return plan(load_spec(small_spec_path))


def test_plan_has_one_task_per_point_with_distinct_hashes(tasks):
    assert len(tasks) == 12
    assert len({t.key for t in tasks}) == 12
    assert all(len(t.key) == 64 for t in tasks)
    assert [t.design for t in tasks] == list(range(12))


def test_round_trip_and_counts(tmp_path, tasks):
    path = tmp_path / "s.sqlite"
    with ResultStore(path, create=True) as store:
        assert store.add_tasks(tasks) == 12
        assert store.add_tasks(tasks) == 0  # keys already present are kept
        assert store.pending() == tasks
        store.record(PointResult(tasks[0].key, "infeasible", "does not fit"))
        metrics = tuple((m, float(i)) for i, m in enumerate(
            ("latency_cycles", "latency_s", "energy_pj", "area_mm2", "edp", "utilization", "spatial_utilization",
             "macs", "ops", "dram_bytes", "peak_ops_per_s", "dram_bytes_per_s")))
        store.record(PointResult(tasks[1].key, "ok", "", metrics, (("mac", 1.5),), (("mac", 0.1),), (("compute", 9.0),), "{}"))
    with ResultStore(path) as store:
        c = store.counts()
        assert (c["pending"], c["ok"], c["infeasible"], c["total"]) == (10, 1, 1, 12)
        rows = {r["key"]: r for r in store.rows()}
        assert rows[tasks[0].key]["reason"] == "does not fit"
        assert rows[tasks[1].key]["energy_breakdown"] == [("mac", 1.5)]
        assert rows[tasks[1].key]["area_mm2"] == 3.0
        assert len(store.pending()) == 10


def test_a_result_is_recorded_once(tmp_path, tasks):
    with ResultStore(tmp_path / "s.sqlite", create=True) as store:
        store.add_tasks(tasks)
        store.record(PointResult(tasks[0].key, "error", "boom"))
        with pytest.raises(StoreError, match=r"is not a pending point of sweep store"):
            store.record(PointResult(tasks[0].key, "error", "boom"))


def test_missing_store():
    with pytest.raises(FileNotFoundError, match=r"no sweep store 'nowhere\.sqlite'"):
        ResultStore("nowhere.sqlite")


def test_not_sqlite_is_refused_and_untouched(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"these are my notes, not a database\n" * 10)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"is not an accel sweep store: not a SQLite database \(left untouched\)"):
        ResultStore(path, create=True)
    assert path.read_bytes() == before


def test_other_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE people (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"tables \['people'\], expected meta and points"):
        ResultStore(path, create=True)
    db = sqlite3.connect(path)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("people",)]


def test_wrong_schema_version(tmp_path, tasks):
    path = tmp_path / "s.sqlite"
    ResultStore(path, create=True).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"has schema version '99'; this accel reads version 1"):
        ResultStore(path)


def test_malformed_rows(tmp_path, tasks):
    path = tmp_path / "s.sqlite"
    with ResultStore(path, create=True) as store:
        store.add_tasks(tasks)
    db = sqlite3.connect(path)
    db.execute("UPDATE points SET status = 'done' WHERE seq = 3")
    db.execute("UPDATE points SET status = 'ok' WHERE seq = 4")  # ok without metrics
    db.commit()
    db.close()
    with pytest.raises(StoreError, match=r"has 2 malformed row\(s\), e\.g\. .*status 'done'.*left untouched"):
        ResultStore(path)


def test_truncated_file_is_refused(tmp_path, tasks):
    path = tmp_path / "s.sqlite"
    with ResultStore(path, create=True) as store:
        store.add_tasks(tasks)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3] + b"\x00" * 100)
    with pytest.raises(StoreError):
        ResultStore(path)


def test_bind_refuses_another_sweep(tmp_path):
    with ResultStore(tmp_path / "s.sqlite", create=True) as store:
        store.bind("a", {"x": 1})
        store.bind("a", {"x": 1})
        with pytest.raises(StoreError, match=r"holds sweep 'a'; resume it with `accel sweep resume"):
            store.bind("b", {"x": 1})
        with pytest.raises(StoreError, match=r"holds a different version of sweep 'a'"):
            store.bind("a", {"x": 2})
        assert json.loads(store.meta()["spec"]) == {"x": 1}
