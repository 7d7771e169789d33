"""Drawing the founding network: factions, ties by expected degree, open triads.

Ties are drawn as a stochastic block model with a fixed number of ties (an
expected degree) and a share of them across factions. Small alliances sample
from the enumerated pairs; large ones draw pairs and reject repeats, so no
step enumerates all pairs above ``DENSE_PAIRS``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DENSE_PAIRS = 200_000
"""Above this many possible pairs, ties are drawn by rejection instead of enumeration."""

TRIAD_TRIES = 3


@njit(cache=True)
def _pair_key(a, b, n):
    if a > b:
        a, b = b, a
    return a * n + b


@njit(cache=True)
def _sample_enumerated(n, factions, want_within, want_cross, rng):
    """Exact sampling without replacement from enumerated within and cross pairs."""
    within_a = np.empty(n * (n - 1) // 2, np.int64)
    within_b = np.empty(n * (n - 1) // 2, np.int64)
    cross_a = np.empty(n * (n - 1) // 2, np.int64)
    cross_b = np.empty(n * (n - 1) // 2, np.int64)
    n_within = 0
    n_cross = 0
    for a in range(n):
        for b in range(a + 1, n):
            if a % factions == b % factions:
                within_a[n_within] = a
                within_b[n_within] = b
                n_within += 1
            else:
                cross_a[n_cross] = a
                cross_b[n_cross] = b
                n_cross += 1
    total = want_within + want_cross
    out_a = np.empty(total, np.int64)
    out_b = np.empty(total, np.int64)
    # partial Fisher-Yates over each class
    for k in range(want_within):
        pick = k + int(rng.random() * (n_within - k))
        within_a[k], within_a[pick] = within_a[pick], within_a[k]
        within_b[k], within_b[pick] = within_b[pick], within_b[k]
        out_a[k] = within_a[k]
        out_b[k] = within_b[k]
    for k in range(want_cross):
        pick = k + int(rng.random() * (n_cross - k))
        cross_a[k], cross_a[pick] = cross_a[pick], cross_a[k]
        cross_b[k], cross_b[pick] = cross_b[pick], cross_b[k]
        out_a[want_within + k] = cross_a[k]
        out_b[want_within + k] = cross_b[k]
    return out_a, out_b


@njit(cache=True)
def _sample_rejection(n, factions, sizes, want_within, want_cross, rng):
    """Draw pairs at random and reject repeats (sparse, large alliances)."""
    total = want_within + want_cross
    out_a = np.empty(total, np.int64)
    out_b = np.empty(total, np.int64)
    seen = set()
    seen.add(np.int64(-1))
    weights = np.zeros(factions)
    for f in range(factions):
        weights[f] = sizes[f] * (sizes[f] - 1) / 2.0
    cumulative = np.cumsum(weights)
    count = 0
    while count < want_within:
        u = rng.random() * cumulative[-1]
        f = 0
        while cumulative[f] <= u and f < factions - 1:
            f += 1
        a = f + factions * int(rng.random() * sizes[f])
        b = f + factions * int(rng.random() * sizes[f])
        if a == b:
            continue
        key = _pair_key(a, b, n)
        if key in seen:
            continue
        seen.add(key)
        out_a[count] = min(a, b)
        out_b[count] = max(a, b)
        count += 1
    while count < total:
        a = int(rng.random() * n)
        b = int(rng.random() * n)
        if a % factions == b % factions:
            continue
        key = _pair_key(a, b, n)
        if key in seen:
            continue
        seen.add(key)
        out_a[count] = min(a, b)
        out_b[count] = max(a, b)
        count += 1
    return out_a, out_b


@njit(cache=True)
def draw_ties(n, factions, mean_degree, cross_faction_share, rng):
    """Founding ties as undirected pairs ``(a, b)`` with ``a < b``.

    The number of ties is ``round(n * d / 2)`` with ``d = min(mean_degree, n - 1)``;
    ``cross_faction_share`` of them join different factions. A member left without
    ties is tied to one random member (of its faction when it has mates).
    """
    sizes = np.zeros(factions, np.int64)
    for i in range(n):
        sizes[i % factions] += 1
    total_pairs = n * (n - 1) // 2
    within_pairs = 0
    for f in range(factions):
        within_pairs += sizes[f] * (sizes[f] - 1) // 2
    cross_pairs = total_pairs - within_pairs
    degree = min(mean_degree, n - 1.0)
    want = min(int(np.round(n * degree / 2.0)), total_pairs)
    want_cross = min(int(np.round(want * cross_faction_share)), cross_pairs)
    want_within = min(want - want_cross, within_pairs)
    want_cross = min(cross_pairs, want - want_within)
    if total_pairs <= DENSE_PAIRS:
        a, b = _sample_enumerated(n, factions, want_within, want_cross, rng)
    else:
        a, b = _sample_rejection(n, factions, sizes, want_within, want_cross, rng)
    # no member founds the alliance alone
    degrees = np.zeros(n, np.int64)
    for k in range(a.size):
        degrees[a[k]] += 1
        degrees[b[k]] += 1
    extra_a = np.empty(n, np.int64)
    extra_b = np.empty(n, np.int64)
    n_extra = 0
    for i in range(n):
        if degrees[i] > 0:
            continue
        f = i % factions
        if sizes[f] > 1:
            j = i
            while j == i:
                j = f + factions * int(rng.random() * sizes[f])
        else:
            j = i
            while j == i:
                j = int(rng.random() * n)
        extra_a[n_extra] = min(i, j)
        extra_b[n_extra] = max(i, j)
        degrees[i] += 1
        degrees[j] += 1
        n_extra += 1
    return np.concatenate((a, extra_a[:n_extra])), np.concatenate((b, extra_b[:n_extra]))


@njit(cache=True)
def draw_open_triads(n, tie_a, tie_b, rng):
    """For each member with two or more partners, one open triad it could close.

    Returns ``(a, b, broker)``: members ``a`` and ``b`` share the partner ``broker``
    but have no tie. Up to ``TRIAD_TRIES`` draws per broker; repeats are skipped.
    """
    m = tie_a.size
    degree = np.zeros(n, np.int64)
    for k in range(m):
        degree[tie_a[k]] += 1
        degree[tie_b[k]] += 1
    first = np.zeros(n + 1, np.int64)
    for i in range(n):
        first[i + 1] = first[i] + degree[i]
    fill = first[:-1].copy()
    partners = np.empty(2 * m, np.int64)
    tied = set()
    tied.add(np.int64(-1))
    for k in range(m):
        partners[fill[tie_a[k]]] = tie_b[k]
        fill[tie_a[k]] += 1
        partners[fill[tie_b[k]]] = tie_a[k]
        fill[tie_b[k]] += 1
        tied.add(_pair_key(tie_a[k], tie_b[k], n))
    out_a = np.empty(n, np.int64)
    out_b = np.empty(n, np.int64)
    out_broker = np.empty(n, np.int64)
    count = 0
    for broker in range(n):
        d = degree[broker]
        if d < 2:
            continue
        for _ in range(TRIAD_TRIES):
            j = partners[first[broker] + int(rng.random() * d)]
            k = partners[first[broker] + int(rng.random() * d)]
            if j == k:
                continue
            key = _pair_key(j, k, n)
            if key in tied:
                continue
            tied.add(key)
            out_a[count] = min(j, k)
            out_b[count] = max(j, k)
            out_broker[count] = broker
            count += 1
            break
    return out_a[:count], out_b[:count], out_broker[:count]


@njit(cache=True)
def directed_edges(n, tie_a, tie_b, triad_a, triad_b, triad_broker):
    """Both directions of every tie and open triad, sorted by (src, dst), with CSR offsets.

    Returns ``(first, src, dst, rev, broker)``; ``broker`` is -1 for founding ties.
    """
    m = tie_a.size + triad_a.size
    src = np.empty(2 * m, np.int64)
    dst = np.empty(2 * m, np.int64)
    broker = np.empty(2 * m, np.int64)
    for k in range(tie_a.size):
        src[2 * k], dst[2 * k], broker[2 * k] = tie_a[k], tie_b[k], -1
        src[2 * k + 1], dst[2 * k + 1], broker[2 * k + 1] = tie_b[k], tie_a[k], -1
    offset = 2 * tie_a.size
    for k in range(triad_a.size):
        src[offset + 2 * k], dst[offset + 2 * k] = triad_a[k], triad_b[k]
        src[offset + 2 * k + 1], dst[offset + 2 * k + 1] = triad_b[k], triad_a[k]
        broker[offset + 2 * k] = triad_broker[k]
        broker[offset + 2 * k + 1] = triad_broker[k]
    order = np.argsort(src * n + dst, kind="mergesort")
    src = src[order]
    dst = dst[order]
    broker = broker[order]
    first = np.zeros(n + 1, np.int64)
    for e in range(src.size):
        first[src[e] + 1] += 1
    for i in range(n):
        first[i + 1] += first[i]
    rev = np.empty(src.size, np.int64)
    for e in range(src.size):
        j = dst[e]
        lo = first[j]
        hi = first[j + 1]
        target = src[e]
        while lo < hi:  # binary search: dst's block is sorted by dst
            mid = (lo + hi) // 2
            if dst[mid] < target:
                lo = mid + 1
            else:
                hi = mid
        rev[e] = lo
    return first, src, dst, rev, broker


@njit(cache=True)
def edge_index(first, dst, source, target):
    """Index of the edge ``source -> target`` (blocks are sorted by destination), or -1."""
    lo = first[source]
    hi = first[source + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if dst[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < first[source + 1] and dst[lo] == target else -1


@njit(cache=True)
def triad_edges(first, src, dst, broker):
    """Each open triad as edge indices ``a -> b`` (``a < b``), ``a -> broker``, ``b -> broker``.

    Rows follow the order of the ``a -> b`` edges, so that closing triads draws
    in a fixed order.
    """
    count = 0
    for e in range(src.size):
        if broker[e] >= 0 and src[e] < dst[e]:
            count += 1
    rows = np.empty((count, 3), np.int64)
    row = 0
    for e in range(src.size):
        if broker[e] >= 0 and src[e] < dst[e]:
            rows[row, 0] = e
            rows[row, 1] = edge_index(first, dst, src[e], broker[e])
            rows[row, 2] = edge_index(first, dst, dst[e], broker[e])
            row += 1
    return rows
