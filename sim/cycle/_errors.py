"""Errors of the cycle-level simulator.

Every error is a ``ValueError`` (bad input to the simulator: a mapping that
does not fit, a schedule that breaks capacity, a program that deadlocks) and
names the Einsum, tile step and simulated cycle where it arose.
"""

from __future__ import annotations

from accel.errors import BadInputError, InfeasibleError

__all__ = ["SimulationError", "CapacityError", "DeadlockError", "WatchdogError"]


class SimulationError(BadInputError):
    """The simulation cannot go on; the message names the tile and the cycle.

    Attributes
    ----------
    cycle : int or None
        Simulated cycle at which the problem was found (``None`` before the run).
    tile : str or None
        The tile step (``'<einsum> step <i> [rank=index, ...]'``) involved, if any.
    """

    def __init__(self, message: str, cycle: int | None = None, tile: str | None = None) -> None:
        super().__init__(message)
        self.cycle = cycle
        self.tile = tile


class CapacityError(InfeasibleError, SimulationError):
    """A tile (or the tiles of one step) is larger than the level that must hold it."""


class DeadlockError(InfeasibleError, SimulationError):
    """Every process waits on another: no event is left but the program is not finished.

    An :class:`accel.errors.InfeasibleError` (exit 3): the request is well formed but infeasible on
    this hardware, e.g. a scratchpad too small for what must be resident.
    """


class WatchdogError(SimulationError):
    """Simulated time passed the watchdog limit without the program finishing."""
