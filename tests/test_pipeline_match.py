"""The fair order of equal providers (pipeline.match)."""


def test_fair_draw_gives_every_provider_its_turn_first():
    import numpy as np
    import pandas as pd

    from assetmap.pipeline import match
    frame = pd.DataFrame({"id": [f"p{k}" for k in range(5)], "name": list("ABCDE"),
                          "vacancies": [np.nan] * 5, "vacancies_confirmed": [None] * 5})
    firsts = [match.fair_order(frame, seed)["id"].iloc[0] for seed in range(500)]
    counts = pd.Series(firsts).value_counts()
    assert set(counts.index) == set(frame["id"]) and counts.min() > 60       # ~100 each
    assert match.fair_order(frame, 7)["id"].tolist() == match.fair_order(frame, 7)["id"].tolist()
