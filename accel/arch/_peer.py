"""What importing a peer tool's architecture spec gives, and reading the peer's YAML as the peer reads it.

An import (:func:`accel.arch.import_architecture`) yields a
:class:`PeerImport`: the :class:`Architecture`, the per-action energies the
spec states (as a :class:`UserTableEstimator` to register next to the
built-in estimators), and notes -- one line per assumption the translation
makes (a value the peer's format does not state, two peer memories merged into
one of ours).  Anything the architecture cannot express is a
:class:`SpecError` naming the key, never a silently different architecture.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
import yaml

from .._types import YamlScalar, YamlValue
from ._errors import SpecError
from ._safeload import LoadError, _Fault, _Loader, _mark, read_text
from ._types import Architecture
from ._user_table import UserTableEstimator

__all__ = ["PeerImport", "load_peer_yaml", "import_architecture", "detect_format", "FORMATS"]

#: Peer formats :func:`import_architecture` reads.
FORMATS: tuple[str, ...] = ("zigzag", "timeloop")


@dataclass(frozen=True)
class PeerImport:
    """A peer's architecture spec translated.

    Attributes
    ----------
    architecture : Architecture
    energy : UserTableEstimator or None
        The energies the spec states, per action of ``architecture``
        (declared accuracy 100: numbers from the spec itself); None if it
        states none.
    notes : tuple of str
        Every assumption of the translation, one per line.
    format : str
        One of :data:`FORMATS`.
    source : str
        The file name.
    """

    architecture: Architecture
    energy: UserTableEstimator | None
    notes: tuple[str, ...]
    format: str
    source: str
    #: the energy table's data (what ``energy`` was built from), for writing it as YAML
    energy_data: dict | None = None


class _LastKeyWins(_Loader):
    """The bounded loader, but a duplicate key keeps its last value (as PyYAML's safe_load, which peers use) and is noted."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[YamlScalar, YamlValue]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[YamlScalar, yaml.Node] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                first = seen.setdefault(key, key_node) if isinstance(key, (str, int, float, bool)) else key_node
                if first is not key_node:
                    self.duplicates.append(
                        f"line {key_node.start_mark.line + 1}: duplicate key {key!r} (first on line "
                        f"{first.start_mark.line + 1}); the last one is read, as the peer's YAML loader (PyYAML) reads it")
        return yaml.SafeLoader.construct_mapping(self, node, deep=deep)


def _tagged(loader: _LastKeyWins, suffix: str, node: yaml.Node) -> dict[str, YamlValue]:
    """A node tagged ``!Name`` (Timeloop v4's ``!Container``, ``!Component``, ``!Parallel``): its value, the tag kept under ``'!'``."""
    if isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
        if "!" in value:
            raise _Fault(f"a mapping tagged !{suffix} has a key '!', which the tag's name takes", node.start_mark)
        return {"!": suffix, **value}
    if isinstance(node, yaml.SequenceNode):
        return {"!": suffix, "nodes": loader.construct_sequence(node, deep=True)}
    return {"!": suffix, "value": loader.construct_scalar(node)}


_LastKeyWins.add_multi_constructor("!", _tagged)


def load_peer_yaml(text: str, source: str) -> tuple[YamlValue, list[str]]:
    """The data of a peer's YAML file and a note per duplicate key (the last value kept).

    Local tags (``!Container``) become mappings with the tag's name under the key ``'!'``.

    Raises
    ------
    SpecError
        For malformed YAML (with the line), more than one document, recursive aliases.
    """
    loader = _LastKeyWins(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except _Fault as fault:
        err = _mark(source, fault.problem, fault.mark)
        raise SpecError([(err.where, err.problem)], source, what="peer architecture spec") from None
    except yaml.MarkedYAMLError as exc:
        err = _mark(source, f"malformed YAML: {exc.problem or exc}", exc.problem_mark)
        raise SpecError([(err.where, err.problem)], source, what="peer architecture spec") from None
    except yaml.YAMLError as exc:
        raise SpecError([("", f"malformed YAML: {exc}")], source, what="peer architecture spec") from None
    finally:
        loader.dispose()
    return data, list(loader.duplicates)


def detect_format(data: YamlValue) -> str | None:
    """``'zigzag'``, ``'timeloop'`` or None, from the top-level keys of a spec's data."""
    if not isinstance(data, dict):
        return None
    if "memories" in data and "operational_array" in data:
        return "zigzag"
    arch = data.get("architecture")
    if isinstance(arch, dict) and ("nodes" in arch or "subtree" in arch):
        return "timeloop"
    return None


def import_architecture(path: str | os.PathLike[str], *, fmt: str | None = None, clock_mhz: float | None = None,
                        technology_nm: float | None = None) -> PeerImport:
    """Read a peer tool's architecture spec (ZigZag hardware YAML, Timeloop v4 architecture).

    Parameters
    ----------
    path : path-like
        The spec file.
    fmt : str, optional
        One of :data:`FORMATS`; by default recognized from the file's keys.
    clock_mhz, technology_nm : float, optional
        Values the peer's format does not state (the defaults are noted).

    Raises
    ------
    SpecError
        For a file in no known format, or a spec accel's architecture cannot
        express (the message names the key).
    FileNotFoundError
        For a path that does not exist.
    """
    from ._timeloop import from_timeloop
    from ._zigzag import from_zigzag

    source = os.fspath(path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"no architecture spec file {source!r}")
    try:
        text = read_text(path, source)
    except LoadError as exc:
        raise SpecError([("", exc.problem)], source, what="peer architecture spec") from None
    data, notes = load_peer_yaml(text, source)
    found = fmt or detect_format(data)
    if found not in FORMATS:
        raise SpecError([("", "not a ZigZag hardware spec (keys name, memories, operational_array) nor a Timeloop v4 "
                              "architecture (architecture.nodes); give the format explicitly if it is one"
                          if fmt is None else f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")],
                        source, what="peer architecture spec")
    build = from_zigzag if found == "zigzag" else from_timeloop
    return build(data, source, notes, clock_mhz=clock_mhz, technology_nm=technology_nm)
