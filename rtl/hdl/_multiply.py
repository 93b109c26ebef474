"""The integer multiplier of a MAC datapath: a ``*`` for synthesis to map (a DSP block), or one built of gates.

An FPGA has a fixed number of hard multipliers (an LFE5U-85F: 156
MULT18X18D); an array with more PEs than that leaves some PEs' products to
the LUTs. Yosys maps every ``*`` to a DSP block, however few the part has
(or, with ``-nodsp``, none), so the generator chooses per PE instead: a *soft*
multiplier is written out as its partial products and a tree of adders,
which synthesis maps to LUTs and carry chains and never to a DSP block. Both
give the same bits: the soft product is the exact product, by the same two's
complement algebra.
"""

from __future__ import annotations

from amaranth.hdl import Module, Mux, Signal, Value

__all__ = ["soft_product"]


def soft_product(m: Module, a: Value, b: Value, *, is_signed: bool, name: str) -> Value:
    """``a * b`` built of gates: partial products ``b[i] ? a << i : 0`` summed by a tree of adders.

    For signed (two's complement) operands the top partial product is
    subtracted, as the sign bit weighs ``-2**(n-1)``. Every sum of the tree
    is its own kept signal, so that Yosys maps each to a carry chain rather
    than merging the tree into one multi-operand adder of LUTs. Assigned to a
    signal of ``len(a) + len(b)`` bits (of the operands' signedness) it is
    the exact product; synthesis never maps it to a DSP block.
    """
    a_v, b_v = Value.cast(a), Value.cast(b)
    x = a_v.as_signed() if is_signed else a_v
    terms: list[Value] = [Mux(b_v[i], x << i, 0) for i in range(len(b_v))]
    if is_signed:
        terms[-1] = -terms[-1]
    level = 0
    while len(terms) > 1:
        nxt: list[Value] = []
        for i in range(0, len(terms) - 1, 2):
            total = terms[i] + terms[i + 1]
            node = Signal(total.shape(), name=f"{name}_s{level}_{i // 2}", attrs={"keep": 1})
            m.d.comb += node.eq(total)
            nxt.append(node)
        if len(terms) % 2:
            nxt.append(terms[-1])
        terms, level = nxt, level + 1
    return terms[0]
