"""The result store: one SQLite file, one table of points keyed by content hash.

Schema (version :data:`SCHEMA_VERSION`): a ``meta`` table (format tag,
schema version, sweep name, the spec) and a ``points`` table with one row per
(design point, workload): its key, the task as JSON (so ``resume`` needs
nothing but the store), its status (``pending`` until evaluated, then
``ok``/``infeasible``/``invalid``/``error``) with the reason, the metric
columns, the energy/area breakdowns and cycle causes as JSON, and the full
``sim.Report`` JSON.  The file runs in WAL mode and every result is committed
as it arrives, so a killed sweep loses nothing that was reported.

A file that is not such a store -- not SQLite, damaged, another schema or
version, rows that break the schema's rules -- raises :class:`StoreError`
when opened and is never written to.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from accel.arch import JsonObject, YamlMapping, YamlValue, load_json

from ._errors import StoreError
from ._evaluate import METRICS, STATUSES, PointResult, PointTask
from ._options import MappingOptions

__all__ = ["ResultStore", "SCHEMA_VERSION", "FORMAT"]

#: Version of the table layout; a store of another version is refused.
SCHEMA_VERSION = 1
#: Format tag in the ``meta`` table.
FORMAT = "accel-sweep-store"
_MAGIC = b"SQLite format 3\x00"
_KEY = re.compile(r"^[0-9a-f]{64}$")
_JSON_COLUMNS = ("labels", "energy_breakdown", "area_breakdown", "cycles_by_cause")
_COLUMNS = (
    ("key", "TEXT PRIMARY KEY"), ("seq", "INTEGER NOT NULL"), ("design", "INTEGER NOT NULL"),
    ("workload", "TEXT NOT NULL"), ("labels", "TEXT NOT NULL"), ("task", "TEXT NOT NULL"),
    ("status", "TEXT NOT NULL"), ("reason", "TEXT NOT NULL"),
    *((m, "REAL") for m in METRICS),
    ("energy_breakdown", "TEXT"), ("area_breakdown", "TEXT"), ("cycles_by_cause", "TEXT"), ("report", "TEXT"),
    ("seconds", "REAL"),
)


def _task_json(task: PointTask) -> str:
    return json.dumps({
        "key": task.key, "design": task.design, "workload": task.workload,
        "changes": [list(c) for c in task.changes], "labels": [list(lb) for lb in task.labels],
        "arch": task.arch, "workload_text": task.workload_text, "mapping": task.mapping.to_dict(),
        "simulator": task.simulator, "invalid_reason": task.invalid_reason, "area": [list(a) for a in task.area],
        "fpga": [list(f) for f in task.fpga],
    }, sort_keys=True)


def _task_from_json(text: str) -> PointTask:
    d = load_json(text, "task")
    return PointTask(
        d["key"], int(d["design"]), d["workload"], tuple((p, v) for p, v in d["changes"]),
        tuple((n, v) for n, v in d["labels"]), d["arch"], d["workload_text"], MappingOptions(**d["mapping"]),
        d["simulator"], d["invalid_reason"], tuple((k, float(v)) for k, v in d["area"]),
        tuple((k, int(n)) for k, n in d.get("fpga", [])),  # a store written before FPGA columns has none
    )


class ResultStore:
    """An open result store (use as a context manager, or call :meth:`close`).

    Parameters
    ----------
    path : str or Path
        The SQLite file.
    create : bool
        Create the store when ``path`` does not exist.  An existing file
        (an empty one too) is always validated, never recreated or changed
        unless it is a store: its journal mode is switched to WAL only after
        the check.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist and ``create`` is false.
    StoreError
        If ``path`` exists but is not a valid store of this schema version.
    """

    def __init__(self, path: str | Path, create: bool = False) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise StoreError(f"sweep store {str(self.path)!r} is not a file")
        fresh = not self.path.exists()
        if fresh and not create:
            raise FileNotFoundError(f"no sweep store {str(self.path)!r}")
        if not fresh:
            with open(self.path, "rb") as fh:
                head = fh.read(16)
            if not head:
                raise StoreError(f"{str(self.path)!r} is an empty file, not an accel sweep store (left untouched); "
                                 "remove it or give a new store path")
            if head != _MAGIC:
                raise StoreError(f"{str(self.path)!r} is not an accel sweep store: not a SQLite database (left untouched)")
        try:
            self._db = sqlite3.connect(str(self.path), timeout=30.0)
            if fresh:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._create()
            else:
                self._check()  # reads only: a file that is not a store is left exactly as it was
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.OperationalError as exc:
            self._db.close()
            if fresh and "already exists" in str(exc):
                raise StoreError(f"sweep store {str(self.path)!r} is being created by another process; "
                                 "wait for it or give a new store path") from None
            raise StoreError(f"{str(self.path)!r} is not a usable accel sweep store: {exc} (left untouched)") from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"{str(self.path)!r} is not a usable accel sweep store: {exc} (left untouched)") from None
        except StoreError:
            self._db.close()
            raise

    # -- life cycle ---------------------------------------------------------
    def _create(self) -> None:
        with self._db:
            self._db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.execute(f"CREATE TABLE points ({', '.join(f'{n} {t}' for n, t in _COLUMNS)})")
            self._db.execute("CREATE INDEX points_status ON points (status)")
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", FORMAT), ("schema_version", str(SCHEMA_VERSION))])

    def _check(self) -> None:
        where = f"sweep store {str(self.path)!r}"
        ok = self._db.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise StoreError(f"{where} is damaged (SQLite quick_check: {ok}); left untouched")
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"meta", "points"} <= tables:
            raise StoreError(f"{where} is not an accel sweep store: tables {sorted(tables)!r}, expected meta and points (left untouched)")
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise StoreError(f"{where} is not an accel sweep store: format {meta.get('format')!r}, expected {FORMAT!r}")
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise StoreError(f"{where} has schema version {meta.get('schema_version')!r}; this accel reads version {SCHEMA_VERSION}")
        cols = tuple(r[1] for r in self._db.execute("PRAGMA table_info(points)"))
        if cols != tuple(n for n, _ in _COLUMNS):
            raise StoreError(f"{where} has a points table with columns {cols!r}, not those of schema version {SCHEMA_VERSION}")
        statuses = ", ".join(repr(s) for s in ("pending", *STATUSES))
        ok_nulls = " OR ".join(f"{m} IS NULL" for m in METRICS)
        bad = self._db.execute(
            f"SELECT key, status FROM points WHERE length(key) != 64 OR status NOT IN ({statuses}) "
            f"OR json_valid(task) = 0 OR json_valid(labels) = 0 "
            f"OR (status = 'ok' AND ({ok_nulls} OR report IS NULL OR json_valid(report) = 0)) LIMIT 3"
        ).fetchall()
        n_bad = self._db.execute(
            f"SELECT count(*) FROM points WHERE length(key) != 64 OR status NOT IN ({statuses}) "
            f"OR json_valid(task) = 0 OR json_valid(labels) = 0 "
            f"OR (status = 'ok' AND ({ok_nulls} OR report IS NULL OR json_valid(report) = 0))"
        ).fetchone()[0]
        if bad:
            first = ", ".join(f"{k!r} (status {s!r})" for k, s in bad)
            raise StoreError(f"{where} has {n_bad} malformed row(s), e.g. {first}; left untouched")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> "ResultStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta ---------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        """The ``meta`` table (format, schema_version, sweep, spec)."""
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def bind(self, sweep: str, spec: YamlMapping) -> None:
        """Tie the store to sweep ``sweep`` with spec data ``spec`` (first use), or check it is the same one.

        Raises
        ------
        StoreError
            If the store belongs to another sweep or another version of the spec.
        """
        text = json.dumps(spec, default=str)  # key order kept: the order of axes matters
        meta = self.meta()
        if "sweep" not in meta:
            with self._db:
                self._db.executemany("INSERT INTO meta VALUES (?, ?)", [("sweep", sweep), ("spec", text)])
            return
        if meta["sweep"] != sweep or meta.get("spec") != text:
            what = f"sweep {meta['sweep']!r}" if meta["sweep"] != sweep else f"a different version of sweep {sweep!r}"
            raise StoreError(
                f"sweep store {str(self.path)!r} holds {what}; resume it with `accel sweep resume {self.path}` "
                f"or give a new store path"
            )

    # -- points -------------------------------------------------------------
    def add_tasks(self, tasks: Iterable[PointTask]) -> int:
        """Insert tasks as ``pending`` (keys already present are kept as they are); return how many were new."""
        rows = [(t.key, i, t.design, t.workload, json.dumps([list(lb) for lb in t.labels], default=str), _task_json(t))
                for i, t in enumerate(tasks)]
        with self._db:
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO points (key, seq, design, workload, labels, task, status, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', '')", rows)
            return self._db.total_changes - before

    def pending(self) -> tuple[PointTask, ...]:
        """Tasks not evaluated yet, in plan order."""
        rows = self._db.execute("SELECT task FROM points WHERE status = 'pending' ORDER BY seq").fetchall()
        try:
            return tuple(_task_from_json(r[0]) for r in rows)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # LoadError is a ValueError
            raise StoreError(f"sweep store {str(self.path)!r} has a malformed task: {exc!r}; left untouched") from None

    def record(self, result: PointResult) -> None:
        """Write ``result`` and commit at once.

        Raises
        ------
        StoreError
            If its key is not a pending point of this store (it would be
            computed twice, or belongs to another sweep).
        """
        metrics = dict(result.metrics)
        values = [result.status, result.reason, *(metrics.get(m) for m in METRICS),
                  *(json.dumps(list(map(list, getattr(result, c)))) if result.status == "ok" else None
                    for c in ("energy_breakdown", "area_breakdown", "cycles_by_cause")),
                  result.report or None, result.seconds, result.key]
        assignments = ", ".join(f"{c} = ?" for c in ("status", "reason", *METRICS, "energy_breakdown", "area_breakdown",
                                                     "cycles_by_cause", "report", "seconds"))
        with self._db:
            cur = self._db.execute(f"UPDATE points SET {assignments} WHERE key = ? AND status = 'pending'", values)
        if cur.rowcount != 1:
            raise StoreError(f"result {result.key!r} is not a pending point of sweep store {str(self.path)!r}")

    def reset_errors(self) -> int:
        """Mark ``'error'`` points pending again (to retry them after a fix); return how many."""
        cleared = ", ".join(f"{c} = NULL" for c in (*METRICS, *_JSON_COLUMNS[1:], "report", "seconds"))
        with self._db:
            cur = self._db.execute(f"UPDATE points SET status = 'pending', reason = '', {cleared} WHERE status = 'error'")
        return cur.rowcount

    def counts(self) -> dict[str, int]:
        """Points per status (``pending`` and every status in :data:`STATUSES`), and ``total``."""
        out = {s: 0 for s in ("pending", *STATUSES)}
        for status, n in self._db.execute("SELECT status, count(*) FROM points GROUP BY status"):
            out[status] = n
        out["total"] = sum(out.values())
        return out

    def rows(self, status: str | None = None) -> list[dict[str, YamlValue]]:
        """Every point as a dict (JSON columns decoded; the task and report left out), in plan order.

        ``fpga`` holds the task's FPGA resources (``(name, count)`` pairs; empty without ``area: rtl``).

        Parameters
        ----------
        status : str, optional
            Only points with this status.
        """
        names = ["key", "design", "workload", "labels", "status", "reason", *METRICS, *_JSON_COLUMNS[1:], "seconds"]
        sql = f"SELECT {', '.join(names)}, task FROM points"
        args: tuple[str, ...] = ()
        if status is not None:
            sql += " WHERE status = ?"
            args = (status,)
        out = []
        for row in self._db.execute(sql + " ORDER BY seq", args):
            d = dict(zip(names, row[:-1]))
            d["fpga"] = [tuple(f) for f in json.loads(row[-1]).get("fpga", [])]
            for c in _JSON_COLUMNS:
                d[c] = [tuple(x) for x in json.loads(d[c])] if d[c] else []
            out.append(d)
        return out

    def report(self, key: str) -> JsonObject | None:
        """The stored ``sim.Report`` dict of point ``key`` (``None`` if it has none)."""
        row = self._db.execute("SELECT report FROM points WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None
