"""The method notes: figures come from settings and the latest run, every legend links here."""
from __future__ import annotations

from assetmap import method, settings


def test_sections_carry_the_settings_and_every_anchor():
    secs = method.sections()
    assert [s.id for s in secs] == list(method.ANCHORS)
    text = " ".join(p for s in secs for p in s.paragraphs)
    assert f"{settings.WALK_SPEED_KMH:g} km/h" in text
    assert f"q < {settings.FDR_ALPHA:g}" in text
    demand = next(s for s in secs if s.id == "demand")
    assert len(demand.points) == 7 and any("learning disability" in p for p in demand.points)
    need = secs[0]
    weights = {row[1]: float(row[2]) for row in need.table[1]}
    assert weights == {k: round(v, 2) for k, v in settings.NEED_WEIGHTS.items()}


def test_latest_run_weights_and_method_are_what_the_run_used():
    run = {"id": 7, "created_at": "2026-12-01", "data_version": 3,
           "summary": {"indicators_used": {"llti": 0.6, "idaopi": 0.4},
                       "missing_indicators": ["living_alone_65"],
                       "hotspot_method": {"inference": "analytical", "fdr_alpha": 0.05,
                                          "tested": 150},
                       "notes": ["No street network: walking times are straight-line."]}}
    secs = {s.id: s for s in method.sections(run, [], 3)}
    assert {r[1] for r in secs["need"].table[1]} == {"llti", "idaopi"}
    assert any("could not use" in p for p in secs["need"].paragraphs)
    assert any("analytical (normal) p-values" in p and "150 areas" in p
               for p in secs["hotspots"].paragraphs)
    assert any("straight-line" in p for p in secs["run"].paragraphs)


def test_method_page_and_legend_links(client):
    page = client.get("/method")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for anchor in method.ANCHORS:
        assert f'id="{anchor}"' in html
    assert "need_index" in html                       # the data dictionary is on the page
    gaps = client.get("/gaps").get_data(as_text=True)
    assert "/method#gaps" in gaps
    overview = client.get("/").get_data(as_text=True)
    assert "/method#need" in overview
