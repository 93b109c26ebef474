"""Energy per action for the cost model, read from the architecture's energy table.

Per storage level the table gives pJ per word of the level's width
(``rf.read``, ``<level>.write``) or per byte (``dram.read``); the model moves
elements of a tensor's width, so an element access costs
``bits / word_bits`` words.  ``noc.hop`` is per operand word; ``mac`` per MAC;
``vector.op`` per vector-unit operation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accel import energy_table

if TYPE_CHECKING:
    from accel.arch import Architecture

__all__ = ["ActionEnergy", "action_energies", "energy_estimators", "energies_and_estimators"]


@dataclass(frozen=True)
class ActionEnergy:
    """pJ per occurrence of one action, with what an occurrence is and where the number comes from."""

    key: str
    pj: float
    per: str
    bits: int
    source: str


@functools.lru_cache(maxsize=64)
def _table(arch: Any) -> tuple[dict[str, ActionEnergy], str]:
    """The action energies of ``arch`` and the estimators they come from (derived once per architecture)."""
    table = energy_table(arch)
    out = {}
    for key in table.keys():
        e = table.entry(key)
        out[key] = ActionEnergy(key, float(e.pj), e.per, int(e.bits), f"{e.estimate.estimator}: {e.estimate.source}")
    return out, energy_estimators(out)


def energy_estimators(energies: dict[str, ActionEnergy]) -> str:
    """The estimators ``energies`` come from, sorted and comma-separated (a report's ``energy_estimators``)."""
    return ", ".join(sorted({e.source.split(":")[0] for e in energies.values()}))


def action_energies(arch: Architecture) -> dict[str, ActionEnergy]:
    """Energy per action of ``arch`` keyed like :func:`accel.energy_table` (cached per architecture).

    Parameters
    ----------
    arch : accel.Architecture

    Raises
    ------
    accel.NoEstimateError
        If no registered estimator answers for some action.
    """
    return dict(_table(arch)[0])


def energies_and_estimators(arch: Architecture) -> tuple[dict[str, ActionEnergy], str]:
    """:func:`action_energies` of ``arch`` and their :func:`energy_estimators`, from the one per-architecture table."""
    table, estimators = _table(arch)
    return dict(table), estimators
