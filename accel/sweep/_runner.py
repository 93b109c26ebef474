"""Run a sweep: plan it, store the plan, evaluate what is pending on Dask, record results as they arrive.

By default a ``distributed.LocalCluster`` of ``workers`` processes with one
thread each is started (and shut down after); ``scheduler`` connects to an
existing Dask cluster instead (its workers need ``accel`` installed).
``workers=0`` evaluates in this process without Dask (for debugging and
small runs).  At most a few tasks per worker thread are in flight, so a
killed sweep holds little unfinished work; whatever was recorded stays.
While it evaluates, a run holds an exclusive ``flock`` on ``<store>.lock``
(dropped by the OS when the process dies, even by SIGKILL), so two runs of
one store never compute the same point twice.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from accel.arch import JsonObject

from ._errors import SchedulerError, StoreError, SweepArgumentError
from ._evaluate import PointResult, PointTask, evaluate_point
from ._plan import plan
from ._spec import SweepSpec, parse_spec
from ._store import ResultStore

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["RunSummary", "run_sweep", "resume_sweep", "store_status", "Progress"]

#: ``progress(result, done, total)`` is called after each result is stored.
Progress = Callable[[PointResult, int, int], None]
_IN_FLIGHT_PER_THREAD = 3


@dataclass(frozen=True)
class RunSummary:
    """What a run or resume did.

    Parameters
    ----------
    store : str
        Path of the store.
    sweep : str
        Sweep name.
    total : int
        Points in the sweep.
    evaluated : int
        Points evaluated by this run.
    reused : int
        Points already in the store when the run started (not recomputed).
    lost : int
        Points whose worker died; still pending (``resume`` retries them).
    counts : tuple of (str, int)
        Points per status after the run.
    seconds : float
        Wall time of the run.
    """

    store: str
    sweep: str
    total: int
    evaluated: int
    reused: int
    lost: int
    counts: tuple[tuple[str, int], ...]
    seconds: float

    def to_dict(self) -> JsonObject:
        """Plain data (JSON-ready)."""
        return {"store": self.store, "sweep": self.sweep, "total": self.total, "evaluated": self.evaluated,
                "reused": self.reused, "lost": self.lost, "counts": dict(self.counts), "seconds": self.seconds}


def _serial(tasks: Iterable[PointTask]) -> Iterable[tuple[PointTask, PointResult | None]]:
    for task in tasks:
        yield task, evaluate_point(task)


@contextlib.contextmanager
def _connected(scheduler: str | None, connect_timeout: float) -> Iterator[Client | None]:
    """A client of the Dask scheduler at ``scheduler`` (``None`` without one), connected before anything is written."""
    if scheduler is None:
        yield None
        return
    from distributed import Client

    try:
        client = Client(scheduler, timeout=f"{connect_timeout}s")
    except (OSError, ValueError, TypeError) as exc:
        raise SchedulerError(f"--scheduler: cannot reach the Dask scheduler at {scheduler!r}: {exc} "
                             "(an address such as tcp://host:8786)") from None
    try:
        yield client
    finally:
        client.close()


def _dask(tasks: list[PointTask], remote: Client | None, workers: int) -> Iterable[tuple[PointTask, PointResult | None]]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if remote is None:
        # Loopback only: the scheduler and its dashboard answer on this machine, never on its external address.
        with _workers_ignore_sigint():
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
        client = Client(cluster)
    else:
        client = remote
    try:
        threads = max(1, sum(client.nthreads().values()))
        pending = iter(tasks)
        by_future: dict[Future, PointTask] = {}
        done = as_completed()

        def submit(n: int) -> None:
            for task in itertools.islice(pending, n):
                fut = client.submit(evaluate_point, task, key=f"accel-sweep-{task.key}", pure=False)
                by_future[fut] = task
                done.add(fut)

        submit(threads * _IN_FLIGHT_PER_THREAD)
        for fut in done:
            task = by_future.pop(fut)
            try:
                result = fut.result()
            except Exception:  # noqa: BLE001 - a dead worker: the point stays pending for resume
                result = None
            fut.release()
            yield task, result
            submit(1)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()


@contextlib.contextmanager
def _workers_ignore_sigint() -> Iterator[None]:
    """Start worker processes with Ctrl-C ignored: the driver alone handles it (and shuts them down), so the
    terminal shows its one message, not a KeyboardInterrupt traceback from every worker."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _exclusive(store_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<store>.lock`` while evaluating (the OS drops it if the process dies)."""
    import fcntl

    lock_path = Path(str(store_path) + ".lock")
    with open(lock_path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"sweep store {str(store_path)!r} is being run by another process; "
                             "wait for it or stop it first") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_workers(workers: object) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise SweepArgumentError(f"workers must be an integer >= 0 (0 runs in this process), not {workers!r}")


def _execute(store: ResultStore, sweep: str, remote: Client | None, workers: int, progress: Progress | None,
             start: float) -> RunSummary:
    """Evaluate the store's pending points (the caller holds the run lock); ``remote``: a Dask client or ``None``."""
    tasks = list(store.pending())
    total = store.counts()["total"]
    reused = total - len(tasks)
    evaluated = lost = 0
    if tasks:
        stream = _serial(tasks) if workers == 0 and remote is None else _dask(tasks, remote, workers or 1)
        for task, result in stream:
            if result is None:
                lost += 1
                continue
            store.record(result)
            evaluated += 1
            if progress is not None:
                progress(result, reused + evaluated, total)
    counts = store.counts()
    return RunSummary(str(store.path), sweep, total, evaluated, reused, lost, tuple(counts.items()),
                      time.perf_counter() - start)


def run_sweep(spec: SweepSpec, store_path: str | Path, scheduler: str | None = None, workers: int = 2,
              progress: Progress | None = None, connect_timeout: float = 10.0) -> RunSummary:
    """Run ``spec``, writing each result to the store at ``store_path`` as it arrives.

    An existing store of the same sweep is resumed: points already evaluated
    are not recomputed.

    Parameters
    ----------
    spec : SweepSpec
    store_path : str or Path
        SQLite file (created if missing).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``).
    workers : int
        Worker processes of the local cluster; 0 evaluates in this process.
    progress : callable, optional
        ``progress(result, done, total)`` after each stored result.
    connect_timeout : float
        Seconds to wait for ``scheduler``.

    Raises
    ------
    StoreError
        If the store is corrupt or holds another sweep.
    SweepArgumentError
        For a bad ``workers``.
    SchedulerError
        For a ``scheduler`` address that cannot be reached.
    """
    start = time.perf_counter()
    if not isinstance(spec, SweepSpec):
        raise TypeError(f"run_sweep takes a SweepSpec, not {spec!r}")
    _check_workers(workers)
    tasks = plan(spec)
    if Path(store_path).exists():
        ResultStore(store_path).close()  # a file that is not a store is refused before anything is written beside it
    # The scheduler, then the lock: of two runs started at once on a new store, one creates it, the other is told it
    # is busy; an unreachable scheduler leaves no file behind.
    with _connected(scheduler, connect_timeout) as remote, _exclusive(Path(store_path)), \
            ResultStore(store_path, create=True) as store:
        store.bind(spec.name, {"spec": spec.data, "base": _base_dict(spec)})
        store.add_tasks(tasks)
        return _execute(store, spec.name, remote, workers, progress, start)


def _base_dict(spec: SweepSpec) -> JsonObject:
    from accel import to_dict

    return to_dict(spec.base)


def resume_sweep(store_path: str | Path, scheduler: str | None = None, workers: int = 2,
                 progress: Progress | None = None, connect_timeout: float = 10.0,
                 retry_errors: bool = False) -> RunSummary:
    """Evaluate the points of the store at ``store_path`` that are still pending.

    Points already evaluated are never recomputed, except those that ended in
    an unexpected ``'error'`` when ``retry_errors`` is set.

    Parameters
    ----------
    store_path : str or Path
    scheduler, workers, progress, connect_timeout
        As :func:`run_sweep`.
    retry_errors : bool
        Evaluate ``'error'`` points again.

    Raises
    ------
    FileNotFoundError
        If there is no store at ``store_path``.
    StoreError
        If the store is corrupt or was never bound to a sweep.
    """
    start = time.perf_counter()
    _check_workers(workers)
    ResultStore(store_path).close()  # refused (missing, not a store) before the lock file is written beside it
    with _connected(scheduler, connect_timeout) as remote, _exclusive(Path(store_path)), ResultStore(store_path) as store:
        sweep = store.meta().get("sweep")
        if sweep is None:
            raise StoreError(f"sweep store {str(store_path)!r} was never started by `accel sweep run`; nothing to resume")
        if retry_errors:
            store.reset_errors()
        return _execute(store, sweep, remote, workers, progress, start)


def store_status(store_path: str | Path) -> JsonObject:
    """Sweep name and points per status (``pending``, ``ok``, ``infeasible``, ``invalid``, ``error``, ``total``).

    Raises
    ------
    FileNotFoundError, StoreError
        As :class:`ResultStore`.
    """
    with ResultStore(store_path) as store:
        meta = store.meta()
        return {"store": str(store_path), "sweep": meta.get("sweep"), "counts": store.counts()}


def spec_from_store(store_path: str | Path) -> SweepSpec:
    """The spec a store was run with (relative paths in it resolve against the store's folder).

    Raises
    ------
    FileNotFoundError, StoreError
        As :class:`ResultStore`, or when the store holds no spec.
    """
    from accel.arch import LoadError, load_json

    with ResultStore(store_path) as store:
        meta = store.meta()
    if "spec" not in meta:
        raise StoreError(f"sweep store {str(store_path)!r} holds no spec")
    try:
        spec = load_json(meta["spec"], f"{store_path} (meta.spec)")["spec"]
    except (LoadError, KeyError, TypeError) as exc:
        raise StoreError(f"sweep store {str(store_path)!r} holds a malformed spec: {exc}; left untouched") from None
    return parse_spec(spec, source=str(store_path), base_dir=Path(store_path).parent)
