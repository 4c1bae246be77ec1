"""Providers answer (issue 11): planners issue and revoke private links on the record page;
through its link a provider sees the referrals sent to it (and no other), accepts or
declines them, and confirms its vacancies at once, dated, without moderation; reminders on
its page and the planners' stale list; optional email notices; CSRF on every form."""
import datetime as dt
import re

import pytest

from assetmap.community import tokens

from contribhelp import store_of
from referralhelp import form_fields, issue_link, provider, refer


@pytest.fixture
def parties(referral_app, referral_client):
    """(store, planner, referrer, provider id, the provider's link path, a referral id)."""
    store = store_of(referral_app)
    pat, rita = referral_client("pat"), referral_client("rita")
    aid, _ = provider(store)
    link = issue_link(pat, aid)
    rid = refer(rita, aid, case_ref="ASC-300111")
    return store, pat, rita, aid, link, rid


def _answer(fc, link, rid, status, reason=None, version=None):
    page = fc.get(link).get_data(as_text=True)
    data = {"status": status, "version": version or str(fc.app.extensions[
        "assetmap_store"].get_referral(rid)["version"])}
    if reason:
        data["decline_reason"] = reason
    assert "csrf_token" in page
    return fc.post(f"{link}/referrals/{rid}", data)


def test_the_record_page_offers_planners_the_link(referral_app, referral_client):
    store = store_of(referral_app)
    aid, _ = provider(store)
    pat = referral_client("pat")
    page = pat.get(f"/moderate/asset/{aid}").get_data(as_text=True)
    assert 'id="provider-link-panel"' in page and "No live link" in page
    assert "Vacancies never confirmed" in page and "capacity not confirmed" in page
    assert 'id="provider-link-panel"' not in \
        referral_client("cora").get(f"/moderate/asset/{aid}").get_data(as_text=True)
    library = store.read_assets()
    library = library[~library["is_provider"]]["id"].iloc[0]
    assert 'id="provider-link-panel"' not in pat.get(f"/moderate/asset/{library}").get_data(
        as_text=True)
    link = issue_link(pat, aid, email="care@provider.example")
    token = link.rsplit("/", 1)[1]
    after = pat.get(f"/moderate/asset/{aid}").get_data(as_text=True)
    assert "A link is live" in after and "care@provider.example" in after
    assert token not in after                       # shown once, never stored in clear
    assert store.provider_by_link(tokens.token_hash(token))["asset_id"] == aid


def test_a_provider_sees_its_referrals_and_answers_them(parties, referral_client):
    store, pat, rita, aid, link, rid = parties
    rid2 = refer(rita, aid, case_ref="ASC-300112")
    prov = referral_client()
    page = prov.get(link)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "ASC-300111" in text and "ASC-300112" in text and "Tuesday mornings" in text
    assert _answer(prov, link, rid, "accepted").status_code == 303
    assert _answer(prov, link, rid2, "declined").status_code == 400          # no reason
    assert store.get_referral(rid2)["status"] == "sent"
    assert _answer(prov, link, rid2, "declined", "no_capacity").status_code == 303
    assert (store.get_referral(rid)["status"], store.get_referral(rid2)["decline_reason"]) == \
        ("accepted", "no_capacity")
    assert _answer(prov, link, rid, "declined", "other").status_code == 409   # already accepted
    text = prov.get(link).get_data(as_text=True)
    assert "Nothing waiting" in text and "declined (no capacity)" in text
    assert "Close (support ended)" in text                     # the accepted one
    assert _answer(prov, link, rid, "closed").status_code == 303
    hist = store.referral_history(rid)
    assert [e["to_status"] for e in hist] == ["sent", "accepted", "closed"]
    assert hist[1]["by"].startswith("provider: ")
    # the referrer sees the answers as notices
    mine = rita.get("/referrals").get_data(as_text=True)
    assert 'id="referral-notices"' in mine and "declined" in mine
    assert store.provider_link_status(aid)["last_used_at"]


def test_vacancies_are_saved_at_once_dated_without_moderation(parties, referral_client):
    store, pat, rita, aid, link, rid = parties
    before = store.get_asset(aid)
    pending = store.count_submissions().get("pending", 0)
    prov = referral_client()
    page = prov.get(link).get_data(as_text=True)
    assert 'id="capacity-reminder"' in page                     # never confirmed
    assert prov.post(f"{link}/vacancies", {"vacancies": "-2"}).status_code == 400
    assert prov.post(f"{link}/vacancies", {"vacancies": "lots"}).status_code == 400
    r = prov.post(f"{link}/vacancies", {"vacancies": "0"})
    assert r.status_code == 303
    after = store.get_asset(aid)
    assert after["vacancies"] == 0 and after["vacancies_confirmed"] == dt.date.today().isoformat()
    assert after["version"] == before["version"] + 1 and after["status"] == "approved"
    assert store.count_submissions().get("pending", 0) == pending          # not moderated
    assert store.asset_history(aid)["action"].iloc[-1] == "vacancies confirmed"
    page = prov.get(link).get_data(as_text=True)
    assert 'id="capacity-reminder"' not in page
    assert re.search(r'id="vacancies-now">0<', page)
    # the public directory shows it at once
    rows = pat.get("/directory?kind=providers").get_data(as_text=True)
    assert "No vacancies" in rows


def test_stale_capacity_is_on_the_planners_stale_list(parties, referral_client):
    store, pat, rita, aid, link, rid = parties
    stale = pat.get("/moderate/assets?stale=1").get_data(as_text=True)
    name = store.get_asset(aid)["name"]
    row = re.search(rf'<tr><td><a href="/moderate/asset/{aid}">.*?</tr>', stale, re.S).group(0)
    assert "capacity not confirmed" in row and name in row
    store.confirm_vacancies(aid, 3, by="provider")
    store.mark_reviewed(aid, expected_version=store.get_asset(aid)["version"], changed_by="pat")
    stale = pat.get("/moderate/assets?stale=1").get_data(as_text=True)
    assert f'/moderate/asset/{aid}"' not in stale
    store.confirm_vacancies(aid, 3, by="provider", today=dt.date.today() - dt.timedelta(days=31))
    stale = pat.get("/moderate/assets?stale=1").get_data(as_text=True)
    assert f'/moderate/asset/{aid}"' in stale


def test_revoked_and_other_links_cannot_read_or_answer(parties, referral_client):
    store, pat, rita, aid, link, rid = parties
    other_id, _ = provider(store, skip=[aid])
    other = issue_link(pat, other_id)
    anon = referral_client()
    body = anon.get(other).get_data(as_text=True)
    assert "ASC-300111" not in body
    assert _answer(anon, other, rid, "accepted").status_code == 404
    assert store.get_referral(rid)["status"] == "sent"
    # revoke: the link is dead for reading and writing
    pat.get(f"/moderate/asset/{aid}")
    assert pat.post(f"/moderate/asset/{aid}/provider-link/revoke", {}).status_code == 303
    assert anon.get(link).status_code == 404
    anon.get(other)                                             # a token for the form
    assert anon.post(f"{link}/referrals/{rid}", {"status": "accepted",
                                                 "version": "1"}).status_code == 404
    assert anon.post(f"{link}/vacancies", {"vacancies": "1"}).status_code == 404
    assert anon.get("/provider/" + "x" * 32).status_code == 404
    assert anon.get("/provider/" + "x" * 300).status_code == 404
    # a new link works; the first one stays dead
    fresh = issue_link(pat, aid)
    assert anon.get(fresh).status_code == 200 and anon.get(link).status_code == 404
    # only planners issue or revoke
    for who in (None, "cora", "rita", "connie"):
        fc = referral_client(who)
        fc.get("/login")
        assert fc.post(f"/moderate/asset/{aid}/provider-link", {}).status_code == 403, who
        assert fc.post(f"/moderate/asset/{aid}/provider-link/revoke", {}).status_code == 403
    assert anon.get(fresh).status_code == 200


def test_csrf_on_every_provider_and_link_form(parties, referral_client):
    store, pat, rita, aid, link, rid = parties
    prov = referral_client()
    page = prov.get(link).get_data(as_text=True)
    record = pat.get(f"/moderate/asset/{aid}").get_data(as_text=True)
    for text in (page, record):
        forms = re.findall(r'<form method="post".*?</form>', text, re.S)
        assert forms
        for form in forms:
            assert 'name="csrf_token"' in form, form[:200]
    version = form_fields(page).get("version", "1")
    assert prov.post(f"{link}/referrals/{rid}", {"status": "accepted", "version": version},
                     csrf=False).status_code == 400
    assert prov.post(f"{link}/vacancies", {"vacancies": "9"}, csrf=False).status_code == 400
    assert pat.post(f"/moderate/asset/{aid}/provider-link/revoke", {},
                    csrf=False).status_code == 400
    assert store.get_referral(rid)["status"] == "sent"
    assert store.get_asset(aid)["vacancies"] != 9
    assert store.provider_link_status(aid) is not None


def test_email_notices_go_to_the_provider_and_the_referrer_only(referral_app, referral_client,
                                                                smtp_server):
    host, port, inbox = smtp_server
    referral_app.config.update(SMTP_HOST=host, SMTP_PORT=port, SMTP_FROM="assetmap@c.example")
    store = store_of(referral_app)
    aid, name = provider(store)
    pat = referral_client("pat")
    link = issue_link(pat, aid, email="care@provider.example")
    sam = referral_client("sam@council.example")
    rid = refer(sam, aid, case_ref="ASC-424242")
    rid2 = refer(referral_client("rita"), aid, case_ref="ASC-434343")
    prov = referral_client()
    assert prov.get(link).status_code == 200
    assert _answer(prov, link, rid, "declined", "no_capacity").status_code == 303
    assert _answer(prov, link, rid2, "accepted").status_code == 303   # rita has no address
    got = inbox.wait(4)
    assert [m["To"] for m in got] == ["care@provider.example"] * 3 + ["sam@council.example"]
    assert link.rsplit("/", 1)[1] in got[0].get_content()               # the link itself
    assert "ASC-424242" in got[1].get_content() and "ASC-434343" in got[2].get_content()
    assert "ASC-424242" in got[3].get_content() and "no capacity" in got[3].get_content()
    assert "ASC-434343" not in got[3].get_content()
    for m in got:
        assert "ASC-" not in str(m["Subject"])
    assert name in str(got[0]["Subject"])


def test_without_smtp_the_notices_are_on_the_pages(parties, referral_client):
    store, pat, rita, aid, link, rid = parties
    prov = referral_client()
    text = prov.get(link).get_data(as_text=True)
    assert 'id="provider-notices"' in text and "sent to you" in text
    _answer(prov, link, rid, "accepted")
    assert "accepted" in rita.get("/referrals").get_data(as_text=True)
