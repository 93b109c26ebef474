"""Cascade-level memory: tensor graphs, scratchpads, schedules, their checker and greedy baselines.

A :class:`TensorGraph` (tensors with sizes, operators in program order) is
scheduled on a :class:`Scratchpad`; every scheduler returns a
:class:`ScheduleResult` whose :class:`Schedule` has been replayed and proved
legal by :func:`check_schedule`, which also recomputes its :class:`TrafficReport`;
:func:`traffic_lower_bound` bounds the traffic of every schedule from below.
The optimal (ILP) and divide-and-conquer schedulers live in ``mapping.cosma``.
"""

from __future__ import annotations

from ._arch import graph_for_architecture, scratchpad_from_architecture
from ._bounds import traffic_lower_bound
from ._cascade import graph_from_cascade
from ._checker import check_schedule
from ._errors import GraphError, InfeasibleScheduleError, ScheduleError, SizeError
from ._fit import first_fit, require_fits
from ._graph import TENSOR_KINDS, Operator, Tensor, TensorGraph
from ._greedy import POLICIES, greedy_plan, schedule_greedy
from ._plot import plot_memory
from ._residency import CascadeSchedule, Residency, schedule_residency, spill_bits
from ._schedule import Allocation, PartialSchedule, Schedule, ScheduleResult, Step, TrafficReport
from ._scratchpad import Scratchpad
from ._sizes import parse_size

__all__ = [
    "CascadeSchedule",
    "Residency",
    "schedule_residency",
    "spill_bits",
    "graph_for_architecture",
    "Allocation",
    "GraphError",
    "InfeasibleScheduleError",
    "Operator",
    "PartialSchedule",
    "POLICIES",
    "Schedule",
    "ScheduleError",
    "SizeError",
    "ScheduleResult",
    "Scratchpad",
    "Step",
    "TENSOR_KINDS",
    "Tensor",
    "TensorGraph",
    "TrafficReport",
    "check_schedule",
    "first_fit",
    "graph_from_cascade",
    "greedy_plan",
    "parse_size",
    "plot_memory",
    "require_fits",
    "schedule_greedy",
    "scratchpad_from_architecture",
    "traffic_lower_bound",
]
