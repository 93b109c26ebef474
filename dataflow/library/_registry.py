"""The name registry of built-in workloads (explicit: one entry per builder)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import TypeAlias, Union

from .._cascade import Cascade
from .._errors import UnknownNameError
from ._attention import attention_1pass, attention_2pass, attention_3pass, transformer_block
from ._basic import batched_gemm, conv2d, depthwise_conv2d, gemm, layernorm, mlp
from ._bert import bert_base
from ._resnet import resnet18, resnet50
from ._util import LibraryParameterError

__all__ = ["names", "build", "params", "describe", "ParameterValue"]

#: A workload parameter's value: a size or count, a flag, or a list of sizes (``mlp``'s ``sizes``).
ParameterValue: TypeAlias = Union[int, bool, Sequence[int]]

_BUILDERS: dict[str, Callable[..., Cascade]] = {
    "gemm": gemm,
    "batched_gemm": batched_gemm,
    "conv2d": conv2d,
    "depthwise_conv2d": depthwise_conv2d,
    "mlp": mlp,
    "layernorm": layernorm,
    "attention_3pass": attention_3pass,
    "attention_2pass": attention_2pass,
    "attention_1pass": attention_1pass,
    "transformer_block": transformer_block,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "bert_base": bert_base,
}


def names() -> tuple[str, ...]:
    """Names of the built-in workloads."""
    return tuple(_BUILDERS)


def _builder(name: str) -> Callable[..., Cascade]:
    try:
        return _BUILDERS[name]
    except (KeyError, TypeError):
        raise UnknownNameError(f"unknown workload {name!r}", expected=f"one of {', '.join(_BUILDERS)}") from None


def params(name: str) -> dict[str, ParameterValue]:
    """Parameters of workload ``name`` and their defaults.

    Raises
    ------
    UnknownNameError
        For an unknown workload.
    """
    signature = inspect.signature(_builder(name))
    return {p.name: p.default for p in signature.parameters.values()}


def describe(name: str) -> str:
    """First line of workload ``name``'s docstring.

    Raises
    ------
    UnknownNameError
        For an unknown workload.
    """
    doc = inspect.getdoc(_builder(name)) or ""
    line = doc.splitlines()[0] if doc else ""
    return re.sub(r":func:`([^`]*)`", r"\1", line).replace("``", "")


def build(name: str, **parameters: ParameterValue) -> Cascade:
    """Build workload ``name`` with ``parameters`` (others keep their defaults).

    Raises
    ------
    UnknownNameError
        For an unknown workload or parameter.
    TypeError, ValueError
        For parameter values the builder rejects.
    """
    known = params(name)
    for key, value in parameters.items():
        if key not in known:
            raise UnknownNameError(
                f"unknown parameter {key!r} for workload {name!r}", expected=f"one of {', '.join(known)}"
            )
        _check_type(name, key, value, known[key])
    return _BUILDERS[name](**parameters)


#: Largest size a parameter may take: 2**53, the integers the models count exactly in float64.
_MAX_INT = 2**53


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_type(name: str, key: str, value: object, default: ParameterValue) -> None:
    """Raise :class:`LibraryParameterError` unless ``value`` has the type of ``default`` (and an int is in range)."""
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:80] + "..."
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise LibraryParameterError(f"{name}: parameter {key} must be true or false, not {shown}")
    elif isinstance(default, int):
        if not _is_int(value):
            raise LibraryParameterError(f"{name}: parameter {key} must be an integer, not {shown}")
        if abs(value) > _MAX_INT:
            raise LibraryParameterError(f"{name}: parameter {key} must be at most 2**53 = {_MAX_INT:,}, not {shown}")
    elif isinstance(default, tuple):
        if not isinstance(value, (tuple, list)) or not all(_is_int(v) for v in value):
            raise LibraryParameterError(f"{name}: parameter {key} must be a list of integers such as 64,32, not {shown}")
        if any(abs(v) > _MAX_INT for v in value):
            raise LibraryParameterError(f"{name}: parameter {key} holds a size above 2**53 = {_MAX_INT:,}: {shown}")
