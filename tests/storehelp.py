"""Helpers for the store tests (tests/test_store_*.py): a store on each backend, synthetic
areas, assets, indicators, networks and postcodes, and contributions as a view hands them to
the store. Fixtures are imported by name into each test module."""
from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from assetmap.store import Store

from pghelp import PG_OK, PG_URL


@pytest.fixture(params=["sqlite", "postgis"])
def any_store(request, tmp_path):
    """An empty store: a SQLite file, then the PostGIS test server (skipped without one)."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'rt.sqlite'}")
    else:
        if not PG_OK:
            pytest.skip("no PostgreSQL+PostGIS server (set ASSETMAP_TEST_PG_URL)")
        s = Store(PG_URL)
        s.drop_all()
    yield s
    s.dispose()


def make_areas(n=4) -> gpd.GeoDataFrame:
    rows = []
    for i in range(n):
        x0 = 452000 + 1000 * i
        rows.append({"code": f"E0199{i:04d}", "name": f"Testford 00{i}A", "level": "lsoa",
                     "parent_code": "E05990001", "parent_name": "Middle Ward",
                     "pop_0_17": 300.0 + i, "pop_18_64": 900.0, "pop_65_74": 150.5,
                     "pop_75_84": 80.0, "pop_85_plus": None,
                     "pwc_lon": None, "pwc_lat": None,
                     "geometry": box(x0, 318000, x0 + 1000, 319000)})
    return gpd.GeoDataFrame(rows, crs="EPSG:27700").to_crs("EPSG:4326")


def make_assets(areas) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    pts = areas.geometry.representative_point()
    rows = []
    for i, p in enumerate(pts):
        rows.append({"id": f"t-{i}", "name": f"Asset {i} <b>&</b>", "category":
                     "micro_provider" if i % 2 else "library", "description": "d",
                     "address": "1 High St", "postcode": "ab1 2cd",
                     "opening_hours": "Mo-Fr 09:00-17:00",
                     "contact": "01234 567890", "contact_public": bool(i % 2), "website": None,
                     "source": "import", "source_ref": None, "status": "approved",
                     "home_based": i == 1, "last_reviewed": None, "created_by": "test",
                     "created_at": "2026-01-01T00:00:00+00:00", "updated_by": None,
                     "updated_at": "2026-01-01T00:00:00+00:00", "version": 1, "geometry": p})
    prov = pd.DataFrame([{
        "asset_id": "t-1", "service_types": "home_support|befriending",
        "client_groups": "older_people", "hourly_price": 18.5, "quality_mark": "silver",
        "cqc_registered": False, "cqc_location_id": None, "direct_payments": True,
        "preferred_list": False, "staff_fte": 1.5, "capacity_hours": 40.0, "vacancies": 6.0,
        "community_focus": "Punjabi speakers", "radius_km": 5.0, "charity_number": None,
        "company_number": None}])
    return gpd.GeoDataFrame(rows, crs="EPSG:4326"), prov


def make_indicators(ids=("b_ind", "a_ind")) -> pd.DataFrame:
    return pd.DataFrame([{"id": i, "title": i.upper(), "unit": "%", "polarity": "high_bad",
                          "ci_method": "none", "source": None, "period": None,
                          "description": None} for i in ids])


def make_values() -> pd.DataFrame:
    """Three values of make_indicators() for the first two of make_areas()."""
    return pd.DataFrame({"indicator_id": ["a_ind", "a_ind", "b_ind"],
                         "area_code": ["E01990000", "E01990001", "E01990000"],
                         "value": [1.0, 2.0, 3.0], "count": None, "denominator": None,
                         "lower_ci": None, "upper_ci": None})


def make_networks(areas) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["n2", "n1"], "name": ["North", "South <i>"],
                             "hub_asset_id": ["t-0", None], "members": [12, None],
                             "activities": ["lunch club", None]},
                            geometry=[areas.geometry.iloc[0], areas.geometry.iloc[1]],
                            crs="EPSG:4326")


def make_postcodes() -> pd.DataFrame:
    """Two postcodes near make_areas() (-1.3..-1.1, 52.6..52.8) and one far away."""
    return pd.DataFrame({
        "postcode": ["AB1 2CD", "AB1 3EF", "ZZ9 9ZZ"], "lon": [-1.25, -1.20, 0.5],
        "lat": [52.70, 52.75, 51.0], "area_code": ["E01990000", None, None]})


# --- contributions and moderation (issue 6) ---------------------------------------------------
# The data a view hands the store is ``submissions.Contribution.as_data()``: asset fields, an
# optional service record, and lon/lat (None keeps the current location of an update).

def contribution(lon, lat, *, provider: bool = True, **asset) -> dict:
    from assetmap.community.forms import Contribution
    a = {"name": "Ashbrook Home Helpers", "category": "micro_provider" if provider else "library",
         "description": "Help at home for older people", "address": "2 Mill Lane",
         "postcode": "AB1 2CD", "opening_hours": "Mo,Tu 09:00-17:00", "contact": "07700 900123",
         "contact_public": False, "website": None, "home_based": False}
    a.update(asset)
    p = None
    if provider:
        p = {"service_types": "home_support|befriending", "client_groups": "older_people|dementia",
             "hourly_price": 18.5, "quality_mark": "silver", "cqc_registered": False,
             "cqc_location_id": None, "direct_payments": True, "preferred_list": False,
             "staff_fte": 2.5, "capacity_hours": 60.0, "vacancies": 10.0,
             "community_focus": "Polish speakers", "radius_km": 4.0, "charity_number": None,
             "company_number": None}
    return Contribution(asset=a, provider=p, lon=lon, lat=lat).as_data()


@pytest.fixture
def seeded(any_store):
    """Areas and four approved assets (t-1 a provider), plus a point inside area 2."""
    areas = make_areas()
    any_store.write_areas(areas)
    assets, prov = make_assets(areas)
    any_store.write_assets(assets, prov)
    p = areas.geometry.iloc[2].centroid
    return any_store, (round(p.x, 6), round(p.y, 6))
