"""The scratchpad an architecture offers: one of its on-chip memory levels."""

from __future__ import annotations

from typing import Any

from ._scratchpad import Scratchpad


def scratchpad_from_architecture(arch: Any, level: str | None = None) -> Scratchpad:
    """The :class:`Scratchpad` of one on-chip level of an ``accel.Architecture``.

    Capacity and banks come from the level; the alignment is one access word
    (``word_bits / 8`` bytes), or 1 where the word does not divide a bank.

    Parameters
    ----------
    arch:
        An ``accel.Architecture`` (anything with ``levels`` of ``name``,
        ``capacity``, ``banks`` and ``word_bits``).
    level:
        Name of the level; default the outermost on-chip level.

    Raises
    ------
    ValueError
        If the architecture has no on-chip level or none named ``level``.
    """
    levels = tuple(arch.levels)
    if not levels:
        raise ValueError(f"architecture {arch.name!r} has no on-chip memory level to schedule into")
    if level is None:
        chosen = levels[-1]
    else:
        chosen = next((lv for lv in levels if lv.name == level), None)
        if chosen is None:
            names = ", ".join(repr(lv.name) for lv in levels)
            raise ValueError(f"architecture {arch.name!r} has no level {level!r}; it has {names}")
    banks = chosen.banks if chosen.capacity % chosen.banks == 0 else 1
    word = max(1, chosen.word_bits // 8)
    alignment = word if (chosen.capacity // banks) % word == 0 else 1
    return Scratchpad(chosen.capacity, banks=banks, alignment=alignment)
