"""Safe reading of the YAML and JSON files every package takes: bounded, strict, and naming the place of a fault.

Every reader of user files (architecture specs, cascades, sweep specs, estimator tables, measurement files)
goes through :func:`read_text`, :func:`load_yaml` and :func:`load_json` (JSON in :mod:`._safejson`). Beyond
``yaml.safe_load`` and ``json.loads`` they

* reject a key given twice in one mapping (YAML) or object (JSON) instead of keeping the later one;
* reject a recursive YAML alias and bound what aliases expand to (:data:`MAX_NODES` nodes, the "billion laughs"),
  and bound nesting depth (:data:`MAX_DEPTH`), so neither a loader nor a later walk over the data recurses without
  end or fills memory;
* reject integers outside the signed 64-bit range (a 40-digit capacity) and, in JSON, ``NaN``, ``Infinity`` and
  numbers that overflow to infinity: no model represents them, and they would fail later as ``OverflowError``;
* read files as UTF-8 (an initial UTF-8 byte-order mark is dropped), name a UTF-16 or UTF-32 file as such, name
  the line of a byte that is not UTF-8, and refuse files over :data:`MAX_BYTES`.

Each failure raises :class:`LoadError` (a :class:`~accel.errors.BadInputError`) whose message reads
``SOURCE, line L, column C: problem``; readers that collect errors of their own take ``where`` and ``problem``
from it.
"""

from __future__ import annotations

import os
from pathlib import Path
import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent

from .._types import YamlScalar, YamlValue
from ..errors import BadInputError

__all__ = ["LoadError", "decode", "read_text", "load_yaml", "load_yaml_file", "is_file", "MAX_BYTES", "MAX_DEPTH",
           "MAX_NODES", "INT_RANGE"]

#: Largest file read, in bytes.
MAX_BYTES = 32 * 1024 * 1024
#: Deepest nesting of mappings and sequences (YAML) or objects and arrays (JSON).
MAX_DEPTH = 100
#: Most nodes a YAML document may hold once its aliases are expanded.
MAX_NODES = 1_000_000
#: Integers a file may hold: the signed 64-bit range, ``[-2**63, 2**63)``.
INT_RANGE = (-(2**63), 2**63)
_MAX_INT_DIGITS = 25  # longer literals are out of range whatever they say; checked before int() is asked


class LoadError(BadInputError):
    """A file that cannot be read as YAML or JSON, or holds what no reader accepts.

    Parameters
    ----------
    source : str
        The file name (or ``'<string>'``).
    problem : str
        What is wrong.
    line, column : int, optional
        1-based place of the fault.
    """

    def __init__(self, source: str, problem: str, line: int | None = None, column: int | None = None) -> None:
        self.source, self.problem, self.line, self.column = source, problem, line, column
        super().__init__(f"{source}, {self.where}: {problem}" if self.where else f"{source}: {problem}")

    @property
    def where(self) -> str:
        """``'line L, column C'`` (or ``'line L'``, or ``''`` when the place is unknown)."""
        if self.line is None:
            return ""
        return f"line {self.line}" + (f", column {self.column}" if self.column is not None else "")

    def __reduce__(self):  # picklable (pytest-xdist, Dask workers)
        return (LoadError, (self.source, self.problem, self.line, self.column))


# -- text ---------------------------------------------------------------------------------------------------
_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16"))


def decode(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text (a leading byte-order mark dropped), or a :class:`LoadError` naming the encoding."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise LoadError(source, f"the file is {name} text (it starts with a {name} byte-order mark); "
                                    "accel reads UTF-8: save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = " (NUL bytes: UTF-16 without a byte-order mark, or a binary file)" if b"\x00" in data[:4096] else ""
        raise LoadError(source, f"not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded{hint}", line, column) from None
    if "\x00" in text:
        at = text.index("\x00")
        line = text.count("\n", 0, at) + 1
        raise LoadError(source, "the file holds a NUL character: UTF-16 text without a byte-order mark, or a binary file; "
                                "accel reads UTF-8", line, at - (text.rfind("\n", 0, at) + 1) + 1)
    return text


def read_text(path: str | os.PathLike[str], source: str | None = None) -> str:
    """The UTF-8 text of the file at ``path``.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        As :func:`open` does.
    LoadError
        For a file over :data:`MAX_BYTES`, or one that is not UTF-8 (a UTF-16 file is named as such).
    """
    name = source if source is not None else os.fspath(path)
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise LoadError(name, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB; no input of accel is that large")
    return decode(data, name)


# -- YAML ---------------------------------------------------------------------------------------------------
class _Fault(Exception):
    """A fault found while composing or constructing, with its YAML mark; turned into LoadError by load_yaml."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem)
        self.problem, self.mark = problem, mark


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with bounded depth, no recursive aliases, no duplicate keys and 64-bit integers."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._open_anchors: list[str] = []
        self.aliases: list[tuple[str, yaml.Mark, yaml.Node]] = []  # (anchor, mark, node) of every alias, in order

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent) and event.anchor in self._open_anchors:
            raise _Fault(f"recursive alias *{event.anchor}: it refers to the node &{event.anchor} that holds it", event.start_mark)
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            self.aliases.append((event.anchor, event.start_mark, node))
            return node
        collection = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Fault(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            self._open_anchors.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            if collection:
                self._depth -= 1
                self._open_anchors.pop()

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[YamlScalar, YamlValue]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[YamlScalar, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:
                    continue  # unhashable: the base constructor says so with its mark
                if first is not key_node:
                    raise _Fault(f"duplicate key {key!r} (first given on line {first.start_mark.line + 1}); "
                                 "give each key once", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> YamlValue:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:  # e.g. a timestamp 2024-13-45, a float that overflows
            raise _Fault(f"cannot read {getattr(node, 'value', '')!r}: {exc}", node.start_mark) from None


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    digits = text.replace("_", "").lstrip("+-")
    if len(digits) > _MAX_INT_DIGITS:
        raise _Fault(f"integer of {len(digits)} digits is out of range (integers must lie in [-2**63, 2**63))", node.start_mark)
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    if not INT_RANGE[0] <= value < INT_RANGE[1]:
        raise _Fault(f"integer {value} is out of range (integers must lie in [-2**63, 2**63))", node.start_mark)
    return value


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _check_depth(text: str) -> None:
    """Refuse nesting past :data:`MAX_DEPTH` before the pure-Python scanner sees it (its cost grows with the square of
    the flow depth): libyaml's event stream when it is there, which is linear and stops at 1,000 levels itself."""
    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is None or "[" not in text and "{" not in text:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=c_loader):
            if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Fault(f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem or ""):
            raise _Fault(f"nested more than {MAX_DEPTH} levels deep", exc.problem_mark) from None
        # any other fault: the pure-Python loader reports it, in its own words


def _expanded_size(root: yaml.Node, memo: dict[int, int] | None = None) -> int:
    """Nodes of the document with every alias expanded (shared nodes counted each time they are reached)."""
    memo = {} if memo is None else memo
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in memo:
            continue
        if isinstance(node, yaml.ScalarNode):
            memo[id(node)] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else list(node.value)
        if done:
            memo[id(node)] = min(MAX_NODES + 1, 1 + sum(memo[id(c)] for c in children))
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in memo)
    return memo[id(root)]


def _mark(source: str, problem: str, mark: yaml.Mark | None) -> LoadError:
    if mark is None:
        return LoadError(source, problem)
    return LoadError(source, problem, mark.line + 1, mark.column + 1)


def load_yaml(text: str, source: str = "<string>") -> YamlValue:
    """The data of one YAML document, read as ``yaml.safe_load`` does, with the checks of this module.

    Parameters
    ----------
    text : str
        YAML text.
    source : str
        Name for messages (the file name).

    Raises
    ------
    LoadError
        Malformed YAML, a duplicate key, a recursive alias, aliases that expand past :data:`MAX_NODES` nodes,
        nesting past :data:`MAX_DEPTH`, an integer out of the 64-bit range, or more than one document.
    """
    if not isinstance(text, str):
        raise TypeError(f"load_yaml takes text, not {type(text).__name__}")
    loader = _Loader(text)
    try:
        _check_depth(text)
        node = loader.get_single_node()
        if node is None:
            return None
        memo: dict[int, int] = {}
        if _expanded_size(node, memo) > MAX_NODES:
            # The place: the first alias past the bound by itself, else the largest (a "billion laughs" level).
            sized = [(memo.get(id(target), 0), anchor, mark) for anchor, mark, target in loader.aliases]
            over = [a for a in sized if a[0] > MAX_NODES] or sorted(sized, key=lambda a: -a[0])[:1]
            if not over:
                raise LoadError(source, f"the document holds more than {MAX_NODES:,} nodes")
            size, anchor, mark = over[0]
            what = (f"alias *{anchor} expands to more than {MAX_NODES:,} nodes" if size > MAX_NODES else
                    f"aliases expand the document past {MAX_NODES:,} nodes (the largest, *{anchor}, to {size:,})")
            raise _mark(source, f"{what}; a document holds at most {MAX_NODES:,} once its aliases are expanded: write "
                                "the values out or nest fewer aliases", mark)
        return loader.construct_document(node)
    except _Fault as fault:
        raise _mark(source, fault.problem, fault.mark) from None
    except ComposerError as exc:
        if "expected a single document" in str(exc.context or ""):
            raise _mark(source, "more than one YAML document (a second '---'); give one", exc.problem_mark) from None
        raise _mark(source, f"malformed YAML: {exc.problem or exc}", exc.problem_mark) from None
    except yaml.MarkedYAMLError as exc:
        raise _mark(source, f"malformed YAML: {exc.problem or exc}", exc.problem_mark) from None
    except yaml.YAMLError as exc:
        raise LoadError(source, f"malformed YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml_file(path: str | os.PathLike[str], source: str | None = None) -> YamlValue:
    """:func:`load_yaml` of :func:`read_text` of ``path`` (``source`` defaults to the path)."""
    name = source if source is not None else os.fspath(path)
    return load_yaml(read_text(path, name), name)


def is_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names an existing regular file (``False`` for names the OS cannot even look up)."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False
