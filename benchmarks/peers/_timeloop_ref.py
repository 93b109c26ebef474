"""Reading Timeloop's reference outputs: ``timeloop-mapper.stats.txt`` (per-level statistics) and ``.map.yaml``.

Only what the comparison uses: per storage level and data space the scalar
reads, fills and updates (per instance), the utilized instances and the
energy; the MAC's computes and energy; the mapping's per-target factors,
permutations and spatial splits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class LevelStats:
    """One level of ``stats.txt``: per data space, its STATS entries (numbers without units)."""

    name: str
    spaces: dict[str, dict[str, float]] = field(default_factory=dict)
    specs: dict[str, str] = field(default_factory=dict)


@dataclass
class Stats:
    """The levels, inner first (``Level 0`` is the MAC), the computes and the MAC's energy."""

    levels: list[LevelStats]
    computes: float
    mac_energy: float
    total_energy_uj: float
    cycles: float


_NUMBER = re.compile(r"^\s*([-+0-9.eE]+)")


def read_stats(path: Path) -> Stats:
    """Parse the per-level section of a Timeloop ``stats.txt``."""
    levels: list[LevelStats] = []
    current: LevelStats | None = None
    space: str | None = None
    in_stats = False
    computes = mac_energy = energy = cycles = 0.0
    for raw in path.read_text().splitlines():
        line = raw.rstrip()
        if line.startswith("Networks") or line.startswith("Operational Intensity Stats"):
            current = None
            continue
        m = re.match(r"^=== (.+) ===$", line.strip())
        if m and line.startswith("==="):
            current = LevelStats(m.group(1)) if not any(lv.name == m.group(1) for lv in levels) else None
            if current is not None:
                levels.append(current)
            space, in_stats = None, False
            continue
        if line.startswith("Energy: ") and line.endswith("uJ"):
            energy = float(line.split()[1])
        if line.startswith("Cycles: "):
            cycles = float(line.split()[1])
        if current is None:
            continue
        stripped = line.strip()
        if stripped == "STATS":
            in_stats = True
            continue
        if stripped in ("SPECS", "MAPPING"):
            in_stats = False
            continue
        if ":" not in stripped:
            continue
        key, _, value = (s.strip() for s in stripped.partition(":"))
        if not in_stats:
            current.specs[key] = value
            continue
        if not value and re.match(r"^ {4}\S", line):  # "    Weights:" opens a data space
            space = key
            current.spaces[space] = {}
            continue
        number = _NUMBER.match(value)
        if number is None:
            continue
        if space is not None and line.startswith("        "):
            current.spaces[space][key] = float(number.group(1))
        elif current.name == "mac":
            if key == "Computes (total)":
                computes = float(number.group(1))
            elif key == "Energy (total)":
                mac_energy = float(number.group(1))
    return Stats(levels, computes, mac_energy, energy, cycles)


@dataclass
class Target:
    """One target of a Timeloop mapping: temporal or spatial factors, the permutation (innermost first), the split."""

    name: str
    kind: str
    factors: dict[str, int]
    permutation: list[str]
    split: int | None = None


def read_mapping(path: Path, dims: list[str]) -> list[Target]:
    """The temporal and spatial targets of a Timeloop ``map.yaml`` (datatype entries are left out)."""
    data = yaml.safe_load(path.read_text())
    out = []
    for entry in data["mapping"]:
        if entry["type"] not in ("temporal", "spatial"):
            continue
        factors = {}
        for item in entry["factors"].split():
            m = re.fullmatch(r"([A-Za-z_]+?)(\d+)", item)
            factors[m.group(1)] = int(m.group(2))
        perm, rest = [], entry["permutation"]
        names = sorted(dims, key=len, reverse=True)
        while rest:
            name = next(d for d in names if rest.startswith(d))
            perm.append(name)
            rest = rest[len(name):]
        out.append(Target(entry["target"], entry["type"], factors, perm, entry.get("split")))
    return out
