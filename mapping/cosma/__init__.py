"""COSMA-style cascade scheduling: operator order, scratchpad allocation and tensor replacement.

:func:`schedule_ilp` solves one integer linear program (PuLP with CBC or HiGHS)
for the whole graph; :func:`schedule_divide` is the divide-and-conquer
heuristic for graphs too large for one ILP; :func:`schedule` dispatches by
method name, including the greedy baselines from :mod:`memory`.  Every result
is replayed and proved legal by :func:`memory.check_schedule`.
"""

from __future__ import annotations

from ._api import MAX_ILP_OPERATORS, METHODS, schedule, schedule_divide, schedule_ilp
from ._solve import SOLVERS

__all__ = ["MAX_ILP_OPERATORS", "METHODS", "SOLVERS", "schedule", "schedule_divide", "schedule_ilp"]
