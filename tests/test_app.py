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
