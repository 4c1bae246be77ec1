"""Security headers (issue 13, item 9, headers part): a Content-Security-Policy with a fresh
nonce on every inline script (cached map HTML included), no third-party script origins,
frame-ancestors 'none', nosniff, Referrer-Policy, X-Frame-Options, and HSTS only behind
secure cookies; and in Chromium no page breaks the policy."""
from __future__ import annotations

import re

import pytest

from assetmap.views import _headers

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
PAGES = ["/", "/gaps", "/hotspots", "/areas", "/areas/E01000008", "/areas/E01000008/summary",
         "/directory", "/referral", "/contribute", "/downloads", "/login"]


def _csp(resp) -> dict[str, list[str]]:
    out = {}
    for part in resp.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def _nonce(resp) -> str:
    (n,) = [v for v in _csp(resp)["script-src"] if v.startswith("'nonce-")]
    return n[len("'nonce-"):-1]


# --- headers on every kind of response ------------------------------------------------------
@pytest.mark.parametrize("url", PAGES + ["/api/v1/", "/api/v1/assets?limit=1",
                                         "/downloads/assets.csv", "/static/assetmap.css",
                                         "/no-such-page", "/moderate", "/openreferral/services"])
def test_every_response_has_the_headers(web_client, url):
    r = web_client.get(url)
    assert r.status_code < 500
    h = r.headers
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    csp = _csp(r)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "Strict-Transport-Security" not in h      # cookies are not secure here


def test_no_third_party_script_origins(web_client):
    csp = _csp(web_client.get("/"))
    for directive in ("script-src", "style-src", "connect-src", "font-src", "default-src"):
        for v in csp[directive]:
            assert v.startswith("'") or v in ("data:",), (directive, v)
    # and the pages load no script from elsewhere
    html = web_client.get("/").get_data(as_text=True)
    assert not re.search(r"<script[^>]+src=\"(?!/)", html)


@pytest.mark.parametrize("url", PAGES)
def test_every_inline_script_carries_this_responses_nonce(web_client, url):
    r = web_client.get(url)
    html = r.get_data(as_text=True)
    nonce = _nonce(r)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", nonce)
    tags = SCRIPT_TAG.findall(html)
    if url in ("/", "/gaps", "/hotspots", "/areas", "/areas/E01000008", "/directory",
               "/contribute"):                  # maps and page scripts: inline scripts
        assert any(" src=" not in t for t in tags), url
    for tag in tags:
        if " src=" not in tag:
            assert f'nonce="{nonce}"' in tag, (url, tag)


def test_cached_map_html_gets_a_fresh_nonce_each_time(web_client):
    a, b = web_client.get("/"), web_client.get("/")
    na, nb = _nonce(a), _nonce(b)
    assert na != nb
    body_b = b.get_data(as_text=True)
    assert na not in body_b
    inline = [t for t in SCRIPT_TAG.findall(body_b) if " src=" not in t]
    assert len(inline) >= 2 and all(f'nonce="{nb}"' in t for t in inline)


def test_add_nonces_only_touches_inline_script_tags():
    body = (b'<script>a()</script><SCRIPT type="module">b()</SCRIPT><script src="/x.js"></script>'
            b'<script nonce="keep">c()</script><scripts>no</scripts><p>&lt;script&gt;</p>')
    out = _headers.add_nonces(body, "N")
    assert out == (b'<script nonce="N">a()</script><script nonce="N" type="module">b()</SCRIPT>'
                   b'<script src="/x.js"></script><script nonce="keep">c()</script>'
                   b'<scripts>no</scripts><p>&lt;script&gt;</p>')


def test_the_print_buttons_are_allowed_by_hash(web_client):
    csp = _csp(web_client.get("/areas/E01000008/summary"))
    assert "'unsafe-hashes'" in csp["script-src"]
    assert _headers._sha256("window.print()") in csp["script-src"]


def test_img_src_allows_the_tile_server():
    assert _headers.tile_origins("OpenStreetMap") == ("https://tile.openstreetmap.org",)
    assert _headers.tile_origins("none") == ()
    assert _headers.tile_origins("https://{s}.tiles.example.org/{z}/{x}/{y}.png") == \
        ("https://*.tiles.example.org",)
    assert _headers.tile_origins("http://localhost:8080/{z}/{x}/{y}.png") == \
        ("http://localhost:8080",)
    assert _headers.tile_origins("https://tiles.{s}.example/{z}/{x}/{y}.png") == ("https:",)


def test_img_src_follows_the_configured_tiles(web_app):
    from assetmap.app import create_app
    app = create_app({**web_app.config, "TILES": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"})
    assert "https://*.tiles.example.org" in _csp(app.test_client().get("/login"))["img-src"]
    osm = create_app({**web_app.config, "TILES": "OpenStreetMap"})
    assert "https://tile.openstreetmap.org" in _csp(osm.test_client().get("/login"))["img-src"]
    # no tile server (the default: the offline basemap): images from the app itself only
    assert _csp(web_app.test_client().get("/login"))["img-src"] == ["'self'", "data:", "blob:"]


def test_hsts_only_with_secure_cookies(web_app):
    from assetmap.app import create_app
    app = create_app({**web_app.config, "SESSION_COOKIE_SECURE": True})
    r = app.test_client().get("/login", base_url="https://localhost")
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(r.headers["Strict-Transport-Security"].split("=")[1]) >= 180 * 24 * 3600


# --- in the browser: no page violates the policy -----------------------------------------------
PASSWORD = "planner-pass-csp-4410"
WATCH = """() => { window.__csp = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


@pytest.fixture
def csp_page(page):
    page.csp_errors = []
    page.on("console", lambda m: page.csp_errors.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.add_init_script(WATCH)
    page.add_init_script("window.print = function () { window.__printed = true; };")
    return page


def _visit(page, url):
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(400)
    events = page.evaluate("() => window.__csp || []")
    assert not page.csp_errors and not events, (url, page.csp_errors, events)
    assert not page.js_errors, (url, page.js_errors)


@pytest.mark.browser
def test_no_csp_violations_in_chromium(app, live_server, csp_page):
    """The pages of the demo borough, public and signed in, break no CSP directive (inline
    folium scripts carry the nonce; styles, tiles, fonts and the isochrone fetch allowed)."""
    from assetmap import accounts
    store = app.extensions["assetmap_store"]
    store.add_user("pcsp", "planner", accounts.hash_password(PASSWORD))
    page, base = csp_page, live_server
    areas = store.read_areas("lsoa")
    code, ward = areas["code"].iloc[0], areas["parent_code"].iloc[0]
    for url in ("/", "/gaps", "/hotspots", f"/areas/{code}", "/directory", "/contribute",
                "/areas", "/downloads", "/referral"):
        _visit(page, base + url)
    # the Print button's inline handler runs (allowed by its hash)
    _visit(page, f"{base}/areas/{code}/summary")
    page.click("button:has-text('Print')")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__printed === true")
    assert not page.csp_errors and not page.evaluate("() => window.__csp")
    # the overview's isochrone fetch (connect-src)
    _visit(page, base + "/")
    page.evaluate("""() => { const m = window.assetmapMap, g = window.assetmapLayers.isochrones;
        m.addLayer(g); m.fire('click', {latlng: m.getCenter()}); }""")
    page.wait_for_timeout(1500)
    assert not page.csp_errors and not page.evaluate("() => window.__csp")
    # signed in: moderation and outreach
    page.goto(base + "/login")
    page.fill("input[name=name]", "pcsp")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state("load")
    for url in ("/moderate", "/moderate/assets", "/outreach",
                f"/outreach/plan?patch=wards&ward={ward}"):
        _visit(page, base + url)
        assert page.url.startswith(base + url.split("?")[0]), page.url     # signed in
        if url.startswith(("/outreach", "/moderate")) and url != "/moderate/assets":
            assert page.evaluate("() => !!window.assetmapMap"), url        # a map was drawn
