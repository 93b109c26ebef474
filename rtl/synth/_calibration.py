"""Reference circuits for the gate-to-energy calibration (8-bit multiplier and adder)."""


from amaranth.back import verilog
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Mult8", "Add8", "calibration_verilog"]


class Mult8(wiring.Component):
    """Unsigned 8 x 8 -> 16-bit multiplier (Horowitz: 0.2 pJ at 45 nm)."""

    a: In(8)
    b: In(8)
    p: Out(16)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.p.eq(self.a * self.b)
        return m


class Add8(wiring.Component):
    """Unsigned 8 + 8 -> 9-bit adder (Horowitz: 0.03 pJ at 45 nm)."""

    a: In(8)
    b: In(8)
    s: Out(9)

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.s.eq(self.a + self.b)
        return m


def calibration_verilog() -> dict[str, str]:
    """``{top name: Verilog}`` of the two reference circuits."""
    return {
        "calib_mult8": verilog.convert(Mult8(), name="calib_mult8", emit_src=False),
        "calib_add8": verilog.convert(Add8(), name="calib_add8", emit_src=False),
    }
