"""A fixed base URL (issue 13, item 4): absolute URLs come from ``ASSETMAP_BASE_URL`` or a
trusted host, never from whatever Host header a request sends; cached responses are the
same whoever asked first; production mode refuses unknown hosts with 400."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from assetmap.errors import AssetMapError

EVIL = "evil.example"
BASE = "https://assetmap.example.org"
FEED_URLS = ["/openreferral/services?page=3&per_page=5", "/openreferral/services",
             "/openreferral/taxonomies", "/openreferral/", "/api/v1/openapi.json"]


@pytest.fixture
def make_app(web_db_file, tmp_path):
    """Factory: the app on a private copy of the tiny borough, with extra config."""
    from assetmap.app import create_app

    import webmini
    n = [0]

    def make(**cfg):
        n[0] += 1
        dst = tmp_path / f"mini{n[0]}.sqlite"
        shutil.copy(web_db_file, dst)
        base = {"TESTING": True, "DATABASE": f"sqlite:///{dst}", "SECRET_KEY": "t",
                "INSTANCE_PATH": str(tmp_path / f"instance{n[0]}"),
                "ANALYSIS_LOADER": webmini.analysis_frames}
        return create_app({**base, **cfg})
    return make


def _service_urls(body: str) -> list[str]:
    return [s["url"] for s in json.loads(body)["contents"] if s.get("url")]


def _one_service_url(client, **kw) -> str:
    first = json.loads(client.get("/openreferral/services?per_page=1", **kw).get_data())
    return "/openreferral/services/" + first["contents"][0]["id"]


# --- the bug: Host header poisoning of the cached feed ----------------------------------------
def test_an_evil_host_never_reaches_a_later_normal_request(make_app):
    """Reproduced on the unchanged code: the first request's Host was cached into the feed
    and served to everyone (``"url": "http://evil.example/..."``)."""
    app = make_app()
    c = app.test_client()
    urls = FEED_URLS + [_one_service_url(c)]
    for u in urls:
        evil = c.get(u, headers={"Host": EVIL})
        assert EVIL not in evil.get_data(as_text=True)
        normal = c.get(u)
        assert normal.status_code == 200, u
        assert EVIL not in normal.get_data(as_text=True), u
    # and the other way round: a trusted request first, then the evil one
    for u in urls:
        assert EVIL not in c.get(u, headers={"Host": EVIL}).get_data(as_text=True)


def test_untrusted_host_gets_400_where_an_absolute_url_is_needed(make_app):
    c = make_app().test_client()
    r = c.get("/openreferral/services?page=3&per_page=5", headers={"Host": EVIL})
    assert r.status_code == 400
    assert "ASSETMAP_BASE_URL" in r.get_data(as_text=True)
    # pages without absolute URLs still answer outside production mode
    assert c.get("/", headers={"Host": EVIL}).status_code == 200


def test_cached_feed_is_host_independent(make_app):
    """Two trusted names: each gets its own root, from the same cached page."""
    app = make_app(ASSETMAP_TRUSTED_HOSTS=["maps.example.org"])
    c = app.test_client()
    a = _service_urls(c.get("/openreferral/services", headers={"Host": "maps.example.org"})
                      .get_data(as_text=True))
    b = _service_urls(c.get("/openreferral/services").get_data(as_text=True))
    assert a and all(u.startswith("http://maps.example.org/directory/") for u in a)
    assert b and all(u.startswith("http://localhost/directory/") for u in b)
    assert [u.rsplit("/", 1)[1] for u in a] == [u.rsplit("/", 1)[1] for u in b]
    # the cache holds the placeholder, never a host
    from assetmap.views import data as webdata
    from assetmap.views._hosts import PLACEHOLDER_ROOT
    wd = next(w for k, w in webdata._cache.items() if k[0] == app.config["DATABASE"])
    cached = [v for k, v in wd.memo.items() if k[0] in ("api", "openreferral")
              and isinstance(v, tuple)]
    assert cached and all(b"localhost" not in body and b"maps.example" not in body
                          for _s, body, _m in cached)
    assert any(PLACEHOLDER_ROOT.encode() in body for _s, body, _m in cached)


def test_feed_urls_resolve(make_app):
    """A service without a website links to its own public page, which exists."""
    c = make_app().test_client()
    urls = _service_urls(c.get("/openreferral/services?per_page=3").get_data(as_text=True))
    for u in urls:
        assert u.startswith("http://localhost/")
        assert c.get(u.removeprefix("http://localhost")).status_code == 200


# --- a base URL ---------------------------------------------------------------------------------
def test_base_url_is_every_absolute_url(make_app):
    app = make_app(BASE_URL=BASE)
    assert app.config["PRODUCTION"] and app.config["TRUSTED_HOSTS"] == ["assetmap.example.org"]
    c = app.test_client()
    kw = {"base_url": BASE}
    urls = _service_urls(c.get("/openreferral/services", **kw).get_data(as_text=True))
    assert urls and all(u.startswith(BASE + "/directory/") for u in urls)
    one = json.loads(c.get(_one_service_url(c, **kw), **kw).get_data())
    assert one["url"].startswith(BASE + "/")
    api = json.loads(c.get("/api/v1/openapi.json", **kw).get_data())
    assert api["servers"] == [{"url": BASE}]


@pytest.mark.parametrize("url", ["/", "/openreferral/services?page=3", "/api/v1/",
                                 "/static/assetmap.css", "/login", "/no-such-page"])
def test_production_refuses_unknown_hosts(make_app, url):
    app = make_app(BASE_URL=BASE)
    c = app.test_client()
    r = c.get(url, headers={"Host": EVIL})
    assert r.status_code == 400
    assert EVIL not in r.get_data(as_text=True)
    assert c.get(url, base_url=BASE).status_code in (200, 404)
    assert c.get(url).status_code == 400          # localhost is not trusted in production


def test_production_mode_by_setting_with_trusted_hosts(make_app):
    app = make_app(PRODUCTION=True, ASSETMAP_TRUSTED_HOSTS=["maps.example.org", ".example.net"])
    c = app.test_client()
    assert c.get("/", headers={"Host": EVIL}).status_code == 400
    assert c.get("/", headers={"Host": "maps.example.org"}).status_code == 200
    assert c.get("/", headers={"Host": "a.b.example.net:8080"}).status_code == 200
    urls = _service_urls(c.get("/openreferral/services", headers={"Host": "maps.example.org"})
                         .get_data(as_text=True))
    assert all(u.startswith("http://maps.example.org/") for u in urls)


def test_production_needs_a_host(make_app):
    with pytest.raises(AssetMapError, match="ASSETMAP_BASE_URL"):
        make_app(PRODUCTION=True, ASSETMAP_TRUSTED_HOSTS=[])
    with pytest.raises(AssetMapError, match="http"):
        make_app(BASE_URL="assetmap.example.org")


def test_private_link_uses_the_base_url(contrib_db_file, tmp_path):
    """The contributor's private link (the one absolute URL on a page) uses the base URL."""
    from conftest import FormClient

    from assetmap.app import create_app

    import webmini
    from contribhelp import inside_point, provider_form, store_of, submit
    dst = tmp_path / "c.sqlite"
    shutil.copy(contrib_db_file, dst)
    app = create_app({"TESTING": True, "DATABASE": f"sqlite:///{dst}", "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(tmp_path / "i"), "BASE_URL": BASE + "/",
                      "ANALYSIS_LOADER": webmini.analysis_frames, "ANALYSIS_REFRESH": "off"})
    class BaseFormClient(FormClient):          # a browser on the public address
        def get(self, url, **kw):
            return super().get(url, base_url=BASE, **kw)

        def post(self, url, data=None, *, csrf=True, **kw):
            return super().post(url, data, csrf=csrf, base_url=BASE,
                                headers={"Referer": BASE + "/contribute"}, **kw)
    fc = BaseFormClient(app)
    token = submit(fc, provider_form(*inside_point(store_of(app))))
    page = fc.get(f"/submission/{token}").get_data(as_text=True)
    assert f"{BASE}/submission/{token}" in page


def test_cli_export_uses_the_base_url(tmp_path, monkeypatch):
    from test_io_common import write_boundaries
    from test_safety_csv import _seed

    from assetmap import settings
    from assetmap.io.boundaries import import_boundaries
    from assetmap.io.openreferral import export_openreferral
    from assetmap.store import Store
    s = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    import_boundaries(s, write_boundaries(tmp_path / "b.geojson"))
    _seed(s)
    monkeypatch.setattr(settings, "BASE_URL", BASE)
    export_openreferral(s, tmp_path / "feed")
    feed = json.loads((tmp_path / "feed" / "services.json").read_text())
    assert all(x["url"].startswith(BASE + "/directory/") for x in feed["contents"])
    s.dispose()


def test_settings_read_the_environment():
    code = ("from assetmap import settings as s; "
            "print(repr((s.BASE_URL, s.TRUSTED_HOSTS, s.ENV)))")
    env = {"ASSETMAP_BASE_URL": "https://a.example/x/", "PATH": "/usr/bin:/bin",
           "ASSETMAP_TRUSTED_HOSTS": " a.example, .b.example ,", "ASSETMAP_ENV": "Production",
           "PYTHONPATH": ":".join(sys.path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == repr(("https://a.example/x", ("a.example", ".b.example"), "production"))


def test_private_link_for_an_unknown_host_is_relative(contrib_app, form_client):
    """Outside production an unknown host still sees its private link, as a plain path."""
    from contribhelp import inside_point, provider_form, store_of, submit
    token = submit(form_client(), provider_form(*inside_point(store_of(contrib_app))))
    c = contrib_app.test_client()
    page = c.get(f"/submission/{token}", headers={"Host": EVIL}).get_data(as_text=True)
    assert f'href="/submission/{token}"' in page and EVIL not in page
    page = c.get(f"/submission/{token}").get_data(as_text=True)
    assert f'href="http://localhost/submission/{token}"' in page
