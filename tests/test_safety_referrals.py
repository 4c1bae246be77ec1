"""Privacy of referrals (issue 11): a case reference appears only to its referrer and to
the provider it was sent to. Every GET page of the app is fetched as every other kind of
visitor (anonymous, planner, coordinator, contributor, another referrer, another provider
through its own link) and none of them holds it; no URL a referral travels through and no
log line holds it either."""
import logging
import re

from contribhelp import crawl_urls, fetch_all, store_of
from referralhelp import issue_link, provider, refer

RITA_REF = "ASC-918273"
ROB_REF = "MOS-464646"


def test_case_references_reach_only_their_referrer_and_provider(referral_app, referral_client,
                                                                 caplog):
    caplog.set_level(logging.DEBUG)
    referral_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=9)   # nothing listens: logged
    store = store_of(referral_app)
    pat, rita, rob = referral_client("pat"), referral_client("rita"), referral_client("rob")
    a_id, _ = provider(store)
    b_id, _ = provider(store, skip=[a_id])
    link_a = issue_link(pat, a_id, email="a@provider.example")
    link_b = issue_link(pat, b_id)
    rid = refer(rita, a_id, case_ref=RITA_REF, notes="Prefers afternoons")
    rob_rid = refer(rob, b_id, case_ref=ROB_REF)
    prov_a, prov_b = referral_client(), referral_client()
    assert RITA_REF in prov_a.get(link_a).get_data(as_text=True)
    prov_a.post(f"{link_a}/referrals/{rid}", {"status": "declined", "version": "1",
                                              "decline_reason": "no_capacity"})
    assert store.get_referral(rid)["status"] == "declined"
    # what the two parties see
    assert RITA_REF in rita.get(f"/referrals/{rid}").get_data(as_text=True)
    assert RITA_REF in rita.get("/referrals").get_data(as_text=True)
    assert RITA_REF in prov_a.get(link_a).get_data(as_text=True)
    # everyone else, on every page of the app
    areas = store.read_areas()
    values = {"code": areas["code"].iloc[0], "name": "need", "indicator_id": "llti",
              "layer": "assets", "fmt": "csv", "plan_id": 1, "user_id": 1, "asset_id": a_id,
              "sid": 1, "id": a_id, "rid": rid, "token": link_a.rsplit("/", 1)[1]}
    extra = ["/referral-evidence", "/referral-evidence?period=all",
             "/downloads/referral-evidence.csv", "/downloads/referral-evidence.geojson",
             "/api/v1/referral-evidence?period=all", "/gaps?service_type=befriending",
             f"/areas/{store.get_referral(rid)['area_code']}", f"/referrals/{rid}",
             f"/referrals/{rob_rid}", "/referrals", f"/moderate/asset/{a_id}",
             f"/moderate/asset/{a_id}/history", "/moderate/assets?stale=1", "/admin/users",
             link_b, f"/referrals/new?asset={a_id}"]
    urls = [u for u in crawl_urls(referral_app, values, extra) if u != link_a]
    checked = 0
    for who, fc in (("anonymous", referral_client()), ("planner", pat),
                    ("coordinator", referral_client("cora")),
                    ("contributor", referral_client("connie")), ("another referrer", rob),
                    ("another provider", prov_b)):
        for url, (status, _ctype, body) in fetch_all(fc, urls).items():
            assert RITA_REF not in body, f"{who} sees the case reference at {url} ({status})"
            checked += 1
        assert ROB_REF in rob.get("/referrals").get_data(as_text=True)
    assert checked > 200
    assert ROB_REF in prov_b.get(link_b).get_data(as_text=True)
    assert ROB_REF not in prov_a.get(link_a).get_data(as_text=True)
    assert ROB_REF not in rita.get("/referrals").get_data(as_text=True)
    # no URL of the referral finder's forms or the referral pages carries it
    assert not any(RITA_REF in u for u in urls)
    for text in (rita.get(f"/referrals/{rid}").get_data(as_text=True),
                 prov_a.get(link_a).get_data(as_text=True)):
        for action in re.findall(r'(?:action|href)="([^"]+)"', text):
            assert RITA_REF not in action
    # the failed email notices were logged, without the case reference
    assert "referral notices: 0 of 1 sent" in caplog.text
    assert RITA_REF not in caplog.text and ROB_REF not in caplog.text
