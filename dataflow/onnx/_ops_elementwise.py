"""Element-wise operators as map Einsums (broadcasting as in numpy; scalar constants inlined)."""

from __future__ import annotations

import math

import numpy as np

from ._builder import Operand, number
from ._context import Context, Unsupported, converter

__all__: list[str] = []

_FLOAT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
_INV_SQRT2 = 1.0 / math.sqrt(2.0)

_UNARY = {
    "Relu": lambda a: f"relu({a})",
    "Neg": lambda a: f"-{a}",
    "Exp": lambda a: f"exp({a})",
    "Sqrt": lambda a: f"sqrt({a})",
    "Reciprocal": lambda a: f"recip({a})",
    "Tanh": lambda a: f"tanh({a})",
    "Erf": lambda a: f"erf({a})",
    "Abs": lambda a: f"max({a}, -{a})",
    "Sigmoid": lambda a: f"recip(1.0 + exp(-{a}))",
}
_BINARY = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/"}


def _map(ctx: Context, operands: list[Operand], combine, suffix: str = "") -> None:
    name = ctx.out(0, suffix)
    shape = tuple(np.broadcast_shapes(*(ctx.shape(tensor) for tensor in ctx.node.input if tensor)))
    view = ctx.builder.elementwise(name, operands, combine, ctx.label, shape)
    ctx.bind(ctx.node.output[0], view)


def _identity_constant(ctx: Context, other: str, neutral: float) -> bool:
    """Whether ``other`` is a constant equal to ``neutral`` everywhere that does not widen the result."""
    value = ctx.const(other)
    return value is not None and value.size > 0 and bool(np.all(value == neutral))


@converter(*_UNARY)
def unary(ctx: Context, node) -> None:
    build = _UNARY[node.op_type]
    if build is None:
        raise Unsupported(f"{node.op_type} needs an operator the Einsum notation lacks (log)")
    _map(ctx, [ctx.operand(node.input[0])], lambda t: build(t[0]))


@converter(*_BINARY)
def binary(ctx: Context, node) -> None:
    a, b = node.input[0], node.input[1]
    symbol = _BINARY[node.op_type]
    neutral = 0.0 if symbol in "+-" else 1.0
    if not ctx.is_const(a) and _identity_constant(ctx, b, neutral):
        out_shape = tuple(np.broadcast_shapes(ctx.shape(a), ctx.shape(b)))
        if out_shape == ctx.shape(a):
            ctx.bind(node.output[0], ctx.view(a))
            return
    if symbol in "+*" and not ctx.is_const(b) and _identity_constant(ctx, a, neutral):
        out_shape = tuple(np.broadcast_shapes(ctx.shape(a), ctx.shape(b)))
        if out_shape == ctx.shape(b):
            ctx.bind(node.output[0], ctx.view(b))
            return
    _map(ctx, [ctx.operand(a), ctx.operand(b)], lambda t: f"{t[0]} {symbol} {_wrap(t[1], symbol)}")


def _wrap(text: str, symbol: str) -> str:
    return text if symbol in "+*" else f"({text})" if " " in text else text


@converter("Max", "Min", "Sum", "Mean")
def variadic(ctx: Context, node) -> None:
    operands = [ctx.operand(name) for name in node.input if name]
    if not operands:
        raise ctx.error("no inputs")
    if len(operands) == 1:
        if operands[0].view is None:
            raise Unsupported("a single constant input")
        ctx.bind(node.output[0], operands[0].view)
        return
    op = node.op_type.lower()
    if op in ("max", "min"):
        def combine(t):
            text = t[0]
            for other in t[1:]:
                text = f"{op}({text}, {other})"
            return text
    else:
        count = len(operands)
        combine = (lambda t: " + ".join(t)) if op == "sum" else (lambda t: f"({' + '.join(t)}) * {number(1.0 / count)}")
    _map(ctx, operands, combine)


@converter("Pow")
def power(ctx: Context, node) -> None:
    exponent = ctx.const(node.input[1])
    if exponent is None or exponent.size != 1:
        raise Unsupported("its exponent is not a scalar constant")
    e = float(exponent.reshape(-1)[0])
    forms = {
        1.0: lambda a: a, 2.0: lambda a: f"{a} * {a}", 3.0: lambda a: f"{a} * {a} * {a}",
        0.5: lambda a: f"sqrt({a})", -1.0: lambda a: f"recip({a})", -0.5: lambda a: f"recip(sqrt({a}))",
        -2.0: lambda a: f"recip({a} * {a})",
    }
    if e not in forms:
        raise Unsupported(f"exponent {e!r} (only 1, 2, 3, 0.5, -0.5, -1 and -2 map to Einsum operators)")
    _map(ctx, [ctx.operand(node.input[0])], lambda t: forms[e](t[0]))


@converter("Clip")
def clip(ctx: Context, node) -> None:
    if ctx.opset < 11:
        low, high = ctx.attr("min", -math.inf), ctx.attr("max", math.inf)
    else:
        bounds = []
        for index in (1, 2):
            name = ctx.input(index)
            value = ctx.const(name) if name else None
            if name and value is None:
                raise Unsupported("its bounds are computed from the data")
            bounds.append(float(value.reshape(-1)[0]) if value is not None else None)
        low = -math.inf if bounds[0] is None else bounds[0]
        high = math.inf if bounds[1] is None else bounds[1]

    def combine(t):
        text = t[0]
        if high != math.inf:
            text = f"min({text}, {number(high)})"
        if low != -math.inf:
            text = f"max({text}, {number(low)})"
        return text

    _map(ctx, [ctx.operand(node.input[0])], combine)


@converter("LeakyRelu")
def leaky_relu(ctx: Context, node) -> None:
    alpha = float(ctx.attr("alpha", 0.01))
    if not 0 <= alpha <= 1:
        raise Unsupported(f"alpha {alpha!r} outside [0, 1]")
    _map(ctx, [ctx.operand(node.input[0])], lambda t: f"max({t[0]}, {t[0]} * {number(alpha)})")


@converter("Gelu")
def gelu(ctx: Context, node) -> None:
    approximate = ctx.attr("approximate", "none")
    if approximate == "tanh":
        _map(ctx, [ctx.operand(node.input[0])], lambda t: f"gelu({t[0]})")
    elif approximate == "none":
        _map(ctx, [ctx.operand(node.input[0])], lambda t: f"{t[0]} * 0.5 * (1.0 + erf({t[0]} * {number(_INV_SQRT2)}))")
    else:
        raise Unsupported(f"approximate={approximate!r}")


@converter("Identity")
def identity(ctx: Context, node) -> None:
    ctx.bind(node.output[0], ctx.view(node.input[0]))


@converter("Dropout")
def dropout(ctx: Context, node) -> None:
    training = ctx.const(ctx.input(2)) if ctx.input(2) else None
    if ctx.input(2) and training is None:
        raise Unsupported("its training_mode is computed from the data")
    if training is not None and bool(training.reshape(-1)[0]):
        raise Unsupported("training_mode is true (random masking is not an Einsum)")
    if len(node.output) > 1 and node.output[1]:
        raise Unsupported("its mask output is used")
    identity(ctx, node)


@converter("Cast")
def cast(ctx: Context, node) -> None:
    if ctx.attr("to") not in _FLOAT_TYPES:
        raise Unsupported(f"cast to non-float type {ctx.attr('to')!r}")
    identity(ctx, node)
