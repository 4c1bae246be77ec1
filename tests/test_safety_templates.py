"""User text is data, never a template (issue 13, item 1).

A corpus of payloads (Jinja expressions, statements and comments, a shell command through
Jinja's globals, JavaScript template literals, HTML/attribute/script breakouts, formula
prefixes, NUL, zero-width characters, newlines) is typed into every field of the
contribution form and into the texts that come from imported files (area, indicator and
network names). Every page, popup, tooltip, export and API response is then fetched, by
every role: no payload is ever evaluated, no response is a server error, and every inline
script still parses. These tests fail if ``maps.render_parts`` renders map elements twice
(branca's second rendering) or if ``esc`` stops making braces inert.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from assetmap.layers._style import esc

from contribhelp import (
    approve,
    crawl_urls,
    inside_point,
    pending_ids,
    provider_form,
    store_of,
    submit,
)

#: payload -> a string that appears only if the payload was evaluated as a template.
EVALUATED = {
    "X-{{7*7}}-Y": "X-49-Y",
    "Z-{{7*'7'}}-W": "Z-7777777-W",
    "{% for i in range(3) %}L{{ i }}{% endfor %}": "L0L1L2",
    "A-{# hidden #}-B": "A--B",
    "{{ config.items() }}": "SECRET_KEY",
    "{{ self.__init__.__globals__ }}": "__builtins__",
}


def _shell_payload(canary) -> str:
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(canary) + "').read() }}"


#: Inert text of other kinds, carried beside the template payloads.
OTHER = ["`${alert(3)}`", "</script><script>alert(4)</script>", '" onmouseover="alert(5)',
         "=HYPERLINK(\"http://x\",\"y\")", "line one\nline two\r\nthree", "Zero\u200bWidth",
         "back\\slash ${x} {{", "}} %} #}"]


def test_esc_makes_template_and_literal_syntax_inert():
    for payload in list(EVALUATED) + OTHER:
        out = esc(payload)
        for ch in "{}`$\\<>\"'":
            assert ch not in out, (payload, out)
    assert esc("X-{{7*7}}-Y") == "X-&#123;&#123;7*7&#125;&#125;-Y"
    assert esc("a\0b") == "a\ufffdb"


def _forms(lon, lat, canary):
    """Contribution forms that together put every payload into every free-text field."""
    payloads = list(EVALUATED) + [_shell_payload(canary)] + OTHER
    fields = ("name", "description", "opening_notes", "contact", "community_focus")
    forms = []
    for k in range(0, len(payloads), 2):
        values = {f: payloads[(k + i) % len(payloads)][:200] for i, f in enumerate(fields)}
        values["name"] = f"P{k} " + values["name"]
        forms.append(provider_form(lon + 0.001 * k, lat, contact_public="on", **values))
    return forms


def _imported_texts(store, canary):
    """Area, indicator and network names as an imported file could carry them."""
    areas = store.read_areas(level=None)
    areas.loc[areas.index[0], "name"] = "X-{{7*7}}-Y area"
    areas.loc[areas.index[1], "name"] = _shell_payload(canary)
    store.write_areas(areas)
    ind = store.read_indicators()
    if len(ind):
        ind.loc[ind.index[0], "title"] = "Z-{{7*'7'}}-W indicator"
        store.write_indicators(ind)
    nets = store.read_networks()
    if len(nets):
        nets.loc[nets.index[0], "name"] = "{% for i in range(3) %}L{{ i }}{% endfor %}"
        store.write_networks(nets)


def _fetch(fc, urls):
    """url -> (content type, body) for every url; any server error fails the test (the app
    runs with TESTING, so the view's exception propagates with its traceback)."""
    out = {}
    for u in urls:
        r = fc.client.get(u)
        assert r.status_code < 500, (u, r.status_code)
        ctype = r.content_type or ""
        binary = ctype.startswith("application/geopackage")        # a SQLite file
        out[u] = (ctype, r.get_data().decode("latin-1") if binary else r.get_data(as_text=True))
    return out


def _check_body(url, who, ctype, body, canary):
    for evaluated in EVALUATED.values():
        assert evaluated not in body, f"{url} for {who}: template evaluated ({evaluated})"
    assert not canary.exists(), f"{url} for {who}: a shell command ran"
    if "html" in ctype:
        return [s for s in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", body, re.S)
                if s.strip()]
    return []


def _node_check(scripts, tmp_path):
    """Every inline script parses as JavaScript (node --check), where node is installed."""
    node = shutil.which("node")
    if node is None or not scripts:
        return 0
    scripts = list(dict.fromkeys(scripts))         # each distinct script once
    for i, src in enumerate(scripts):
        f = tmp_path / f"inline-{i}.js"
        f.write_text(src)
        r = subprocess.run([node, "--check", str(f)], capture_output=True, text=True)
        assert r.returncode == 0, f"inline script {i} does not parse: {r.stderr[:500]}"
    return len(scripts)


def test_payloads_in_every_field_are_never_evaluated(contrib_app, form_client, tmp_path):
    store = store_of(contrib_app)
    canary = tmp_path / "template-ran"
    lon, lat = inside_point(store)
    anon = form_client()
    tokens = [submit(anon, form) for form in _forms(lon, lat, canary)]
    pat, cora = form_client("pat"), form_client("cora")
    ids = pending_ids(store)
    assert len(ids) == len(tokens) >= 7
    pending_urls = [f"/moderate/{i}" for i in ids] + ["/moderate"] + \
        [f"/submission/{t}" for t in tokens]
    scripts = []
    for who, fc in (("planner", pat), ("coordinator", cora), ("contributor", anon)):
        for url, (ctype, body) in _fetch(fc, pending_urls).items():
            scripts += _check_body(url, who, ctype, body, canary)
    for sid in ids[:-1]:
        assert approve(pat, sid).status_code == 303
    _imported_texts(store, canary)
    asset_id = store.get_submission(ids[0])["asset_id"]
    areas = store.read_areas()
    values = {"code": areas["code"].iloc[0], "name": "need", "indicator_id": "llti",
              "layer": "assets", "fmt": "csv", "plan_id": 1, "user_id": 1, "asset_id": asset_id,
              "id": asset_id, "sid": ids[-1], "token": tokens[-1]}
    extra = ["/directory?kind=all", f"/directory?kind=all&q={list(EVALUATED)[0]}",
             f"/directory?lat={lat}&lon={lon}&kind=all", f"/referral?lat={lat}&lon={lon}",
             "/api/v1/assets?limit=500", "/api/v1/providers?limit=500",
             "/openreferral/services", "/moderate/assets?status=all"]
    urls = crawl_urls(contrib_app, values, extra) + pending_urls
    shown = 0
    for who, fc in (("anonymous", anon), ("planner", pat), ("coordinator", cora)):
        for url, (ctype, body) in _fetch(fc, urls).items():
            scripts += _check_body(url, who, ctype, body, canary)
            shown += "X-{{7*7}}-Y" in body or esc("X-{{7*7}}-Y") in body or \
                "X-\\u007b\\u007b7*7\\u007d\\u007d-Y" in body
    assert shown >= 10          # the payload really is shown, as text
    _node_check(scripts, tmp_path)


@pytest.mark.parametrize("name", ["{{7*'7'}}", "{% if %}", "{{ 1/0 }}", "{#", "{{"])
def test_moderation_page_survives_template_syntax(contrib_app, form_client, name):
    """A name that is broken template syntax once made /moderate a 500 for everyone."""
    store = store_of(contrib_app)
    lon, lat = inside_point(store)
    submit(form_client(), provider_form(lon, lat, name=f"Care {name}"))
    pat = form_client("pat")
    sid = pending_ids(store)[0]
    for url in ("/moderate", f"/moderate/{sid}"):
        r = pat.get(url)
        assert r.status_code == 200, url
        assert "7777777" not in r.get_data(as_text=True)
