"""The estimator interface: energy per action and area per component, most accurate wins.

Estimators are plain objects registered explicitly in an
:class:`EstimatorRegistry` (no discovery by name).  Each declares an
``accuracy`` on a 0-100 scale; for every question the registry asks them in
order of decreasing accuracy and returns the first answer.  Scale used here:

* 30 -- the built-in Horowitz 45 nm table with scaling rules (``accel._horowitz``);
* 60 -- a user-supplied table (default; the table may declare its own);
* 80 -- numbers from synthesis of this project's RTL (added by ``rtl``);
* 100 -- a number written in the architecture spec itself (``dram.energy_per_byte``).
"""

from __future__ import annotations

from accel.errors import BadInputError

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias, Union

__all__ = ["AttrValue", "Action", "Component", "Estimate", "Estimator", "EstimatorRegistry", "NoEstimateError"]


#: The value of an action's or a component's attribute: a name, a number or a flag (``None``: not given).
AttrValue: TypeAlias = Union[str, int, float, bool, None]


def _attrs(attrs: dict[str, AttrValue]) -> tuple[tuple[str, AttrValue], ...]:
    return tuple(sorted(attrs.items()))


@dataclass(frozen=True)
class Action:
    """Something a hardware component does that costs energy.

    Parameters
    ----------
    component : str
        ``'mac'``, ``'regfile'``, ``'sram'``, ``'dram'``, ``'noc'``, ``'vector'``, or a
        primitive (``'int_add'``, ``'int_mult'``, ``'fp_add'``, ``'fp_mult'``).
    name : str
        ``'compute'``, ``'read'``, ``'write'``, ``'hop'``, ``'op'``.
    attrs : tuple of (str, AttrValue)
        Sorted attribute pairs (build with :meth:`of`).  Energies are per
        occurrence: one MAC, one access of a ``word_bits`` word, one byte of
        DRAM traffic, one word moved one hop.
    """

    component: str
    name: str
    attrs: tuple[tuple[str, AttrValue], ...] = ()

    @classmethod
    def of(cls, component: str, name: str, /, **attrs: AttrValue) -> "Action":
        """Build an action from keyword attributes."""
        return cls(component, name, _attrs(attrs))

    def get(self, key: str, default: AttrValue = None) -> AttrValue:
        """Attribute ``key``, or ``default``."""
        return dict(self.attrs).get(key, default)

    def describe(self) -> str:
        """``component.name(k=v, ...)`` for messages."""
        inner = ", ".join(f"{k}={v!r}" for k, v in self.attrs)
        return f"{self.component}.{self.name}({inner})"


@dataclass(frozen=True)
class Component:
    """A hardware component whose area is estimated (one instance).

    Parameters
    ----------
    kind : str
        ``'mac'``, ``'regfile'``, ``'sram'``, ``'vector'`` (one lane), ...
    attrs : tuple of (str, AttrValue)
        Sorted attribute pairs (build with :meth:`of`).
    """

    kind: str
    attrs: tuple[tuple[str, AttrValue], ...] = ()

    @classmethod
    def of(cls, kind: str, /, **attrs: AttrValue) -> "Component":
        """Build a component from keyword attributes."""
        return cls(kind, _attrs(attrs))

    def get(self, key: str, default: AttrValue = None) -> AttrValue:
        """Attribute ``key``, or ``default``."""
        return dict(self.attrs).get(key, default)

    def describe(self) -> str:
        """``kind(k=v, ...)`` for messages."""
        return f"{self.kind}({', '.join(f'{k}={v!r}' for k, v in self.attrs)})"


@dataclass(frozen=True)
class Estimate:
    """One number with where it came from.

    Parameters
    ----------
    value : float
        The estimate.
    unit : str
        ``'pJ'`` or ``'um2'``.
    source : str
        Citation and the rule applied.
    estimator : str
        Name of the estimator that answered.
    accuracy : int
        That estimator's declared accuracy.
    """

    value: float
    unit: str
    source: str
    estimator: str
    accuracy: int


class Estimator(ABC):
    """Base class of energy/area estimators.

    Subclasses set ``name`` and ``accuracy`` and answer ``None`` for what
    they do not cover.
    """

    name: str = "estimator"
    accuracy: int = 0

    @abstractmethod
    def energy(self, action: Action) -> Estimate | None:
        """Energy of one ``action`` in pJ, or ``None`` if not covered."""

    def area(self, component: Component) -> Estimate | None:
        """Area of one ``component`` in um^2, or ``None`` if not covered."""
        return None


class NoEstimateError(BadInputError):
    """No registered estimator answers for an action or component."""


class EstimatorRegistry:
    """Estimators registered explicitly; the most accurate one that answers wins.

    Parameters
    ----------
    estimators : iterable of Estimator
        Registered in order (ties in accuracy go to the earlier one).
    """

    def __init__(self, estimators: Iterable[Estimator] = ()) -> None:
        self._estimators: list[Estimator] = []
        for est in estimators:
            self.register(est)

    def register(self, estimator: Estimator) -> "EstimatorRegistry":
        """Add ``estimator``; returns the registry for chaining.

        Raises
        ------
        TypeError
            If it is not an :class:`Estimator`.
        ValueError
            If its accuracy is not an integer in 0..100 or its name is already registered.
        """
        if not isinstance(estimator, Estimator):
            raise TypeError(f"can only register Estimator instances, not {estimator!r}")
        acc = estimator.accuracy
        if isinstance(acc, bool) or not isinstance(acc, int) or not 0 <= acc <= 100:
            raise ValueError(f"estimator {estimator.name!r} accuracy must be an integer in 0..100, not {acc!r}")
        if any(e.name == estimator.name for e in self._estimators):
            raise ValueError(f"an estimator named {estimator.name!r} is already registered")
        self._estimators.append(estimator)
        return self

    @property
    def estimators(self) -> tuple[Estimator, ...]:
        """Registered estimators, most accurate first."""
        order = sorted(range(len(self._estimators)), key=lambda i: (-self._estimators[i].accuracy, i))
        return tuple(self._estimators[i] for i in order)

    def energy(self, action: Action) -> Estimate | None:
        """The most accurate energy estimate for ``action``, or ``None``."""
        for est in self.estimators:
            answer = est.energy(action)
            if answer is not None:
                return answer
        return None

    def area(self, component: Component) -> Estimate | None:
        """The most accurate area estimate for ``component``, or ``None``."""
        for est in self.estimators:
            answer = est.area(component)
            if answer is not None:
                return answer
        return None

    def energy_candidates(self, action: Action) -> tuple[Estimate, ...]:
        """Every estimator's answer for ``action``, most accurate first."""
        return tuple(a for a in (e.energy(action) for e in self.estimators) if a is not None)

    def describe(self) -> str:
        """``name (accuracy N), ...`` for messages."""
        return ", ".join(f"{e.name} (accuracy {e.accuracy})" for e in self.estimators) or "none"
