"""The gap map's bivariate palette reads for colour-blind readers."""
from __future__ import annotations

import itertools

import pytest

from assetmap.layers.gaps import BIVARIATE

from colourcheck import ciede2000, seen_difference

KINDS = (None, "protanopia", "deuteranopia", "tritanopia")
GAP = (3, 1)


def test_ciede2000_matches_sharma_wu_dalal_reference_pairs():
    for lab1, lab2, want in [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
                             ((50, 0, 0), (50, -1, 2), 2.3669),
                             ((50, 2.5, 0), (73, 25, -18), 27.1492),
                             ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387),
                              1.2644)]:
        assert ciede2000(lab1, lab2) == pytest.approx(want, abs=5e-5)


def test_simulation_keeps_greys_and_merges_red_and_green_for_deuteranopes():
    assert seen_difference("#777777", "#777777", "deuteranopia") == pytest.approx(0, abs=.5)
    normal = seen_difference("#d62728", "#2ca02c", None)
    assert seen_difference("#d62728", "#2ca02c", "deuteranopia") < normal / 2


@pytest.mark.parametrize("kind", KINDS)
def test_bivariate_classes_stay_apart(kind):
    cells = {(n, s): c for n, row in BIVARIATE.items() for s, c in row.items()}
    for a, b in itertools.combinations(cells, 2):
        d = seen_difference(cells[a], cells[b], kind)
        need = 10 if GAP in (a, b) else 5
        assert d >= need, f"{kind}: {a} {cells[a]} vs {b} {cells[b]}: {d:.1f} < {need}"
