"""Exceptions raised by the ``memory`` package."""

from __future__ import annotations


class GraphError(ValueError):
    """A :class:`~memory.TensorGraph` is malformed (unknown tensor, cycle, bad size...)."""


class ScheduleError(ValueError):
    """A schedule breaks a rule of the scratchpad model; the message names step and tensor."""


class InfeasibleScheduleError(ValueError):
    """A well-formed graph cannot be scheduled on the given scratchpad.

    Carries ``exit_code = 3`` so the command line reports it as *infeasible*
    rather than as bad input.
    """

    exit_code = 3
