"""Exceptions raised by the ``memory`` package."""

from __future__ import annotations

from accel.errors import BadInputError, InfeasibleError


class GraphError(BadInputError):
    """A :class:`~memory.TensorGraph` is malformed (unknown tensor, cycle, bad size...)."""


class SizeError(BadInputError):
    """A byte size that cannot be read ('512KiB', '1MiB', a positive integer) or is out of range."""


class ScheduleError(BadInputError):
    """A schedule breaks a rule of the scratchpad model; the message names step and tensor."""


class InfeasibleScheduleError(InfeasibleError, ValueError):
    """A well-formed graph cannot be scheduled on the given scratchpad.

    An :class:`accel.errors.InfeasibleError`: the command line reports it as *infeasible* (exit 3).
    """
