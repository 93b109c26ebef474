"""The on-chip scratchpad: capacity, banks and alignment."""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import SizeError
from ._sizes import parse_size


@dataclass(frozen=True)
class Scratchpad:
    """A software-managed on-chip memory.

    Parameters
    ----------
    capacity:
        Bytes, or a size string such as ``"512KiB"`` (parsed by :func:`parse_size`).
    banks:
        Number of equal banks.  With more than one bank, a tensor no larger than
        a bank must sit inside one bank; a larger tensor must start on a bank
        boundary (it then spans whole banks).
    alignment:
        Every tensor starts at a multiple of ``alignment`` bytes and occupies its
        size rounded up to a multiple of it.

    Raises
    ------
    ValueError
        If the capacity is zero, negative or not a size; if ``banks`` or
        ``alignment`` is not a positive integer; if the capacity does not split
        into ``banks`` equal banks that are multiples of ``alignment``.
    """

    capacity: int
    banks: int = 1
    alignment: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "capacity", parse_size(self.capacity))
        for field in ("banks", "alignment"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise SizeError(f"Scratchpad.{field} must be a positive integer, not {value!r}")
        if self.capacity % self.banks:
            raise SizeError(f"Scratchpad capacity {self.capacity!r} does not split into {self.banks!r} equal banks")
        if self.bank_size % self.alignment:
            raise SizeError(
                f"Scratchpad bank size {self.bank_size!r} is not a multiple of the alignment {self.alignment!r}"
            )

    @property
    def bank_size(self) -> int:
        """Bytes per bank (the capacity when there is one bank)."""
        return self.capacity // self.banks

    def footprint(self, size: int) -> int:
        """Bytes a tensor of ``size`` bytes occupies: rounded up to the alignment."""
        return -(-size // self.alignment) * self.alignment

    def placement_error(self, start: int, size: int) -> str | None:
        """Why a tensor of ``size`` bytes cannot start at ``start``, or None if it can."""
        end = start + self.footprint(size)
        if start < 0 or end > self.capacity:
            return f"range [{start}, {end}) lies outside the scratchpad [0, {self.capacity})"
        if start % self.alignment:
            return f"start address {start} is not a multiple of the alignment {self.alignment}"
        if self.banks > 1:
            bank = self.bank_size
            if self.footprint(size) <= bank:
                if start // bank != (end - 1) // bank:
                    return f"range [{start}, {end}) crosses a bank boundary (bank size {bank})"
            elif start % bank:
                return f"range [{start}, {end}) is larger than a bank but does not start on a bank boundary"
        return None

    def lowest_start(self, size: int, start: int) -> int | None:
        """The lowest legal start address at or above ``start``, or None."""
        fp = self.footprint(size)
        addr = -(-start // self.alignment) * self.alignment
        bank = self.bank_size
        while addr + fp <= self.capacity:
            if self.placement_error(addr, size) is None:
                return addr
            if fp > bank or self.banks == 1:
                addr = -(-addr // bank) * bank if self.banks > 1 else addr + self.alignment
            else:
                addr = (addr // bank + 1) * bank
        return None

    def fits(self, size: int) -> bool:
        """True if a tensor of ``size`` bytes can be placed in the empty scratchpad."""
        return self.lowest_start(size, 0) is not None
