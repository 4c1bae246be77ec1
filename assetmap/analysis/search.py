"""Bounded Dijkstra searches compiled with numba: they touch only the nodes within the
cut-off and return sparse results.

scipy's ``dijkstra(indices=..., limit=...)`` initialises every node of the graph for every
source whatever the limit, and returns a dense sources x nodes array: at 4M nodes that is
17 ms a source before any work, and the origins x assets table of a country cannot be held.
Here the distance, heap-position and heap arrays are allocated once per call and only the
entries a search touched are reset, so a source costs what it reaches.

Every search starts from *seeds*: (node, initial cost) pairs, as a point snapped part-way
along an edge enters the graph at both ends of that edge with its offsets. An indexed binary
heap keyed on the distance array gives decrease-key without duplicates. Nodes whose cost
would pass the limit are never pushed, so everything pushed is settled.

* :func:`table`: one search per source (its own seeds), collecting *targets* (a node ->
  (target, extra cost) list): sparse (source, target, cost) triples within the limit;
* :func:`nearest`: one search per group from all of its seeds at once (a multi-source
  search), read at query (node, extra cost) pairs: a dense groups x queries array;
* :func:`reach`: one search, the nodes reached and their costs (isochrones).

The first call in a process loads the compiled code from numba's on-disk cache (compiled
once per machine; ``cache=True``).
"""
from __future__ import annotations

import numpy as np
from numba import njit

_INF = np.inf


@njit(cache=True)
def _sift_up(heap, pos, dist, i):
    node = heap[i]
    d = dist[node]
    while i > 0:
        p = (i - 1) >> 1
        pn = heap[p]
        if dist[pn] <= d:
            break
        heap[i] = pn
        pos[pn] = i
        i = p
    heap[i] = node
    pos[node] = i


@njit(cache=True)
def _sift_down(heap, pos, dist, size):
    node = heap[0]
    d = dist[node]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and dist[heap[c + 1]] < dist[heap[c]]:
            c += 1
        cn = heap[c]
        if dist[cn] >= d:
            break
        heap[i] = cn
        pos[cn] = i
        i = c
    heap[i] = node
    pos[node] = i


@njit(cache=True)
def _offer(heap, pos, dist, size, node, d):
    """Lower ``node``'s cost to ``d`` (pushing it if new); returns the heap size."""
    if d >= dist[node]:
        return size
    dist[node] = d
    if pos[node] < 0:
        heap[size] = node
        pos[node] = size
        _sift_up(heap, pos, dist, size)
        return size + 1
    _sift_up(heap, pos, dist, pos[node])
    return size


@njit(cache=True)
def _search(indptr, indices, data, seed_node, seed_cost, s0, s1, limit, dist, pos, heap,
            settled):
    """Dijkstra from seeds ``s0:s1``; fills ``settled`` in order; returns how many. The
    caller resets ``dist`` and ``pos`` of the settled nodes afterwards."""
    size = 0
    for k in range(s0, s1):
        if seed_cost[k] <= limit:
            size = _offer(heap, pos, dist, size, seed_node[k], seed_cost[k])
    count = 0
    while size > 0:
        u = heap[0]
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, dist, size)
        pos[u] = -2                     # settled: never offered again
        settled[count] = u
        count += 1
        du = dist[u]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            if pos[v] == -2:
                continue
            nd = du + data[e]
            if nd <= limit and nd < dist[v]:
                size = _offer(heap, pos, dist, size, v, nd)
    return count


@njit(cache=True)
def _reset(settled, count, dist, pos):
    for i in range(count):
        dist[settled[i]] = _INF
        pos[settled[i]] = -1


@njit(cache=True)
def _grow(arr, need):
    out = np.empty(max(need, 2 * len(arr)), arr.dtype)
    out[:len(arr)] = arr
    return out


@njit(cache=True)
def table(indptr, indices, data, src_ptr, seed_node, seed_cost, tgt_ptr, tgt_id, tgt_cost,
          n_targets, limit):
    """For each source ``s`` (seeds ``src_ptr[s]:src_ptr[s+1]``), the least cost to each
    target within ``limit``: a target ``j`` is reached at node ``u`` with extra cost
    ``tgt_cost[k]`` for ``k`` in ``tgt_ptr[u]:tgt_ptr[u+1]`` with ``tgt_id[k] == j``.
    Returns (source, target, cost) arrays."""
    n = len(indptr) - 1
    dist = np.full(n, _INF)
    pos = np.full(n, -1, np.int64)
    heap = np.empty(n, np.int64)
    settled = np.empty(n, np.int64)
    best = np.full(n_targets, _INF)
    hit = np.empty(n_targets, np.int64)
    rows = np.empty(1024, np.int64)
    cols = np.empty(1024, np.int64)
    vals = np.empty(1024, np.float64)
    k = 0
    for s in range(len(src_ptr) - 1):
        count = _search(indptr, indices, data, seed_node, seed_cost, src_ptr[s],
                        src_ptr[s + 1], limit, dist, pos, heap, settled)
        nh = 0
        for i in range(count):
            u = settled[i]
            du = dist[u]
            for t in range(tgt_ptr[u], tgt_ptr[u + 1]):
                c = du + tgt_cost[t]
                j = tgt_id[t]
                if c <= limit and c < best[j]:
                    if best[j] == _INF:
                        hit[nh] = j
                        nh += 1
                    best[j] = c
        if k + nh > len(rows):
            rows = _grow(rows, k + nh)
            cols = _grow(cols, k + nh)
            vals = _grow(vals, k + nh)
        for h in range(nh):
            j = hit[h]
            rows[k] = s
            cols[k] = j
            vals[k] = best[j]
            best[j] = _INF
            k += 1
        _reset(settled, count, dist, pos)
    return rows[:k], cols[:k], vals[:k]


@njit(cache=True)
def nearest(indptr, indices, data, grp_ptr, seed_node, seed_cost, q_node, q_cost, limit):
    """For each group ``g`` one search from all its seeds ``grp_ptr[g]:grp_ptr[g+1]``;
    returns (groups, queries) costs ``dist[q_node] + q_cost`` (inf beyond ``limit``)."""
    n = len(indptr) - 1
    dist = np.full(n, _INF)
    pos = np.full(n, -1, np.int64)
    heap = np.empty(n, np.int64)
    settled = np.empty(n, np.int64)
    out = np.full((len(grp_ptr) - 1, len(q_node)), _INF)
    for g in range(len(grp_ptr) - 1):
        count = _search(indptr, indices, data, seed_node, seed_cost, grp_ptr[g],
                        grp_ptr[g + 1], limit, dist, pos, heap, settled)
        for i in range(len(q_node)):
            c = dist[q_node[i]] + q_cost[i]
            if c <= limit:
                out[g, i] = c
        _reset(settled, count, dist, pos)
    return out


@njit(cache=True)
def reach(indptr, indices, data, seed_node, seed_cost, limit):
    """The nodes one search from ``seeds`` reaches within ``limit``, and their costs."""
    n = len(indptr) - 1
    dist = np.full(n, _INF)
    pos = np.full(n, -1, np.int64)
    heap = np.empty(n, np.int64)
    settled = np.empty(n, np.int64)
    count = _search(indptr, indices, data, seed_node, seed_cost, 0, len(seed_node), limit,
                    dist, pos, heap, settled)
    nodes = settled[:count].copy()
    return nodes, dist[nodes]


def expand(inv: np.ndarray, n_unique: int, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Results found for distinct items ``s`` (indices into 0..n_unique-1), written out for
    every original position holding them (``inv``: position -> distinct item, -1 for
    none): (position, index into ``s``) pairs."""
    pos = np.flatnonzero(inv >= 0)
    order = pos[np.argsort(inv[pos], kind="stable")]
    counts = np.bincount(inv[pos], minlength=n_unique)
    start = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    rep = counts[s]
    within = np.arange(rep.sum()) - np.repeat(np.cumsum(rep) - rep, rep)
    return order[np.repeat(start[s], rep) + within], np.repeat(np.arange(len(s)), rep)
