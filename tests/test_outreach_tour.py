"""Walking tours (assetmap.outreach.tour): exact and heuristic tours against brute force."""
from __future__ import annotations

import numpy as np
import pytest

from assetmap.outreach.tour import (
    best_tour,
    brute_force_tour,
    exact_tour,
    heuristic_tour,
    tour_length,
)


def _instances(seed=11, count=120):
    """Random small instances: Euclidean, and street-like (distorted, symmetric) ones."""
    rng = np.random.default_rng(seed)
    for t in range(count):
        n = int(rng.integers(2, 9))          # 2..8 stops
        P = rng.random((n, 2)) * 2000
        D = np.linalg.norm(P[:, None] - P[None], axis=2)
        if t % 2:
            D = D * rng.uniform(1.0, 1.8, (n, n))
            D = (D + D.T) / 2
            np.fill_diagonal(D, 0)
        yield D


def _is_tour(order, n):
    return order[0] == 0 and sorted(order) == list(range(n))


@pytest.mark.parametrize("closed", [True, False])
def test_heuristic_within_125_percent_of_brute_force(closed):
    worst = 1.0
    for D in _instances():
        n = len(D)
        _, opt = brute_force_tour(D, closed)
        h = heuristic_tour(D, closed)
        assert _is_tour(h, n)
        ratio = tour_length(D, h, closed) / opt if opt > 0 else 1.0
        worst = max(worst, ratio)
        assert ratio <= 1.25 + 1e-9, (D, h)
    assert worst < 1.25


@pytest.mark.parametrize("closed", [True, False])
def test_exact_tour_is_optimal(closed):
    for D in _instances(seed=5, count=60):
        _, opt = brute_force_tour(D, closed)
        for order in (exact_tour(D, closed), best_tour(D, closed)):
            assert _is_tour(order, len(D))
            assert tour_length(D, order, closed) == pytest.approx(opt, rel=1e-9, abs=1e-9)


def test_tour_catches_a_bad_order():
    """The check above can fail: a deliberately bad order is far from optimal."""
    P = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], dtype=float) * 1000
    D = np.linalg.norm(P[:, None] - P[None], axis=2)
    _, opt = brute_force_tour(D)
    assert tour_length(D, [0, 2, 1, 3]) / opt > 1.2


def test_large_tour_heuristic_is_fast_and_sound():
    rng = np.random.default_rng(3)
    P = rng.random((40, 2)) * 3000
    D = np.linalg.norm(P[:, None] - P[None], axis=2)
    order = best_tour(D)
    assert _is_tour(order, 40)
    nn = tour_length(D, list(range(40)))
    assert tour_length(D, order) < 0.5 * nn      # far better than visiting in index order


def test_unreachable_pairs_still_give_a_tour():
    D = np.array([[0, 1, np.inf], [1, 0, 2], [np.inf, 2, 0]], dtype=float)
    order = best_tour(D, closed=False)
    assert order == [0, 1, 2]
