"""A user-supplied table of energies and areas, as an estimator.

YAML format (every key but ``energy``/``area`` entries' ``match`` and ``source`` required)::

    name: our_28nm_lib          # estimator name
    accuracy: 60                # 0..100; default 60
    source: "vendor memory compiler, 28 nm, 2026"
    technology_nm: 28           # optional: answer only for this node
    energy:                     # pJ per action occurrence
      - {component: mac, action: compute, match: {kind: int8_mac}, pJ: 0.12}
      - {component: sram, action: read, match: {capacity: 65536, word_bits: 128}, pJ: 9.5}
      - {component: dram, action: read, pJ: 20.0, source: "LPDDR4 datasheet"}
    area:                       # um^2 per component instance
      - {component: mac, match: {kind: int8_mac}, um2: 310}

An entry answers an action whose component and action name are equal and
whose attributes equal every ``match`` item; the entry with the most
``match`` items wins, then the earliest.
"""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Mapping

from .._types import YamlScalar, YamlValue
from ._errors import SpecError
from ._safeload import LoadError, load_yaml_file
from ._estimator import Action, AttrValue, Component, Estimate, Estimator

__all__ = ["UserTableEstimator", "TableEntry"]

_TOP_KEYS = ("name", "accuracy", "source", "technology_nm", "energy", "area")


class TableEntry:
    """One row: component, optional action, match attributes, value, source."""

    __slots__ = ("component", "action", "match", "value", "source")

    def __init__(self, component: str, action: str | None, match: dict[YamlScalar, YamlValue], value: float, source: str) -> None:
        self.component, self.action, self.match, self.value, self.source = component, action, match, value, source

    def matches(self, component: str, action: str | None, attrs: Mapping[str, AttrValue]) -> bool:
        """Whether this row answers for ``component``/``action`` with ``attrs``."""
        if component != self.component or action != self.action:
            return False
        return all(k in attrs and attrs[k] == v for k, v in self.match.items())


def _number(v: object) -> bool:
    """A finite number no larger than 2**53 in magnitude (what the models compute exactly)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) <= 2**53


def _entries(raw: YamlValue, key: str, unit_key: str, errors: list[tuple[str, str]], default_source: str) -> list[TableEntry]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append((key, f"must be a list of entries, got {raw!r}"))
        return []
    allowed = ("component", "match", unit_key, "source") + (("action",) if key == "energy" else ())
    out = []
    for i, item in enumerate(raw):
        path = f"{key}[{i}]"
        if not isinstance(item, dict):
            errors.append((path, f"must be a mapping, got {item!r}"))
            continue
        for k in item:
            if k not in allowed:
                errors.append((f"{path}.{k}", f"unknown key; allowed: {', '.join(sorted(allowed))}"))
        ok = True
        for req in ("component", unit_key) + (("action",) if key == "energy" else ()):
            if req not in item:
                errors.append((f"{path}.{req}", "missing required field"))
                ok = False
        comp, act = item.get("component"), item.get("action")
        if "component" in item and not (isinstance(comp, str) and comp):
            errors.append((f"{path}.component", f"must be a non-empty string, got {comp!r}"))
            ok = False
        if "action" in item and not (isinstance(act, str) and act):
            errors.append((f"{path}.action", f"must be a non-empty string, got {act!r}"))
            ok = False
        value = item.get(unit_key)
        if unit_key in item and not (_number(value) and value >= 0):
            errors.append((f"{path}.{unit_key}", f"must be a number >= 0, got {value!r}"))
            ok = False
        match = item.get("match", {})
        if not isinstance(match, dict):
            errors.append((f"{path}.match", f"must be a mapping of attribute -> value, got {match!r}"))
            ok = False
        src = item.get("source", default_source)
        if not isinstance(src, str):
            errors.append((f"{path}.source", f"must be a string, got {src!r}"))
            ok = False
        if ok:
            out.append(TableEntry(comp, act if key == "energy" else None, dict(match), float(value), src))
    return out


class UserTableEstimator(Estimator):
    """Energies and areas from a user's table (see the module docstring for the format).

    Parameters
    ----------
    name : str
        Estimator name.
    accuracy : int
        Declared accuracy, 0..100.
    source : str
        Citation for the table as a whole.
    energy, area : list of TableEntry
        Rows.
    technology_nm : float or None
        If set, the table answers only for actions/components at this node.
    """

    def __init__(
        self,
        name: str,
        accuracy: int,
        source: str,
        energy: list[TableEntry],
        area: list[TableEntry],
        technology_nm: float | None = None,
    ) -> None:
        self.name, self.accuracy, self.source = name, accuracy, source
        self._energy, self._area, self.technology_nm = list(energy), list(area), technology_nm

    @classmethod
    def from_dict(cls, data: YamlValue, source: str = "<table>") -> "UserTableEstimator":
        """Build from parsed YAML data.

        Raises
        ------
        SpecError
            Listing every problem with its path (``energy[1].pJ``).
        """
        errors: list[tuple[str, str]] = []
        if not isinstance(data, dict):
            raise SpecError([("<top>", f"must be a mapping, got {data!r}")], source, what="estimator table")
        for k in data:
            if k not in _TOP_KEYS:
                errors.append((str(k), f"unknown key; allowed: {', '.join(sorted(_TOP_KEYS))}"))
        name, acc, src = data.get("name"), data.get("accuracy", 60), data.get("source")
        if not (isinstance(name, str) and name):
            errors.append(("name", "missing required field" if name is None else f"must be a non-empty string, got {name!r}"))
        if isinstance(acc, bool) or not isinstance(acc, int) or not 0 <= acc <= 100:
            errors.append(("accuracy", f"must be an integer in 0..100, got {acc!r}"))
        if not (isinstance(src, str) and src):
            errors.append(("source", "missing required field" if src is None else f"must be a non-empty string, got {src!r}"))
        node = data.get("technology_nm")
        if node is not None and not (_number(node) and node > 0):
            errors.append(("technology_nm", f"must be a number > 0, got {node!r}"))
        src_s = src if isinstance(src, str) else ""
        energy = _entries(data.get("energy"), "energy", "pJ", errors, src_s)
        area = _entries(data.get("area"), "area", "um2", errors, src_s)
        if not errors and not energy and not area:
            errors.append(("energy", "the table has no energy or area entries"))
        if errors:
            raise SpecError(errors, source, what="estimator table")
        return cls(name, acc, src, energy, area, None if node is None else float(node))

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str]) -> "UserTableEstimator":
        """Read a table from a YAML file.

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        SpecError
            If the YAML is malformed or the table invalid.
        """
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"no estimator table file {os.fspath(path)!r}")
        try:
            data = load_yaml_file(p)
        except LoadError as exc:
            raise SpecError([(exc.where, exc.problem)], str(p), what="estimator table") from None
        return cls.from_dict(data, source=str(p))

    def _lookup(self, rows: list[TableEntry], component: str, action: str | None, attrs: Mapping[str, AttrValue]) -> TableEntry | None:
        node = attrs.get("technology_nm")
        if self.technology_nm is not None and node is not None and float(node) != self.technology_nm:
            return None
        best = None
        for row in rows:
            if row.matches(component, action, attrs) and (best is None or len(row.match) > len(best.match)):
                best = row
        return best

    def energy(self, action: Action) -> Estimate | None:
        """Energy of ``action`` in pJ from the best-matching row, or ``None``."""
        row = self._lookup(self._energy, action.component, action.name, dict(action.attrs))
        return None if row is None else Estimate(row.value, "pJ", f"{self.name}: {row.source}", self.name, self.accuracy)

    def area(self, component: Component) -> Estimate | None:
        """Area of ``component`` in um^2 from the best-matching row, or ``None``."""
        row = self._lookup(self._area, component.kind, None, dict(component.attrs))
        return None if row is None else Estimate(row.value, "um2", f"{self.name}: {row.source}", self.name, self.accuracy)
