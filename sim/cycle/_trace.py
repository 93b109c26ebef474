"""The simulation timeline as Chrome / Perfetto trace-event JSON.

One track (``tid``) per engine: the controller, the PE array, each DMA
channel, the DRAM bus and the read and write paths of every on-chip level.  Each busy
interval is a complete event (``"ph": "X"``).  Timestamps and durations are in
**cycles** (``otherData.time_unit == "cycle"``; a viewer labels them
microseconds, so 1 "us" on screen is one cycle); ``otherData.clock_mhz``
converts them to time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from accel._types import JsonObject

#: A trace event's extra facts: tile labels, byte counts, names.
ArgValue = str | int | float

__all__ = ["TraceEvent", "Trace", "write_trace"]


@dataclass(frozen=True)
class TraceEvent:
    """One busy interval on one track.

    Attributes
    ----------
    name : str
        What happened (``'fold'``, ``'fill A'``, ``'drain Z'``, ...).
    cat : str
        Category: ``'compute'``, ``'dma'``, ``'port'``, ``'stall'``, ``'control'``.
    track : str
        The engine (``'pe_array'``, ``'dma0'``, ``'dram.bus'``, ``'scratchpad.read'``, ...).
    start, duration : int
        Cycles.
    args : tuple of (str, object)
        Extra facts (tile label, bytes, ...).
    """

    name: str
    cat: str
    track: str
    start: int
    duration: int
    args: tuple[tuple[str, ArgValue], ...] = ()

    @property
    def end(self) -> int:
        """First cycle after the interval."""
        return self.start + self.duration


class Trace:
    """An ordered list of :class:`TraceEvent`, in the order the simulation emitted them."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.events: list[TraceEvent] = []

    def add(self, name: str, cat: str, track: str, start: int, duration: int, **args: ArgValue) -> None:
        """Record one interval (zero-length intervals are dropped)."""
        if self.enabled and duration > 0:
            self.events.append(TraceEvent(name, cat, track, int(start), int(duration), tuple(sorted(args.items()))))


def _track_order(track: str) -> tuple[int, str]:
    head = track.split(".")[0]
    rank = {"controller": 0, "pe_array": 1, "dram": 2}.get(head, 4 if not head.startswith("dma") else 3)
    return rank, track


def trace_json(events: tuple[TraceEvent, ...] | list[TraceEvent], *, name: str, clock_mhz: float) -> JsonObject:
    """The Chrome trace-event document for ``events``.

    Parameters
    ----------
    events : sequence of TraceEvent
    name : str
        Process name shown by the viewer (the workload and architecture).
    clock_mhz : float
        Clock, recorded so that cycles convert to time.
    """
    tracks = sorted({e.track for e in events}, key=_track_order)
    tid = {t: i + 1 for i, t in enumerate(tracks)}
    out: list[JsonObject] = [{"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": name}}]
    for t in tracks:
        out.append({"name": "thread_name", "ph": "M", "pid": 1, "tid": tid[t], "args": {"name": t}})
        out.append({"name": "thread_sort_index", "ph": "M", "pid": 1, "tid": tid[t], "args": {"sort_index": tid[t]}})
    for e in events:
        out.append(
            {"name": e.name, "cat": e.cat, "ph": "X", "ts": e.start, "dur": e.duration, "pid": 1, "tid": tid[e.track],
             "args": dict(e.args)}
        )
    return {
        "traceEvents": out,
        "otherData": {"time_unit": "cycle", "clock_mhz": clock_mhz, "name": name},
    }


def write_trace(path: str | Path, events: tuple[TraceEvent, ...] | list[TraceEvent], *, name: str, clock_mhz: float) -> Path:
    """Write ``events`` as Chrome / Perfetto trace JSON to ``path``.

    Parameters
    ----------
    path : str or Path
        Output file (``.json``); its folder must exist.
    events : sequence of TraceEvent
    name : str
        Process name shown by the viewer.
    clock_mhz : float

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write trace {str(path)!r}: folder {str(path.parent)!r} does not exist")
    path.write_text(json.dumps(trace_json(events, name=name, clock_mhz=clock_mhz)))
    return path
