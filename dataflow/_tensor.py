"""Tensors of a cascade and the optional declarations that fix their dimensions, init values and datatypes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ._ir import is_identifier

__all__ = ["Tensor", "TensorDecl"]


def _check_init(init: object, owner: str) -> float:
    if isinstance(init, bool) or not isinstance(init, (int, float)) or math.isnan(init):
        raise TypeError(f"init of {owner} must be a number (inf allowed), not {init!r}")
    return float(init)


def _check_bits(bits: object, owner: str) -> None:
    if bits is not None and (isinstance(bits, bool) or not isinstance(bits, int) or bits < 1):
        raise ValueError(f"bits of {owner} must be a positive integer, not {bits!r}")


@dataclass(frozen=True)
class TensorDecl:
    """What a cascade file may declare about a tensor.

    Parameters
    ----------
    dims : tuple of str, optional
        Rank names giving the size of each dimension (e.g. a padded input
        ``(n, c, hp, wp)``, or ``(e, m)`` for a key tensor read as ``K[e, m1*4+m0]``).
        Pass analysis treats the ranks that index a dimension named ``m`` as parts of ``m``.
    init : float
        Value of elements no Einsum writes (padding; the start of a recurrence). Default 0.
    bits : int, optional
        Datatype width, used by :meth:`Cascade.tensor_bytes` when no width is given.
    weight : bool
        Whether this input holds parameters (weights) rather than activations.

    Raises
    ------
    TypeError, ValueError
        For a dimension name that is not an identifier, a non-numeric ``init`` or a bad ``bits``.
    """

    dims: tuple[str, ...] | None = None
    init: float = 0.0
    bits: int | None = None
    weight: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.weight, bool):
            raise TypeError(f"weight flag of a tensor declaration must be true or false, not {self.weight!r}")
        if self.dims is not None:
            if isinstance(self.dims, str) or not all(is_identifier(d) for d in self.dims):
                raise ValueError(f"declared dims must be a sequence of rank names, not {self.dims!r}")
            object.__setattr__(self, "dims", tuple(self.dims))
        object.__setattr__(self, "init", _check_init(self.init, "a tensor declaration"))
        _check_bits(self.bits, "a tensor declaration")


@dataclass(frozen=True)
class Tensor:
    """A tensor of a cascade: its dimensions (named by ranks where one determines the size) and shape.

    ``declared`` tells whether the dimensions come from a :class:`TensorDecl`
    (and are written back by :func:`dump_cascade`).
    """

    name: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    init: float = 0.0
    bits: int | None = None
    declared: bool = False
    weight: bool = False

    def __post_init__(self) -> None:
        if not is_identifier(self.name):
            raise ValueError(f"tensor name must be an identifier, not {self.name!r}")
        if len(self.dims) != len(self.shape):
            raise ValueError(f"tensor {self.name!r}: {len(self.dims)} dims but shape {self.shape!r}")
        if any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in self.shape):
            raise ValueError(f"tensor {self.name!r}: shape must hold positive integers, not {self.shape!r}")
        object.__setattr__(self, "init", _check_init(self.init, f"tensor {self.name!r}"))
        _check_bits(self.bits, f"tensor {self.name!r}")

    @property
    def ranks(self) -> tuple[str, ...]:
        """Alias of :attr:`dims`."""
        return self.dims

    @property
    def elements(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def bytes(self, bits: int) -> int:
        """Size in bytes for ``bits`` per element (rounded up to whole bytes)."""
        return -(-self.elements * bits // 8)
