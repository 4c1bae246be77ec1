"""Degree-2 chains contracted into single edges that keep their exact cost and geometry.

A street graph read from OSM has a node wherever a way bends: 79% of Rutland's walking
nodes have exactly two neighbours. Searches only need the junctions; the bends stay as the
geometry of the edge between two junctions, with the cumulative cost at each vertex, so a
point snapped part-way along an edge gets its exact offsets and isochrones cut the real
line. Shortest paths between junctions are unchanged (a chain's cost is the sum of its
segments'), which the tests check against networkx on the uncontracted graph.

A vertex stays a junction when it has other than two segments, or when travel through it
is not the same both ways (a one-way street joining a two-way one). A ring of degree-2
vertices keeps its lowest-numbered vertex as a junction (the ring is then a self-loop:
useless for routing between junctions, but its geometry still carries snapped points).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass
class Chains:
    """Contracted edges: edge ``e`` runs from junction vertex ``u[e]`` to ``v[e]`` through
    vertices ``vert[ptr[e]:ptr[e+1]]`` with cumulative cost ``cum`` (0 at ``u``)."""

    junction: np.ndarray    # (n,) bool per vertex
    u: np.ndarray           # (k,) vertex index
    v: np.ndarray
    fwd: np.ndarray         # (k,) bool: u -> v allowed
    bwd: np.ndarray         # (k,) bool: v -> u allowed
    ptr: np.ndarray         # (k + 1,) int64
    vert: np.ndarray        # (ptr[-1],) vertex indices along each edge
    cum: np.ndarray         # (ptr[-1],) cumulative cost from u


def dedupe(a, b, cost, fwd, bwd):
    """Drop exact repeats of a segment (the same two vertices, cost and directions, as when
    two ways share a stretch of road); keeps parallel segments that differ."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    flip = a > b
    f = np.where(flip, bwd, fwd)
    r = np.where(flip, fwd, bwd)
    order = np.lexsort((r, f, cost, hi, lo))
    keep = np.ones(len(a), dtype=bool)
    s_lo, s_hi, s_c, s_f, s_r = lo[order], hi[order], cost[order], f[order], r[order]
    keep[1:] = (s_lo[1:] != s_lo[:-1]) | (s_hi[1:] != s_hi[:-1]) | (s_c[1:] != s_c[:-1]) | \
        (s_f[1:] != s_f[:-1]) | (s_r[1:] != s_r[:-1])
    idx = np.sort(order[keep])
    return a[idx], b[idx], np.asarray(cost, float)[idx], np.asarray(fwd)[idx], \
        np.asarray(bwd)[idx]


def contract(n: int, a, b, cost, fwd, bwd) -> Chains:
    """Contract the degree-2 chains of the graph of ``n`` vertices and segments ``a``-``b``
    (no self-loops) with costs ``cost`` and directions ``fwd`` (a -> b), ``bwd``."""
    a = np.ascontiguousarray(a, np.int64)
    b = np.ascontiguousarray(b, np.int64)
    cost = np.ascontiguousarray(cost, np.float64)
    fwd = np.ascontiguousarray(fwd, np.bool_)
    bwd = np.ascontiguousarray(bwd, np.bool_)
    ends = np.concatenate([a, b])
    order = np.argsort(ends, kind="stable")
    inc_seg = (order % len(a)).astype(np.int64)
    inc_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(ends, minlength=n), out=inc_ptr[1:])
    junction = _junctions(n, a, b, fwd, bwd, inc_ptr, inc_seg)
    u, v, f, r, ptr, vert, cum, junction = _trace(n, a, b, cost, fwd, bwd, inc_ptr, inc_seg,
                                                  junction)
    return Chains(junction, u, v, f, r, ptr, vert, cum)


@njit(cache=True)
def _allowed(a, b, fwd, bwd, s, frm):
    """Travel along segment ``s`` leaving vertex ``frm`` is allowed."""
    return fwd[s] if a[s] == frm else bwd[s]


@njit(cache=True)
def _other(a, b, s, x):
    return b[s] if a[s] == x else a[s]


@njit(cache=True)
def _junctions(n, a, b, fwd, bwd, inc_ptr, inc_seg):
    junction = np.ones(n, np.bool_)
    for i in range(n):
        if inc_ptr[i + 1] - inc_ptr[i] != 2:
            continue
        s1 = inc_seg[inc_ptr[i]]
        s2 = inc_seg[inc_ptr[i] + 1]
        if s1 == s2:
            continue
        p = _other(a, b, s1, i)
        q = _other(a, b, s2, i)
        # p -> i -> q allowed exactly when q -> i -> p is, segment by segment
        in1 = _allowed(a, b, fwd, bwd, s1, p)
        out1 = _allowed(a, b, fwd, bwd, s1, i)
        in2 = _allowed(a, b, fwd, bwd, s2, q)
        out2 = _allowed(a, b, fwd, bwd, s2, i)
        junction[i] = not (in1 == out2 and in2 == out1)
    return junction


@njit(cache=True)
def _walk(a, b, cost, fwd, bwd, inc_ptr, inc_seg, junction, used, start, s, vert, cum, k):
    """Follow a chain from junction ``start`` along segment ``s``; writes its vertices from
    position ``k``; returns (end vertex, next k, along allowed, against allowed)."""
    vert[k] = start
    cum[k] = 0.0
    k += 1
    cur = start
    along = True
    against = True
    total = 0.0
    while True:
        used[s] = True
        nxt = _other(a, b, s, cur)
        along = along and _allowed(a, b, fwd, bwd, s, cur)
        against = against and _allowed(a, b, fwd, bwd, s, nxt)
        total += cost[s]
        vert[k] = nxt
        cum[k] = total
        k += 1
        if junction[nxt]:
            return nxt, k, along, against
        s0 = inc_seg[inc_ptr[nxt]]
        s = inc_seg[inc_ptr[nxt] + 1] if s0 == s else s0
        cur = nxt


@njit(cache=True)
def _trace(n, a, b, cost, fwd, bwd, inc_ptr, inc_seg, junction):
    m = len(a)
    used = np.zeros(m, np.bool_)
    cap = 2 * m + 1
    vert = np.empty(cap, np.int64)
    cum = np.empty(cap, np.float64)
    eu = np.empty(m, np.int64)
    ev = np.empty(m, np.int64)
    ef = np.empty(m, np.bool_)
    eb = np.empty(m, np.bool_)
    ptr = np.zeros(m + 1, np.int64)
    ne = 0
    k = 0
    for phase in range(2):
        for i in range(n):
            if phase == 1 and not junction[i]:
                # a ring of degree-2 vertices: its first vertex becomes a junction
                if inc_ptr[i + 1] > inc_ptr[i] and not used[inc_seg[inc_ptr[i]]]:
                    junction[i] = True
                else:
                    continue
            if not junction[i]:
                continue
            for t in range(inc_ptr[i], inc_ptr[i + 1]):
                s = inc_seg[t]
                if used[s]:
                    continue
                end, k, al, ag = _walk(a, b, cost, fwd, bwd, inc_ptr, inc_seg, junction,
                                       used, i, s, vert, cum, k)
                eu[ne] = i
                ev[ne] = end
                ef[ne] = al
                eb[ne] = ag
                ne += 1
                ptr[ne] = k
    return eu[:ne], ev[:ne], ef[:ne], eb[:ne], ptr[:ne + 1], vert[:k], cum[:k], junction
