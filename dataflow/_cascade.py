"""A cascade: an ordered list of Einsums over shared ranks, with its dependency graph and size facts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

from ._einsum import Einsum
from ._errors import UnknownNameError
from ._ir import Rank
from ._tensor import Tensor

__all__ = ["Cascade"]


@dataclass(frozen=True, repr=False)
class Cascade:
    """An ordered list of Einsums (producers before consumers) with rank sizes and tensors.

    Build one with :func:`parse_cascade`, :func:`build_cascade`, :func:`load_cascade`
    or the ``library`` builders: they validate the Einsums against each other
    (unknown ranks, sizes, bounds, cycles); this class only answers questions.

    Attributes
    ----------
    name : str
    einsums : tuple of Einsum
        In a valid execution order.
    ranks : tuple of Rank
        Every rank and its size.
    tensor_list : tuple of Tensor
        Every tensor, in order of first appearance.
    """

    name: str
    einsums: tuple[Einsum, ...]
    ranks: tuple[Rank, ...]
    tensor_list: tuple[Tensor, ...]

    def __post_init__(self) -> None:
        for field_name, kind in (("einsums", Einsum), ("ranks", Rank), ("tensor_list", Tensor)):
            items = tuple(getattr(self, field_name))
            for item in items:
                if not isinstance(item, kind):
                    raise TypeError(f"Cascade {self.name!r}: {field_name} must hold {kind.__name__} objects, not {item!r}")
            object.__setattr__(self, field_name, items)

    # ------------------------------------------------------------ lookups
    @cached_property
    def shapes(self) -> Mapping[str, int]:
        """Rank name -> size (read-only)."""
        return MappingProxyType({rank.name: rank.size for rank in self.ranks})

    @cached_property
    def tensors(self) -> Mapping[str, Tensor]:
        """Tensor name -> :class:`Tensor` (read-only)."""
        return MappingProxyType({tensor.name: tensor for tensor in self.tensor_list})

    @cached_property
    def _producers(self) -> dict[str, Einsum]:
        return {einsum.output.tensor: einsum for einsum in self.einsums}

    @cached_property
    def _consumers(self) -> dict[str, tuple[Einsum, ...]]:
        table: dict[str, list[Einsum]] = {}
        for einsum in self.einsums:
            for access in einsum.inputs:
                if access.tensor != einsum.output.tensor:
                    table.setdefault(access.tensor, []).append(einsum)
        return {name: tuple(einsums) for name, einsums in table.items()}

    @cached_property
    def _by_name(self) -> dict[str, Einsum]:
        return {einsum.name: einsum for einsum in self.einsums}

    def _tensor(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown tensor {name!r} in cascade {self.name!r}",
                expected=f"one of {', '.join(self.tensors)}",
            ) from None

    def einsum(self, name: str) -> Einsum:
        """The Einsum called ``name``.

        Raises
        ------
        UnknownNameError
            When there is none.
        """
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownNameError(
                f"unknown Einsum {name!r} in cascade {self.name!r}",
                expected=f"one of {', '.join(self._by_name)}",
            ) from None

    # ------------------------------------------------------------ graph
    @property
    def inputs(self) -> tuple[str, ...]:
        """Tensors read but produced by no Einsum, in order of first appearance."""
        return tuple(t.name for t in self.tensor_list if t.name not in self._producers)

    @property
    def weights(self) -> tuple[str, ...]:
        """Inputs declared as weights (parameters)."""
        return tuple(t.name for t in self.tensor_list if t.weight)

    @property
    def outputs(self) -> tuple[str, ...]:
        """Tensors produced and read by no other Einsum."""
        return tuple(t.name for t in self.tensor_list if t.name in self._producers and t.name not in self._consumers)

    @property
    def intermediates(self) -> tuple[str, ...]:
        """Tensors produced by one Einsum and read by another."""
        return tuple(t.name for t in self.tensor_list if t.name in self._producers and t.name in self._consumers)

    def producer(self, tensor: str) -> Einsum | None:
        """The Einsum that writes ``tensor`` (``None`` for a cascade input).

        Raises
        ------
        UnknownNameError
            For a tensor not in the cascade.
        """
        self._tensor(tensor)
        return self._producers.get(tensor)

    def consumers(self, tensor: str) -> tuple[Einsum, ...]:
        """The Einsums that read ``tensor``, in cascade order (a recurrence's read of its own output excluded).

        Raises
        ------
        UnknownNameError
            For a tensor not in the cascade.
        """
        self._tensor(tensor)
        return self._consumers.get(tensor, ())

    def dependencies(self) -> dict[str, tuple[str, ...]]:
        """Einsum name -> names of the Einsums whose outputs it reads (the dependency graph)."""
        graph: dict[str, tuple[str, ...]] = {}
        for einsum in self.einsums:
            names = dict.fromkeys(
                self._producers[a.tensor].name
                for a in einsum.inputs
                if a.tensor in self._producers and a.tensor != einsum.output.tensor
            )
            graph[einsum.name] = tuple(names)
        return graph

    # ------------------------------------------------------------ sizes and counts
    def tensor_elements(self, name: str) -> int:
        """Number of elements of tensor ``name``.

        Raises
        ------
        UnknownNameError
            For a tensor not in the cascade.
        """
        return self._tensor(name).elements

    def tensor_bytes(self, name: str, bits: int | None = None) -> int:
        """Bytes of tensor ``name`` with ``bits`` per element (default: its declared datatype).

        Raises
        ------
        UnknownNameError
            For a tensor not in the cascade.
        ValueError
            For a bad ``bits``, or when ``bits`` is omitted and the tensor declares none.
        """
        tensor = self._tensor(name)
        if bits is None:
            bits = tensor.bits
            if bits is None:
                raise ValueError(f"tensor {name!r} declares no datatype; pass bits (e.g. 16)")
        if isinstance(bits, bool) or not isinstance(bits, int) or bits < 1:
            raise ValueError(f"bits must be a positive integer, not {bits!r}")
        return tensor.bytes(bits)

    def op_counts(self) -> dict[str, int]:
        """Operations by operator, summed over all Einsums."""
        total: dict[str, int] = {}
        for einsum in self.einsums:
            for op, count in einsum.op_counts(self.shapes).items():
                total[op] = total.get(op, 0) + count
        return dict(sorted(total.items()))

    def macs(self) -> int:
        """Multiply-accumulates, summed over all Einsums."""
        return sum(einsum.macs(self.shapes) for einsum in self.einsums)

    def reuse_ranks(self, einsum_name: str, tensor: str) -> tuple[str, ...]:
        """Iteration ranks of Einsum ``einsum_name`` that ``tensor`` is not indexed by (reuse facts).

        Raises
        ------
        UnknownNameError
            For an unknown Einsum, or a tensor that Einsum does not access.
        """
        return self.einsum(einsum_name).reuse_ranks(tensor)

    def __repr__(self) -> str:
        return f"<Cascade {self.name!r}: {len(self.einsums)} Einsums, {len(self.tensor_list)} tensors, {len(self.ranks)} ranks>"

    def __str__(self) -> str:
        return "\n".join(str(einsum) for einsum in self.einsums)
