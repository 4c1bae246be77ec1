"""Walking tours through a handful of stops (no Flask, no SQL): exact for small cases,
a good heuristic beyond.

* :func:`exact_tour` -- Held-Karp dynamic programming, optimal, used up to
  ``EXACT_MAX_STOPS`` stops (2^n * n^2 work; 12 stops take a few milliseconds);
* :func:`heuristic_tour` -- nearest neighbour from several starts, improved by 2-opt and
  Or-opt moves until no move helps; the best tour found is kept;
* :func:`best_tour` -- exact when small, heuristic otherwise.

Tours start at stop 0 (the first-ranked place). ``closed=True`` returns to it (a round trip);
``closed=False`` is an open walk from stop 0 that ends wherever is best. Open walks are solved
as closed tours through a dummy stop joined to stop 0 by 0 and to every other stop by a
constant, so one code path serves both. Costs are a square matrix (minutes or metres); an
asymmetric matrix is symmetrised (walking is the same both ways); unreachable pairs (inf)
are replaced by a large finite penalty so a tour always exists.
"""
from __future__ import annotations

import itertools

import numpy as np

EXACT_MAX_STOPS = 12


def _prepare(D) -> np.ndarray:
    D = np.array(D, dtype=float)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError("the cost matrix must be square")
    if not np.allclose(D, D.T, equal_nan=True):
        D = np.fmin(D, D.T)
    finite = D[np.isfinite(D)]
    big = (finite.max() if finite.size else 1.0) * (len(D) + 1) + 1.0
    D = np.where(np.isfinite(D), D, big)
    np.fill_diagonal(D, 0.0)
    return D


def tour_length(D, order, closed: bool = True) -> float:
    """Total cost of visiting ``order`` (returning to the first stop if ``closed``)."""
    D = np.asarray(D, dtype=float)
    order = list(order)
    if len(order) < 2:
        return 0.0
    legs = [D[a, b] for a, b in zip(order[:-1], order[1:])]
    if closed:
        legs.append(D[order[-1], order[0]])
    return float(np.sum(legs))


def _with_dummy(D: np.ndarray) -> np.ndarray:
    """A closed-tour matrix whose optimal tours are open walks from stop 0 (see module)."""
    n = len(D)
    big = float(D.max()) * (n + 1) + 1.0
    E = np.zeros((n + 1, n + 1))
    E[:n, :n] = D
    E[n, :n] = big
    E[:n, n] = big
    E[n, 0] = E[0, n] = 0.0
    return E


def _open_from_closed(order: list[int], n: int) -> list[int]:
    """Cut a closed tour over n+1 nodes (dummy n) into an open walk starting at 0."""
    k = order.index(n)
    seq = order[k + 1:] + order[:k]
    if seq and seq[0] != 0:
        seq = seq[::-1]
    return seq


def _rotate(order: list[int], start: int = 0) -> list[int]:
    k = order.index(start)
    return order[k:] + order[:k]


# --- exact -----------------------------------------------------------------------------------
def exact_tour(D, closed: bool = True) -> list[int]:
    """The optimal order (Held-Karp) starting at stop 0."""
    D = _prepare(D)
    n = len(D)
    if n <= 2:
        return list(range(n))
    if not closed:
        return _open_from_closed(_exact_closed(_with_dummy(D)), n)
    return _exact_closed(D)


def _exact_closed(D: np.ndarray) -> list[int]:
    n = len(D)
    if n <= 3:
        return list(range(n))
    m = n - 1                       # cities 1..n-1 as bits 0..m-1
    size = 1 << m
    dp = np.full((size, m), np.inf)
    parent = np.full((size, m), -1, dtype=np.int64)
    for j in range(m):
        dp[1 << j, j] = D[0, j + 1]
    Dm = D[1:, 1:]
    for mask in range(1, size):
        row = dp[mask]
        if not np.isfinite(row).any():
            continue
        # extend to every city k not in mask: cost row[j] + Dm[j, k], min over j in mask
        cand = row[:, None] + Dm                      # (m, m): from j to k
        best_j = np.argmin(cand, axis=0)
        best = cand[best_j, np.arange(m)]
        for k in range(m):
            if mask & (1 << k):
                continue
            nm = mask | (1 << k)
            if best[k] < dp[nm, k]:
                dp[nm, k] = best[k]
                parent[nm, k] = best_j[k]
    full = size - 1
    last = int(np.argmin(dp[full] + D[1:, 0]))
    order = []
    mask = full
    while last >= 0:
        order.append(last + 1)
        prev = int(parent[mask, last])
        mask ^= 1 << last
        last = prev
    return [0] + order[::-1]


def brute_force_tour(D, closed: bool = True) -> tuple[list[int], float]:
    """The optimal order by trying every permutation (tests; n <= 9)."""
    D = np.asarray(D, dtype=float)
    n = len(D)
    best, best_len = list(range(n)), np.inf
    for perm in itertools.permutations(range(1, n)):
        order = [0, *perm]
        L = tour_length(D, order, closed)
        if L < best_len - 1e-12:
            best, best_len = order, L
    return best, float(best_len)


# --- heuristic ---------------------------------------------------------------------------------
def nearest_neighbour(D: np.ndarray, start: int = 0) -> list[int]:
    n = len(D)
    order = [start]
    left = np.ones(n, dtype=bool)
    left[start] = False
    while left.any():
        cur = order[-1]
        cand = np.flatnonzero(left)
        nxt = int(cand[np.argmin(D[cur, cand])])
        order.append(nxt)
        left[nxt] = False
    return order


def two_opt(D: np.ndarray, order: list[int]) -> list[int]:
    """Closed-tour 2-opt (first improvement, repeated until no move helps)."""
    order = list(order)
    n = len(order)
    if n < 4:
        return order
    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            a, b = order[i], order[i + 1]
            for j in range(i + 2, n if i > 0 else n - 1):
                c, d = order[j], order[(j + 1) % n]
                delta = D[a, c] + D[b, d] - D[a, b] - D[c, d]
                if delta < -1e-10:
                    order[i + 1:j + 1] = order[i + 1:j + 1][::-1]
                    improved = True
                    a, b = order[i], order[i + 1]
    return order


def or_opt(D: np.ndarray, order: list[int]) -> list[int]:
    """Move runs of 1-3 consecutive stops (either way round) to a better place."""
    order = list(order)
    n = len(order)
    if n < 5:
        return order
    improved = True
    while improved:
        improved = False
        for seg in (1, 2, 3):
            for i in range(n):
                if seg >= n - 2:
                    break
                idx = [(i + k) % n for k in range(seg)]
                run = [order[k] for k in idx]
                prev, nxt = order[(i - 1) % n], order[(i + seg) % n]
                rest = [order[(i + seg + k) % n] for k in range(n - seg)]
                gain = D[prev, run[0]] + D[run[-1], nxt] - D[prev, nxt]
                best: tuple[float, int | None, list[int] | None] = (1e-10, None, None)
                for p in range(len(rest) - 1):
                    u, v = rest[p], rest[p + 1]
                    for r in (run, run[::-1]):
                        add = D[u, r[0]] + D[r[-1], v] - D[u, v]
                        if gain - add > best[0]:
                            best = (gain - add, p, r)
                if best[1] is not None and best[2] is not None:
                    p, r = best[1], best[2]
                    order = rest[:p + 1] + list(r) + rest[p + 1:]
                    improved = True
                    break
            if improved:
                break
    return order


def heuristic_tour(D, closed: bool = True, starts: int = 10, seed: int = 0) -> list[int]:
    """Nearest neighbour from up to ``starts`` start stops, each improved by 2-opt and
    Or-opt; the shortest result, beginning at stop 0."""
    D = _prepare(D)
    n = len(D)
    if n <= 2:
        return list(range(n))
    if not closed:
        return _open_from_closed(heuristic_tour(_with_dummy(D), True, starts, seed), n)
    if n <= 3:
        return list(range(n))
    rng = np.random.default_rng(seed)
    first = [0] + list(rng.permutation(np.arange(1, n))[:max(0, starts - 1)])
    best: list[int] | None = None
    best_len = np.inf
    for s in first:
        order = nearest_neighbour(D, int(s))
        for _ in range(5):
            new = or_opt(D, two_opt(D, order))
            if new == order:
                break
            order = new
        L = tour_length(D, order, True)
        if L < best_len - 1e-12:
            best, best_len = order, L
    assert best is not None, "every tour has a finite length (_prepare caps the costs)"
    return _rotate([int(k) for k in best], 0)


def best_tour(D, closed: bool = True) -> list[int]:
    """Optimal for up to ``EXACT_MAX_STOPS`` stops, heuristic beyond."""
    n = len(np.asarray(D))
    if n <= EXACT_MAX_STOPS - (0 if closed else 1):
        return exact_tour(D, closed)
    return heuristic_tour(D, closed)
