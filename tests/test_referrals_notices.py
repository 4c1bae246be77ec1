"""Email notices against a local SMTP server: sent when a host is set, never otherwise;
subjects never carry a case reference; a dead server is logged without the message."""
import logging
import socket

from assetmap.referrals import notices

REF = {"id": 7, "case_ref": "ASC-104233", "status": "declined", "decline_reason": "no_capacity",
       "service_type": "home_support"}


def _cfg(host, port):
    return notices.smtp_config(lambda k: {"SMTP_HOST": host, "SMTP_PORT": port,
                                          "SMTP_FROM": "assetmap@council.example"}.get(k))


def test_no_host_no_email(monkeypatch):
    monkeypatch.setattr(notices.settings, "SMTP_HOST", "")
    assert notices.smtp_config() is None
    assert notices.send([notices.answered("a@b.example", "P", REF, "home support")], None) == 0


def test_notices_reach_the_smtp_server(smtp_server):
    host, port, inbox = smtp_server
    cfg = _cfg(host, port)
    out = [notices.new_referral("care@provider.example", "Ashbrook Helpers", REF, "home support"),
           notices.answered("sam@council.example", "Ashbrook Helpers", REF, "home support"),
           notices.link_issued("care@provider.example", "Ashbrook Helpers",
                               "https://x.example/provider/abc", "Ashbrook")]
    assert notices.send(out, cfg) == 3
    got = inbox.wait(3)
    assert [m["To"] for m in got] == ["care@provider.example", "sam@council.example",
                                      "care@provider.example"]
    assert all(m["From"] == "assetmap@council.example" for m in got)
    assert "ASC-104233" in got[0].get_content() and "ASC-104233" in got[1].get_content()
    assert "no capacity" in got[1].get_content()
    assert "https://x.example/provider/abc" in got[2].get_content()
    assert all("ASC-104233" not in str(m["Subject"]) for m in got)


def test_dispatch_in_the_background(smtp_server):
    host, port, inbox = smtp_server
    notices.dispatch([notices.answered("sam@council.example", "P", REF, "befriending")],
                     _cfg(host, port), background=True)
    assert len(inbox.wait(1)) == 1


def test_a_dead_server_is_logged_without_the_message(caplog):
    with socket.socket() as s:                 # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    caplog.set_level(logging.INFO)
    cfg = _cfg("127.0.0.1", port)
    assert notices.send([notices.answered("sam@council.example", "P", REF, "x")], cfg) == 0
    assert "referral notices: 0 of 1 sent" in caplog.text
    assert "ASC-104233" not in caplog.text and "sam@council.example" not in caplog.text


def test_is_email():
    assert notices.is_email("sam@council.example")
    assert not notices.is_email("rita") and not notices.is_email("a@b") \
        and not notices.is_email(None)
