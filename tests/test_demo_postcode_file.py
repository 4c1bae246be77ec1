"""The demo's postcode file: thousands of postcodes tiling its areas, every published demo
address's postcode in it, none placed at a home."""
from __future__ import annotations

import geopandas as gpd

from assetmap import model
from assetmap.demo import postcode_file


def test_postcodes_tile_every_area_and_cover_every_published_address(demo_store):
    pc = demo_store.postcodes_within((-180, -90, 180, 90))
    lsoas = demo_store.read_areas("lsoa")
    assert len(pc) >= 3000 and pc["postcode"].is_unique
    assert set(pc["area_code"].dropna()) == set(lsoas["code"])
    assert all(model.POSTCODE_RE.match(p) for p in pc["postcode"])
    pts = gpd.GeoDataFrame(pc, geometry=gpd.points_from_xy(pc["lon"], pc["lat"]),
                           crs="EPSG:4326")
    hit = gpd.sjoin(pts, lsoas[["code", "geometry"]], predicate="within")
    placed = hit[hit["area_code"].notna()]
    assert (placed["area_code"] == placed["code"]).mean() > 0.99
    assets = demo_store.read_assets()
    public = assets[~assets["home_based"] & assets["postcode"].notna()]
    assert set(public["postcode"]) <= set(pc["postcode"])
    homes = assets[assets["home_based"] & assets["postcode"].notna()]
    assert not set(homes["postcode"]) & set(pc["postcode"]) - set(public["postcode"])


def test_the_file_is_the_same_every_time(demo_store):
    areas = demo_store.read_areas(level=None)
    assets = demo_store.read_assets()
    a = postcode_file.postcode_frame(areas, assets)
    b = postcode_file.postcode_frame(areas, assets)
    assert a.equals(b)


def test_a_social_worker_can_search_from_a_demo_postcode(client, demo_store):
    """A postcode printed on a demo address is found by the referral finder."""
    assets = demo_store.read_assets()
    pc = assets[~assets["home_based"] & assets["postcode"].notna()]["postcode"].iloc[0]
    page = client.get("/referral", query_string={"postcode": pc.lower().replace(" ", ""),
                                                 "service_type": "home_support",
                                                 "client_group": "older_people"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "not a known postcode" not in html.lower() and "unknown postcode" not in html.lower()
    assert "Comes to you" in html
