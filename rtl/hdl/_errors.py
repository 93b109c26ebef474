"""The one exception type of the RTL generators."""

from __future__ import annotations

from accel.errors import BadInputError

__all__ = ["HDLParamError", "ToolMissingError", "check_int"]


class HDLParamError(BadInputError):
    """A generator parameter is unsupported: raised before any HDL is built."""


def check_int(where: str, name: str, value: object, lo: int, hi: int | None = None) -> int:
    """Return ``value`` as an int after checking its type and range.

    Raises
    ------
    TypeError
        ``value`` is not an integer (booleans are refused).
    HDLParamError
        ``value`` lies outside ``[lo, hi]``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{where}: {name} must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f"at least {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise HDLParamError(f"{where}: {name} must be {bound}, not {value!r}")
    return value


class ToolMissingError(FileNotFoundError):
    """An external program (Icarus Verilog, nextpnr) is not installed."""

    def __init__(self, tool: str, purpose: str, install: str) -> None:
        super().__init__(f"{tool} not found on PATH (needed for {purpose}); install it with: {install}")
        self.tool = tool
