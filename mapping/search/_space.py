"""The mapping space: factorizations of every rank over the slots, padding options, loop-order family.

Slots of a rank are the temporal factor at every storage level (innermost
first) followed by the array's rows and columns.  A rank of awkward size
(a large prime, say) may also be padded: :func:`padded_sizes` offers the size
itself plus a few nearby sizes with more divisors (at most a third larger).
"""

from __future__ import annotations

import collections
import functools
import math

import numpy as np

from .._problem import Problem

__all__ = ["prime_factors", "divisors", "padded_sizes", "splits", "rank_candidates", "order_family", "space_size"]


_SMALL_PRIMES = tuple(p for p in range(2, 1000) if all(p % q for q in range(2, int(p**0.5) + 1)))
#: Bases that make Miller-Rabin exact below 3.3e24 (every size the models take is below 2**53).
_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in _SMALL_PRIMES[:13]:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for a in _WITNESSES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _divisor(n: int) -> int:
    """A non-trivial divisor of the odd composite ``n`` (Pollard's rho, Brent's cycle finding)."""
    for c in range(1, n):
        y, m, g, r, q = 2, 128, 1, 1, 1
        x = ys = y
        while g == 1:
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
    raise AssertionError(f"no divisor of {n} found")  # pragma: no cover - n is composite


@functools.lru_cache(maxsize=4096)
def prime_factors(n: int) -> tuple[int, ...]:
    """Prime factors of ``n`` with multiplicity, ascending (``()`` for 1).

    Small primes by trial division, what remains by Miller-Rabin and Pollard's rho: a size of 2**40 or a large
    prime costs microseconds, not a division per candidate up to its square root.
    """
    n = int(n)
    out: list[int] = []
    for p in _SMALL_PRIMES:
        if p * p > n:
            break
        while n % p == 0:
            out.append(p)
            n //= p
    stack = [n] if n > 1 else []
    while stack:
        m = stack.pop()
        if _is_prime(m):
            out.append(m)
        else:
            d = _divisor(m)
            stack += [d, m // d]
    return tuple(sorted(out))


def divisors(n: int) -> tuple[int, ...]:
    """Every positive divisor of ``n``, ascending, from its prime factors."""
    divs = [1]
    for p, e in collections.Counter(prime_factors(n)).items():
        divs = [d * p**i for d in divs for i in range(e + 1)]
    return tuple(sorted(divs))


def padded_sizes(size: int, max_ratio: float = 4 / 3, limit: int = 3) -> tuple[int, ...]:
    """``size`` and up to ``limit - 1`` padded sizes (multiples of powers of two) no more than ``max_ratio`` larger.

    Padded sizes are kept only when their largest prime factor is smaller than ``size``'s.
    """
    out = [size]
    own = max(prime_factors(size), default=1)
    a = 2
    while a <= size and len(out) < limit:
        cand = -(-size // a) * a
        if cand != size and cand <= size * max_ratio and cand not in out and max(prime_factors(cand)) < own:
            out.append(cand)
        a *= 2
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _splits(n: int, k: int) -> tuple[tuple[int, ...], ...]:
    if k == 1:
        return ((n,),)
    out = []
    for d in divisors(n):
        out += [(d,) + rest for rest in _splits(n // d, k - 1)]
    return tuple(out)


def splits(n: int, k: int) -> np.ndarray:
    """Every ordered ``k``-tuple of positive integers whose product is ``n``, shape (count, k)."""
    return np.array(_splits(n, k), dtype=np.int64).reshape(-1, k)


def rank_candidates(problem: Problem, r: int, pad: bool = True, prune: bool = True) -> np.ndarray:
    """Factor tuples of rank ``r`` over the slots (levels..., rows, cols) that respect the array.

    Spatial factors exceed neither the array nor the axes' allowed ranks, and
    no level's tile of a tensor is too large along ``r`` alone (with one
    element of everything else the level keeps): an exact pruning, it drops
    no legal mapping (``prune=False`` keeps them).  With ``pad``, the padded
    sizes of :func:`padded_sizes` are included.
    """
    nl = len(problem.storage)
    sizes = padded_sizes(problem.sizes[r]) if pad else (problem.sizes[r],)
    parts = []
    for n in sizes:
        c = splits(n, nl + 2)
        keep = (c[:, nl] <= (problem.rows if problem.row_allowed[r] else 1)) & (
            c[:, nl + 1] <= (problem.cols if problem.col_allowed[r] else 1)
        )
        if not prune:
            parts.append(c[keep])
            continue
        ext = np.cumprod(c[:, :nl], axis=1)
        ext[:, 1:] *= (c[:, nl] * c[:, nl + 1])[:, None]
        for i, st in enumerate(problem.storage[:-1]):
            held = [t for t, h in zip(problem.tensors, st.holds) if h]
            floor = sum(t.bits / 8 for t in held)
            for t in held:
                room = (st.capacity - floor + t.bits / 8) / (t.bits / 8)  # elements t may take
                for row, size in zip(t.coeffs, t.dim_sizes):
                    if row[r]:
                        keep &= np.minimum(row[r] * (ext[:, i] - 1) + 1, size) <= room
        parts.append(c[keep])
    return np.concatenate(parts, axis=0)


def order_family(problem: Problem) -> np.ndarray:
    """Loop orders that make one tensor stationary, shape (count, ranks) of rank indices, outermost first.

    For each tensor: the ranks that index it outside, the ranks that do not
    inside (so its tile stays put across them); within each block, ranks that
    index fewer tensors go further in.  Duplicates are dropped.
    """
    rel = [t.relevant for t in problem.tensors]
    nrel = [sum(rv[r] for rv in rel) for r in range(len(problem.ranks))]
    orders = []
    for rv in rel:
        outer = sorted((r for r in range(len(problem.ranks)) if rv[r]), key=lambda r: (-nrel[r], r))
        inner = sorted((r for r in range(len(problem.ranks)) if not rv[r]), key=lambda r: (-nrel[r], r))
        order = tuple(outer + inner)
        if order not in orders:
            orders.append(order)
    return np.array(orders, dtype=np.int64).reshape(-1, len(problem.ranks))


def space_size(cands: list[np.ndarray], orders: int) -> int:
    """Number of mappings in the product of per-rank candidates and ``orders`` order choices."""
    return math.prod(len(c) for c in cands) * orders
