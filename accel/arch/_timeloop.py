"""Timeloop v4 architecture specs (placeholder until the importer lands)."""

from __future__ import annotations

from typing import Any

from ._errors import SpecError

__all__ = ["from_timeloop"]


def from_timeloop(data: Any, source: str, notes: list[str] | None = None, **_: Any):
    raise SpecError([("architecture", "Timeloop v4 import is not available yet")], source, what="Timeloop v4 architecture")
