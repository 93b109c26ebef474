"""The memory-over-time picture."""

import pytest

from memory import Scratchpad, plot_memory, schedule_greedy
from memory._plot import residency_intervals


def test_intervals_split_at_reloads(skip_graph):
    schedule = schedule_greedy(skip_graph, Scratchpad(250)).schedule
    runs = {(name, first, last) for name, first, last, _, _ in residency_intervals(schedule)}
    assert ("s", 0, 1) in runs and ("s", 3, 3) in runs  # spilled after step 1, reloaded for step 3


def test_png_is_written(skip_graph, tmp_path):
    schedule = schedule_greedy(skip_graph, Scratchpad(250)).schedule
    path = plot_memory(skip_graph, Scratchpad(250), schedule, tmp_path / "m.png", title="skip")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(FileNotFoundError, match=r"folder .*nowhere.* does not exist"):
        plot_memory(skip_graph, Scratchpad(250), schedule, tmp_path / "nowhere" / "m.png")
