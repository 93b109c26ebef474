"""The unit of work of the COSMA solvers: a window of operators with boundary state."""

from __future__ import annotations

from dataclasses import dataclass

from memory import Allocation, PartialSchedule, Scratchpad, TensorGraph


@dataclass(frozen=True)
class Window:
    """Operators to schedule together, and the state the scratchpad is in before them.

    Attributes
    ----------
    operators:
        The window's operators, in a dependence-respecting order (any order of
        them that respects dependences may be chosen).
    resident:
        Tensors resident before the first step, with their (fixed) ranges.
    in_dram:
        Tensors DRAM holds a copy of before the first step.
    live_out:
        Tensors read after the window (they must survive it, resident or in DRAM).
    end_penalty:
        Bytes charged per byte of a live-out tensor not resident at the end (an
        estimate of the reload it will cost later); 0 for the last window.
    """

    operators: tuple[str, ...]
    resident: tuple[Allocation, ...]
    in_dram: frozenset[str]
    live_out: frozenset[str]
    end_penalty: float = 1.0


@dataclass(frozen=True)
class Quantum:
    """The ILP's address grid: ``unit`` bytes per address unit (a multiple of the alignment)."""

    unit: int
    capacity_units: int
    bank_units: int

    @staticmethod
    def for_scratchpad(scratchpad: Scratchpad, max_units: int = 1 << 16) -> "Quantum":
        """Coarsest power-of-two multiple of the alignment giving at least ``max_units`` units."""
        unit = scratchpad.alignment
        while scratchpad.capacity // (unit * 2) >= max_units and (
            scratchpad.banks == 1 or scratchpad.bank_size % (unit * 2) == 0
        ):
            unit *= 2
        return Quantum(unit, scratchpad.capacity // unit, scratchpad.bank_size // unit)

    def scratchpad(self, scratchpad: Scratchpad) -> Scratchpad:
        """A scratchpad whose legal placements are exactly those on this grid."""
        capacity = self.capacity_units * self.unit
        if scratchpad.banks > 1:
            capacity = self.bank_units * self.unit * scratchpad.banks
        return Scratchpad(capacity, banks=scratchpad.banks, alignment=self.unit)

    def units(self, size: int) -> int:
        """Address units a tensor of ``size`` bytes occupies."""
        return -(-size // self.unit)


def window_cost(graph: TensorGraph, window: Window, plan: PartialSchedule) -> float:
    """The ILP's objective for a plan: loads, spills and the end-of-window penalty, in bytes."""
    size = graph.tensor
    cost = sum(size[t].size for t in plan.before_stores)
    for step in plan.steps:
        cost += sum(size[t].size for t in step.loads)
        cost += sum(size[t].size for t in step.stores if size[t].kind != "output")
    if plan.steps and window.end_penalty:
        last = plan.steps[-1]
        kept = set(last.resident) - set(last.evictions)
        cost += window.end_penalty * sum(size[t].size for t in window.live_out if t not in kept)
    return cost


def window_state_after(window: Window, plan: PartialSchedule) -> tuple[tuple[Allocation, ...], frozenset[str]]:
    """Resident allocations and DRAM contents after the window's last step."""
    in_dram = set(window.in_dram) | set(plan.before_stores)
    for step in plan.steps:
        in_dram.update(step.stores)
    if not plan.steps:
        kept = [a for a in window.resident if a.tensor not in plan.before_evictions]
        return tuple(kept), frozenset(in_dram)
    last = plan.steps[-1]
    kept = [a for a in last.allocations if a.tensor not in last.evictions]
    return tuple(kept), frozenset(in_dram)
