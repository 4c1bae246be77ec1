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

# --- configuration (issue 14): instance config file, secret from the environment ----------------
def _app(tmp_path, store, **extra):
    from assetmap.app import create_app
    return create_app({"TESTING": True, "DATABASE": store.url,
                       "INSTANCE_PATH": str(tmp_path / "inst"), **extra})


def test_instance_config_file_is_read(tmp_path, store):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "assetmap.cfg").write_text('SECRET_KEY = "from-the-file"\nTILES = "none"\n'
                                       'SESSION_IDLE_MINUTES = 5\n')
    app = _app(tmp_path, store)
    assert app.config["SECRET_KEY"] == "from-the-file" and app.config["TILES"] == "none"
    assert app.config["SESSION_IDLE_MINUTES"] == 5
    assert not (inst / "secret_key").exists()


def test_secret_from_the_environment_wins(tmp_path, store, monkeypatch):
    from assetmap import settings
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "assetmap.cfg").write_text('SECRET_KEY = "from-the-file"\n')
    monkeypatch.setattr(settings, "SECRET_KEY", "from-the-environment")
    assert _app(tmp_path, store).config["SECRET_KEY"] == "from-the-environment"


def test_without_a_secret_one_is_made_once_in_the_instance_folder(tmp_path, store):
    import os
    first = _app(tmp_path, store).config["SECRET_KEY"]
    path = tmp_path / "inst" / "secret_key"
    assert len(first) == 64 and path.read_text() == first
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert _app(tmp_path, store).config["SECRET_KEY"] == first


def test_a_named_config_file_must_exist(tmp_path, store, monkeypatch):
    import pytest

    from assetmap import settings
    from assetmap.errors import AssetMapError
    monkeypatch.setattr(settings, "CONFIG_FILE", str(tmp_path / "missing.cfg"))
    with pytest.raises(AssetMapError, match="ASSETMAP_CONFIG"):
        _app(tmp_path, store)
    (tmp_path / "there.cfg").write_text('TILES = "none"\n')
    monkeypatch.setattr(settings, "CONFIG_FILE", str(tmp_path / "there.cfg"))
    assert _app(tmp_path, store, SECRET_KEY="x").config["TILES"] == "none"
