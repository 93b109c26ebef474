"""Parse -> validate -> build: the entry points that read architecture specs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import yaml

from .._types import YamlMapping, YamlValue
from ._errors import SpecError
from ._safeload import LoadError, is_file, load_yaml, read_text
from ._factory import build_architecture, to_dict
from ._types import Architecture
from ._validate import validate_spec

__all__ = ["parse_architecture", "load_architecture", "builtin_architectures", "to_yaml", "BUILTIN_NAMES"]

#: The example architectures shipped in ``accel/examples/<name>.yaml``.
BUILTIN_NAMES: tuple[str, ...] = ("tpu_like", "eyeriss_like", "fusemax_like", "edge")


def builtin_architectures() -> tuple[str, ...]:
    """Names of the built-in example architectures, usable with :func:`load_architecture`."""
    return BUILTIN_NAMES


def parse_architecture(text_or_dict: str | YamlMapping, source: str = "<string>") -> Architecture:
    """Parse, validate and build an architecture.

    Parameters
    ----------
    text_or_dict : str or Mapping
        YAML text (read by :func:`accel.arch.load_yaml`: no duplicate keys, bounded aliases), or the plain
        data it would return.
    source : str
        Where the spec came from, used in error messages.

    Raises
    ------
    SpecError
        If the YAML is malformed or the spec is invalid; every error found is
        listed with its path (``levels[2].read_bandwidth``) and the allowed values.
    TypeError
        If ``text_or_dict`` is neither a string nor a mapping.
    """
    if isinstance(text_or_dict, str):
        try:
            data = load_yaml(text_or_dict, source)
        except LoadError as exc:
            raise SpecError([(exc.where, exc.problem)], source) from None
    elif isinstance(text_or_dict, Mapping):
        data = _plain_copy(text_or_dict)
    else:
        raise TypeError(f"parse_architecture expects YAML text or a mapping, not {type(text_or_dict).__name__}: {text_or_dict!r}")
    return build_architecture(validate_spec(data, source))


def _plain_copy(value: YamlValue | YamlMapping) -> YamlValue:
    """Deep-copy mappings to dicts and tuples to lists, so the validator sees what YAML would give."""
    if isinstance(value, Mapping):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_copy(v) for v in value]
    return value


def load_architecture(name_or_path: str | os.PathLike[str]) -> Architecture:
    """Load a built-in architecture by name, or a YAML spec file by path.

    Parameters
    ----------
    name_or_path : str or path-like
        One of :func:`builtin_architectures` or a path to a ``.yaml`` file.

    Raises
    ------
    FileNotFoundError
        If it is neither a built-in name nor an existing file (the message lists the built-ins).
    SpecError
        If the spec is invalid.
    """
    key = os.fspath(name_or_path)
    if key in BUILTIN_NAMES:
        text = resources.files("accel").joinpath("examples", f"{key}.yaml").read_text(encoding="utf-8")
        return parse_architecture(text, source=f"built-in {key!r}")
    path = Path(key)
    if not is_file(path):
        raise FileNotFoundError(
            f"no architecture file or built-in named {key!r}; built-ins: {', '.join(BUILTIN_NAMES)}"
        )
    try:
        text = read_text(path)
    except LoadError as exc:
        raise SpecError([(exc.where, exc.problem)], str(path)) from None
    return parse_architecture(text, source=str(path))


def to_yaml(arch: Architecture) -> str:
    """The spec of ``arch`` as YAML text; ``parse_architecture(to_yaml(arch)) == arch``.

    Parameters
    ----------
    arch : Architecture
    """
    return yaml.safe_dump(to_dict(arch), sort_keys=False, default_flow_style=None, width=100)
