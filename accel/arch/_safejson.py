"""Safe reading of JSON: the checks of :mod:`._safeload` (duplicate keys, depth, 64-bit integers, the place of a
fault) for JSON, plus ``NaN``, ``Infinity`` and numbers that overflow, which no model represents. Valid JSON is
read by ``json``'s C scanner; only a faulty file is read again with the decoder that finds the place.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import math
import os
from collections.abc import Callable
from typing import NoReturn, TypeAlias

from .._types import JsonValue
from ._safeload import _MAX_INT_DIGITS, INT_RANGE, MAX_DEPTH, LoadError, read_text

__all__ = ["load_json", "load_json_file"]


#: ``scan_once(text, index) -> (value, end)``: the JSON scanner's step.
_Scan: TypeAlias = Callable[[str, int], tuple[JsonValue, int]]


class _Huge(str):
    """An integer literal too long to convert; the scanner wrapper reports it with its place."""


class _Constant(str):
    """``NaN``, ``Infinity`` or ``-Infinity``, which JSON does not have; reported with its place."""


def _place(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class _JsonFault(Exception):
    def __init__(self, problem: str, index: int) -> None:
        super().__init__(problem)
        self.problem, self.index = problem, index


def _key_index(text: str, start: int, end: int, key: str, inner: list[tuple[int, int]]) -> int:
    """Where ``key`` is given the second time among an object's own keys in ``text[start:end]`` (else ``start``)."""
    needle = json.dumps(key)
    hits, at = 0, start
    while True:
        at = text.find(needle, at, end)
        if at < 0:
            return start
        if not any(a <= at < b for a, b in inner) and text[at + len(needle):end].lstrip().startswith(":"):
            hits += 1
            if hits == 2:
                return at
        at += len(needle)


def _decoder(text: str) -> json.JSONDecoder:
    decoder = json.JSONDecoder(
        parse_int=lambda s: _Huge(s) if len(s.lstrip("-")) > _MAX_INT_DIGITS else int(s),
        parse_constant=_Constant,
    )
    spans: list[tuple[int, int]] = []  # objects already parsed, to skip their keys when locating a duplicate
    depth = [0]

    def checked(scan_once: _Scan) -> _Scan:
        def scan(s: str, index: int) -> tuple[JsonValue, int]:
            value, end = scan_once(s, index)
            if isinstance(value, _Huge) or (isinstance(value, int) and not isinstance(value, bool)
                                            and not INT_RANGE[0] <= value < INT_RANGE[1]):
                raise _JsonFault(f"integer {str(value)[:30]}{'...' if len(str(value)) > 30 else ''} is out of range "
                                 "(integers must lie in [-2**63, 2**63))", index)
            if isinstance(value, _Constant):
                raise _JsonFault(f"{value} is not a JSON number; give a finite number", index)
            if isinstance(value, float) and not math.isfinite(value):
                raise _JsonFault(f"number {s[index:end]} is out of range (it overflows to infinity)", index)
            return value, end
        return scan

    def nested(parse: Callable[..., tuple[JsonValue, int]], what: str) -> Callable[..., tuple[JsonValue, int]]:
        def run(s_and_end: tuple[str, int], *args: object, **kwargs: object) -> tuple[JsonValue, int]:
            depth[0] += 1
            if depth[0] > MAX_DEPTH:
                raise _JsonFault(f"nested more than {MAX_DEPTH} levels deep", s_and_end[1] - 1)
            try:
                args = list(args)
                if what == "object":  # (strict, scan_once, object_hook, object_pairs_hook, memo)
                    args[1] = checked(args[1])
                    args[3] = list  # the pairs, in order, to check for repeats
                else:  # (scan_once,)
                    args[0] = checked(args[0])
                result, end = parse(s_and_end, *args, **kwargs)
            finally:
                depth[0] -= 1
            if what != "object":
                return result, end
            start = s_and_end[1] - 1
            out: dict[str, JsonValue] = {}
            for key, value in result:
                if key in out:
                    inner = [(a, b) for a, b in spans if start < a and b <= end]
                    raise _JsonFault(f"duplicate key {key!r} in one object; give each key once",
                                     _key_index(text, start, end, key, inner))
                out[key] = value
            spans.append((start, end))
            return out, end
        return run

    decoder.parse_object = nested(json.decoder.JSONObject, "object")
    decoder.parse_array = nested(json.decoder.JSONArray, "array")
    decoder.scan_once = checked(json.scanner.py_make_scanner(decoder))
    return decoder


class _Refused(Exception):
    """The fast path met something :func:`load_json` refuses; the slow path finds where."""


def _refuse(*_: object) -> NoReturn:
    raise _Refused


def _pairs(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Refused
    return out


def _fast_json(text: str) -> JsonValue:
    """``json.loads`` (its C scanner) with the checks as a hook and one walk; :class:`_Refused` on any fault."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_constant=_refuse)
    except (ValueError, RecursionError):  # malformed, or an integer too long for int()
        raise _Refused from None
    low, high = INT_RANGE
    stack: list[tuple[JsonValue, int]] = [(data, 1)]
    while stack:  # depth (which the C scanner bounds only by the recursion limit), integer range, overflow
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise _Refused
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise _Refused
        elif isinstance(node, int) and not low <= node < high:
            raise _Refused
    return data


def load_json(text: str, source: str = "<string>") -> JsonValue:
    """The data of a JSON document, as ``json.loads`` reads it, with the checks of this module.

    Raises
    ------
    LoadError
        Malformed JSON, a duplicate key, ``NaN``/``Infinity``, an integer out of the 64-bit range, a number that
        overflows, or nesting past :data:`MAX_DEPTH`.
    """
    if not isinstance(text, str):
        raise TypeError(f"load_json takes text, not {type(text).__name__}")
    try:
        return _fast_json(text)
    except _Refused:
        pass  # a fault somewhere: read again with the decoder that knows where
    try:
        return _decoder(text).decode(text)
    except _JsonFault as fault:
        raise LoadError(source, fault.problem, *_place(text, fault.index)) from None
    except json.JSONDecodeError as exc:
        raise LoadError(source, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None


def load_json_file(path: str | os.PathLike[str], source: str | None = None) -> JsonValue:
    """:func:`load_json` of :func:`read_text` of ``path`` (``source`` defaults to the path)."""
    name = source if source is not None else os.fspath(path)
    return load_json(read_text(path, name), name)
