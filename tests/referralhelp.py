"""Helpers for the referral tests (issue 11): pick providers in the tiny web borough, refer
through the real form, issue a provider's private link through the record page."""
from __future__ import annotations

import re

from contribhelp import store_of


def provider(store, *, home_based: bool = False, service: str = "befriending", skip=()):
    """(asset id, name) of a published provider offering ``service``."""
    a = store.read_assets()
    a = a[a["is_provider"] & (a["home_based"] == home_based)
          & a["service_types"].str.contains(service) & ~a["id"].isin(list(skip))
          & ~a["name"].str.contains("<")]
    # one whose vacancies were never confirmed first (the capacity reminder tests need it)
    a = a.assign(_never=a["vacancies_confirmed"].isna()) if "vacancies_confirmed" in a else \
        a.assign(_never=True)
    r = a.sort_values(["_never", "id"], ascending=[False, True]).iloc[0]
    return r["id"], r["name"]


def area_code(store, i: int = 4) -> str:
    return store.read_areas()["code"].iloc[i]


def form_fields(text: str) -> dict:
    """The hidden fields of the first referral form on a page."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', text))


def refer(fc, asset_id, *, case_ref="ASC-104233", notes="Tuesday mornings", area=None,
          service_type="befriending", client_group="older_people", expect=303):
    """Refer through the form as the signed-in referrer ``fc``; returns the referral id (or
    the response when ``expect`` is not 303)."""
    store = store_of(fc.app)
    page = fc.get(f"/referrals/new?asset={asset_id}")
    assert page.status_code == 200, page.status_code
    hidden = form_fields(page.get_data(as_text=True))
    r = fc.post("/referrals", {"asset_id": asset_id, "request_key": hidden["request_key"],
                               "service_type": service_type, "client_group": client_group,
                               "area_code": area or area_code(store), "case_ref": case_ref,
                               "notes": notes})
    assert r.status_code == expect, r.get_data(as_text=True)[:2000]
    if expect != 303:
        return r
    return int(r.headers["Location"].rsplit("/", 1)[1])


def issue_link(pat, asset_id, email: str = "") -> str:
    """A provider's private link path (/provider/<token>) issued by the planner ``pat``."""
    pat.get(f"/moderate/asset/{asset_id}")
    r = pat.post(f"/moderate/asset/{asset_id}/provider-link", {"email": email})
    assert r.status_code == 200, r.get_data(as_text=True)[:1000]
    url = re.search(r'id="provider-link" href="([^"]+)"', r.get_data(as_text=True)).group(1)
    return "/provider/" + url.rsplit("/provider/", 1)[1]


def version_of(text: str, rid: int) -> str:
    m = re.search(rf'/referrals/{rid}[^"]*"[^>]*>\s*<input type="hidden" name="csrf_token" '
                  rf'value="[^"]+"><input type="hidden" name="version" value="(\d+)"', text)
    return m.group(1) if m else "1"
