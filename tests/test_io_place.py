"""The place a store holds (io.place): its name from --la, the stem of its LSOA names, never
the demo borough's name for a real store."""
from __future__ import annotations

from test_io_common import area_store, io_store, write_boundaries  # noqa: F401

from assetmap import settings
from assetmap.io import place
from assetmap.io.boundaries import import_boundaries


def test_name_stem():
    assert place.name_stem(["Rutland 001A", "Rutland 002B", "Leeds 001A"]) == "Rutland"
    assert place.name_stem(["Oakham North", "x"]) is None


def test_place_from_la_and_from_names(io_store, tmp_path):
    assert place.place_name(io_store) == place.UNNAMED
    import_boundaries(io_store, write_boundaries(tmp_path / "b.geojson"))
    assert place.place_name(io_store) == "Testborough"          # the LSOA names' stem
    assert place.place_code(io_store) is None
    rep = import_boundaries(io_store, tmp_path / "b.geojson", la="E08900001")
    assert place.place_name(io_store) == "Testborough"          # the file's LAD22NM
    assert place.place_code(io_store) == "E08900001"
    assert any("place is now Testborough (E08900001)" in n for n in rep.notes)
    assert settings.DEMO_LA_NAME not in place.place_name(io_store)


def test_la_by_name_sets_the_code_from_the_file(io_store, tmp_path):
    import_boundaries(io_store, write_boundaries(tmp_path / "b.geojson"), la="Testborough")
    assert (place.place_name(io_store), place.place_code(io_store)) == ("Testborough",
                                                                        "E08900001")


def test_pages_of_a_real_store_never_say_ashbrook(area_store, tmp_path):
    from assetmap import pipeline
    from assetmap.app import create_app
    pipeline.run(area_store, {"permutations": 9, "isochrone_categories": []})
    app = create_app({"TESTING": True, "DATABASE": area_store.url, "SECRET_KEY": "x",
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    c = app.test_client()
    code = area_store.read_areas()["code"].iloc[0]
    for url in ("/", "/gaps", "/hotspots", "/areas", f"/areas/{code}",
                f"/areas/{code}/summary", "/directory", "/referral", "/downloads", "/api/v1/"):
        body = c.get(url).get_data(as_text=True)
        assert settings.DEMO_LA_NAME not in body, url
        assert "Testborough" in body or url in ("/directory", "/downloads"), url
