def test_healthz(empty_app):
    r = empty_app.test_client().get("/healthz")
    assert r.status_code == 200 and r.json["status"] == "ok"
    assert "data_version" in r.json


def test_home_on_empty_store(empty_app):
    r = empty_app.test_client().get("/")
    assert r.status_code == 200 and b"AssetMap" in r.data


def test_home_shows_demo_map_embedded(client):
    r = client.get("/")
    html = r.data.decode()
    assert r.status_code == 200
    assert "<iframe" not in html and "L.map(" in html
    assert "Community assets" in html and "Areas" in html
    # browser libraries are served locally, not from a CDN
    assert "cdn.jsdelivr.net" not in html and "cdnjs.cloudflare.com" not in html


def test_session_cookie_settings(empty_app):
    assert empty_app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert empty_app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_pages_and_geojson_are_compressed_when_asked(client):
    """A browser that accepts gzip gets the big pages and GeoJSON compressed; one that does
    not gets the plain bytes, and both decode to the same page."""
    import gzip
    import re

    def same(b: bytes) -> bytes:                   # nonces differ between any two responses
        return re.sub(rb'nonce="[^"]*"', b'nonce=""', b)
    plain = client.get("/gaps")
    packed = client.get("/gaps", headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in packed.headers.get("Vary", "")
    assert same(gzip.decompress(packed.data)) == same(plain.data)
    assert len(packed.data) * 3 < len(plain.data)
    geo = client.get("/downloads/areas.geojson", headers={"Accept-Encoding": "gzip"})
    assert geo.status_code == 200 and geo.headers.get("Content-Encoding") == "gzip"


def test_static_files_may_be_cached(client):
    r = client.get("/static/assetmap.css")
    assert "max-age=" in r.headers.get("Cache-Control", "")
    assert int(r.headers["Cache-Control"].split("max-age=")[1].split(",")[0]) >= 24 * 3600
