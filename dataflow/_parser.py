"""Text notation for extended Einsums, read by a hand-written lexer and recursive-descent parser.

Grammar (``#`` starts a comment; columns in errors are 1-based)::

    line      := [NAME ':'] access '=' expr ['::' reduction+]
    access    := TENSOR '[' [index (',' index)*] ']'
    index     := ['-'] iterm (('+' | '-') iterm)*       affine: p*2+r, m1*4+m0, m1+1, 3
    iterm     := INT ['*' RANK] | RANK ['*' INT]
    expr      := product (('+' | '-') product)*
    product   := unary (('*' | '/') unary)*
    unary     := '-' unary | atom
    atom      := NUMBER | 'inf' | access | FUNC '(' expr (',' expr)* ')' | '(' expr ')'
    reduction := ('sum' | 'max' | 'min') '(' RANK (',' RANK)* ')'

``FUNC`` is one of ``exp max min relu sqrt recip tanh gelu erf``.  No text is ever
evaluated by Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._einsum import Einsum
from ._errors import EinsumError, EinsumSyntaxError
from ._ir import FUNCTIONS, REDUCE_OPS, AffineIndex, Call, Const, Expr, Reduction, TensorAccess, Term

__all__ = ["parse_einsum", "parse_lines"]

_MAX_DEPTH = 64
#: Most operations on one path from the root of an Einsum's expression to a leaf (``a*b*...*z`` counts each
#: ``*``): what every walk over the expression may recurse through.  Longer chains are split over Einsums.
MAX_EXPRESSION_DEPTH = 200
#: Largest integer an index may hold (a coefficient or an offset): 2**53, what the models count exactly.
MAX_INDEX_INTEGER = 2**53
_PUNCT = {"[", "]", "(", ")", ",", "+", "-", "*", "/", "="}
_EXPECTED_PUNCT = "a name, a number, or one of [ ] ( ) , + - * / = ::"


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "int", "float", "::", ":", a punctuation character, or "end"
    text: str
    column: int


def _describe(token: _Token) -> str:
    return "end of line" if token.kind == "end" else repr(token.text)


def _tokenize(text: str, label: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            break
        if char in " \t":
            i += 1
            continue
        start = i
        if char.isascii() and (char.isalpha() or char == "_"):
            while i < n and text[i].isascii() and (text[i].isalnum() or text[i] == "_"):
                i += 1
            tokens.append(_Token("name", text[start:i], start + 1))
        elif char.isascii() and (char.isdigit() or (char == "." and i + 1 < n and text[i + 1].isdigit())):
            while i < n and text[i].isascii() and text[i].isdigit():
                i += 1
            kind = "int"
            if i < n and text[i] == ".":
                kind = "float"
                i += 1
                while i < n and text[i].isascii() and text[i].isdigit():
                    i += 1
            if i < n and text[i] in "eE":
                j = i + 1
                if j < n and text[j] in "+-":
                    j += 1
                if j < n and text[j].isascii() and text[j].isdigit():
                    kind = "float"
                    i = j
                    while i < n and text[i].isascii() and text[i].isdigit():
                        i += 1
            if i < n and text[i].isascii() and (text[i].isalpha() or text[i] == "_"):
                raise EinsumSyntaxError(
                    f"malformed number {text[start:i + 1]!r}", einsum=label, column=start + 1,
                    expected="a number such as 2, 0.5 or 1e-5", text=text,
                )
            tokens.append(_Token(kind, text[start:i], start + 1))
        elif char == ":":
            if i + 1 < n and text[i + 1] == ":":
                tokens.append(_Token("::", "::", start + 1))
                i += 2
            else:
                tokens.append(_Token(":", ":", start + 1))
                i += 1
        elif char in _PUNCT:
            tokens.append(_Token(char, char, start + 1))
            i += 1
        else:
            raise EinsumSyntaxError(
                f"unexpected character {char!r}", einsum=label, column=start + 1, expected=_EXPECTED_PUNCT, text=text
            )
    tokens.append(_Token("end", "", len(text[:i].rstrip()) + 1))
    return tokens


_LEADING_NAME = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)")


def _guess_name(text: str, line: int | None) -> str:
    """The Einsum's name as far as it can be read before parsing (label, else output tensor)."""
    match = _LEADING_NAME.match(text)
    if match is not None:
        return match.group(1)
    return f"line {line}" if line is not None else "<einsum>"


class _Parser:
    def __init__(self, text: str, name: str | None, line: int | None) -> None:
        self.text = text
        self.label = name if name is not None else _guess_name(text, line)
        self.tokens = _tokenize(text, self.label)
        self.named = name is not None
        self.pos = 0
        self.depth = 0

    # ----------------------------------------------------------- helpers
    def peek(self, offset: int = 0) -> _Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def next(self) -> _Token:
        token = self.peek()
        self.pos += 1
        return token

    def fail(self, token: _Token, expected: str, problem: str | None = None) -> EinsumError:
        return EinsumSyntaxError(
            problem or f"unexpected {_describe(token)}",
            einsum=self.label,
            column=token.column,
            expected=expected,
            text=self.text,
        )

    def expect(self, kind: str, expected: str) -> _Token:
        token = self.next()
        if token.kind != kind:
            raise self.fail(token, expected)
        return token

    # ----------------------------------------------------------- grammar
    def einsum(self) -> Einsum:
        name = None
        if self.peek().kind == "name" and self.peek(1).kind == ":":
            name = self.next().text
            self.next()
        output = self.access(self.expect("name", "an output tensor such as Z[m,n]"))
        self.expect("=", "'=' after the output tensor")
        expr = self.expr()
        reductions: list[Reduction] = []
        if self.peek().kind == "::":
            self.next()
            reductions.extend(self.reduction())
            while self.peek().kind == "name":
                reductions.extend(self.reduction())
        token = self.peek()
        if token.kind != "end":
            expected = "an operator, '::' or the end of the line" if not reductions else "another reduction or the end of the line"
            raise self.fail(token, expected)
        self.check_depth(expr)
        return Einsum(self.label if self.named else (name or output.tensor), output, expr, tuple(reductions), text=self.text)

    def count(self, chain: int, token: _Token) -> int:
        """One more operation in a chain; a chain past :data:`MAX_EXPRESSION_DEPTH` fails at once (not after parsing)."""
        if chain + 1 >= MAX_EXPRESSION_DEPTH:
            self.too_deep(token.column)
        return chain + 1

    def too_deep(self, column: int | None) -> None:
        raise EinsumSyntaxError(
            f"expression too long: more than {MAX_EXPRESSION_DEPTH} operations in a chain or nesting",
            einsum=self.label, column=column if column is not None else 1, text=self.text if len(self.text) <= 400 else None,
            expected=f"at most {MAX_EXPRESSION_DEPTH}; split it over several Einsums (partial sums or products)",
        )

    def check_depth(self, expr: Expr) -> None:
        """Refuse an expression deeper than :data:`MAX_EXPRESSION_DEPTH` (walked without recursion)."""
        stack: list[tuple[Expr, int]] = [(expr, 0)]
        while stack:
            node, depth = stack.pop()
            if not isinstance(node, Call):
                continue
            if depth >= MAX_EXPRESSION_DEPTH:
                self.too_deep(node.column)
            stack.extend((arg, depth + 1) for arg in node.args)

    def access(self, name: _Token) -> TensorAccess:
        if name.text in FUNCTIONS or name.text in REDUCE_OPS or name.text == "inf":
            raise self.fail(name, "a tensor name", f"{name.text!r} is an operator name, not a tensor")
        self.expect("[", f"'[' after tensor name {name.text!r}")
        indices: list[AffineIndex] = []
        if self.peek().kind != "]":
            indices.append(self.index())
            while self.peek().kind == ",":
                self.next()
                indices.append(self.index())
        self.expect("]", "',' or ']' in the index list")
        return TensorAccess(name.text, tuple(indices), column=name.column)

    def index(self) -> AffineIndex:
        start = self.peek()
        sign = 1
        if start.kind == "-":
            self.next()
            sign = -1
        coefficients: dict[str, int] = {}
        columns: dict[str, int] = {}
        constant = 0
        while True:
            coefficient, rank, column = self.iterm()
            if rank is None:
                constant += sign * coefficient
            else:
                coefficients[rank] = coefficients.get(rank, 0) + sign * coefficient
                columns.setdefault(rank, column)
            if self.peek().kind not in ("+", "-"):
                break
            sign = 1 if self.next().kind == "+" else -1
        terms = tuple(Term(c, r) for r, c in coefficients.items() if c != 0)
        return AffineIndex(terms, constant, column=start.column, term_columns=tuple(columns[t.rank] for t in terms))

    def integer(self, token: _Token) -> int:
        if len(token.text) > 16 or int(token.text) > MAX_INDEX_INTEGER:
            raise self.fail(token, f"an integer of at most 2**53 = {MAX_INDEX_INTEGER:,}",
                            f"index integer {token.text[:30]}{'...' if len(token.text) > 30 else ''} is too large")
        return int(token.text)

    def iterm(self) -> tuple[int, str | None, int]:
        token = self.next()
        expected = "a rank, an integer, or rank*integer"
        if token.kind == "int":
            value = self.integer(token)
            if self.peek().kind == "*":
                self.next()
                rank = self.expect("name", "a rank after 'integer*'")
                return value, rank.text, rank.column
            return value, None, token.column
        if token.kind == "name":
            if self.peek().kind == "*":
                self.next()
                factor = self.expect("int", "an integer coefficient after 'rank*' (indices must be affine)")
                return self.integer(factor), token.text, token.column
            return 1, token.text, token.column
        raise self.fail(token, expected)

    def expr(self) -> Expr:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.fail(self.peek(), f"at most {_MAX_DEPTH} nested levels", "expression nested too deeply")
        node = self.product()
        chain = 0
        while self.peek().kind in ("+", "-"):
            token = self.next()
            chain = self.count(chain, token)
            node = Call("add" if token.kind == "+" else "sub", (node, self.product()), column=token.column)
        self.depth -= 1
        return node

    def product(self) -> Expr:
        node = self.unary()
        chain = 0
        while self.peek().kind in ("*", "/"):
            token = self.next()
            chain = self.count(chain, token)
            node = Call("mul" if token.kind == "*" else "div", (node, self.unary()), column=token.column)
        return node

    def unary(self) -> Expr:
        if self.peek().kind == "-":
            token = self.next()
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.fail(token, f"at most {_MAX_DEPTH} nested levels", "expression nested too deeply")
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, Const):
                return Const(-operand.value)
            return Call("neg", (operand,), column=token.column)
        return self.atom()

    def atom(self) -> Expr:
        token = self.next()
        if token.kind in ("int", "float"):
            value = float(token.text)
            if value in (float("inf"), float("-inf")):
                raise self.fail(token, "a number within float64's range (or the name inf)",
                                f"number {token.text[:30]}{'...' if len(token.text) > 30 else ''} is out of range")
            return Const(value)
        if token.kind == "(":
            node = self.expr()
            self.expect(")", "')' closing the parenthesis")
            return node
        if token.kind != "name":
            raise self.fail(token, "a tensor access, a number, a function call or '('")
        if token.text == "inf":
            return Const(float("inf"))
        following = self.peek().kind
        if following == "[":
            return self.access(token)
        if following == "(":
            if token.text not in FUNCTIONS:
                raise self.fail(
                    token, f"one of {', '.join(FUNCTIONS)}", f"unknown operator {token.text!r}"
                )
            self.next()
            args = [self.expr()]
            while self.peek().kind == ",":
                self.next()
                args.append(self.expr())
            self.expect(")", f"',' or ')' in the arguments of {token.text!r}")
            return Call(token.text, tuple(args), column=token.column)
        raise self.fail(
            token, f"a tensor access such as {token.text}[...] or a function call", f"bare name {token.text!r}"
        )

    def reduction(self) -> list[Reduction]:
        token = self.expect("name", "a reduction such as sum(k), max(m) or min(m)")
        if token.text not in REDUCE_OPS:
            raise self.fail(token, "sum, max or min", f"unknown reduction operator {token.text!r}")
        self.expect("(", f"'(' after {token.text!r}")
        ranks = [self.expect("name", "a rank name")]
        while self.peek().kind == ",":
            self.next()
            ranks.append(self.expect("name", "a rank name"))
        self.expect(")", "',' or ')' in the reduction's rank list")
        return [Reduction(rank.text, token.text, column=rank.column) for rank in ranks]


def parse_einsum(text: str, name: str | None = None, *, line: int | None = None) -> Einsum:
    """Parse one extended Einsum, e.g. ``"Z[m,n] = A[m,k] * B[k,n]"``.

    Parameters
    ----------
    text : str
        The Einsum in the text notation (see the module docstring); an optional
        ``NAME:`` prefix names it.
    name : str, optional
        Name of the Einsum; by default the ``NAME:`` prefix or the output tensor.
    line : int, optional
        Line number, used to name the Einsum in errors raised before its name is known.

    Raises
    ------
    EinsumSyntaxError
        For a malformed line or an unknown operator (with the column of the token).
    EinsumError
        For a semantically invalid Einsum (e.g. reducing over an output rank).
    TypeError
        When ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"Einsum text must be a string, not {text!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"Einsum name must be a string, not {name!r}")
    parser = _Parser(text, name, line)
    if parser.peek().kind == "end":
        raise parser.fail(parser.peek(), "an Einsum such as Z[m,n] = A[m,k] * B[k,n]", "empty Einsum")
    return parser.einsum()


def parse_lines(text: str) -> list[Einsum]:
    """Parse one Einsum per non-blank, non-comment line of ``text``.

    Raises
    ------
    EinsumError
        As :func:`parse_einsum`, naming the line when the Einsum's name is not known yet.
    """
    einsums = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.strip().startswith("#"):
            einsums.append(parse_einsum(line, line=number))
    return einsums
