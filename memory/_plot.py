"""The memory-over-time picture: address against step, one rectangle per residency."""

from __future__ import annotations

from pathlib import Path

from ._graph import TensorGraph
from ._schedule import Schedule
from ._scratchpad import Scratchpad

_KIND_COLOURS = {"input": "#4e79a7", "weight": "#59a14f", "intermediate": "#f28e2b", "output": "#e15759"}


def residency_intervals(schedule: Schedule) -> list[tuple[str, int, int, int, int]]:
    """Maximal runs of a tensor at one address: ``(tensor, first_step, last_step, start, end)``."""
    open_runs: dict[str, list[int]] = {}
    done: list[tuple[str, int, int, int, int]] = []
    for index, step in enumerate(schedule.steps):
        current = step.resident
        for name in list(open_runs):
            run = open_runs[name]
            alloc = current.get(name)
            if alloc is None or (alloc.start, alloc.end) != (run[2], run[3]) or name in step.loads:
                done.append((name, run[0], run[1], run[2], run[3]))
                del open_runs[name]
        for name, alloc in current.items():
            if name in open_runs:
                open_runs[name][1] = index
            else:
                open_runs[name] = [index, index, alloc.start, alloc.end]
    done.extend((name, r[0], r[1], r[2], r[3]) for name, r in open_runs.items())
    return sorted(done, key=lambda r: (r[1], r[3], r[0]))


def plot_memory(
    graph: TensorGraph, scratchpad: Scratchpad, schedule: Schedule, path: str | Path, title: str = ""
) -> Path:
    """Draw scratchpad occupancy over time to a PNG file.

    Steps run along x, addresses along y; each residency interval is a rectangle
    coloured by tensor kind.  A triangle marks a load from DRAM, a cross a store
    (spill or output write-back).

    Parameters
    ----------
    graph, scratchpad, schedule:
        The problem and a (checked) schedule.
    path:
        Where to write the PNG.
    title:
        Optional figure title.

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    path = Path(path)
    if not path.parent.exists():
        raise FileNotFoundError(f"folder {str(path.parent)!r} for the memory picture does not exist")
    steps = len(schedule.steps)
    fig, ax = plt.subplots(figsize=(min(4 + 0.35 * steps, 24), 6), dpi=110)
    for name, first, last, start, end in residency_intervals(schedule):
        colour = _KIND_COLOURS[graph.tensor[name].kind]
        ax.add_patch(
            Rectangle((first, start), last - first + 1, end - start, facecolor=colour, edgecolor="black",
                      linewidth=0.4, alpha=0.8)
        )
        if (end - start) > 0.04 * scratchpad.capacity and (last - first + 1) >= 1:
            ax.text(first + 0.05, start + (end - start) / 2, name, fontsize=6, va="center", clip_on=True)
    for index, step in enumerate(schedule.steps):
        resident = step.resident
        for name in step.loads:
            a = resident[name]
            ax.plot(index + 0.1, (a.start + a.end) / 2, marker=">", color="black", markersize=4)
        for name in step.stores:
            a = resident[name]
            ax.plot(index + 0.9, (a.start + a.end) / 2, marker="x", color="black", markersize=5)
    ax.set_xlim(0, max(steps, 1))
    ax.set_ylim(0, scratchpad.capacity)
    ax.set_xlabel("step (operator executions)")
    ax.set_ylabel("scratchpad address (bytes)")
    ax.set_xticks([i + 0.5 for i in range(steps)] if steps <= 40 else [])
    if steps <= 40:
        ax.set_xticklabels(schedule.order, rotation=90, fontsize=6)
    handles = [Patch(color=c, label=k) for k, c in _KIND_COLOURS.items()]
    handles.append(plt.Line2D([], [], marker=">", linestyle="", color="black", label="load"))
    handles.append(plt.Line2D([], [], marker="x", linestyle="", color="black", label="store"))
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
