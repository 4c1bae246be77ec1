"""Trust signals in words (assetmap.trust): quality marks and who awarded them, CQC rating
filters that never drop an unrated provider unless asked, the price against the council's
own hourly rate, and who may see the preferred list."""
import pytest

from assetmap import settings, trust


@pytest.mark.parametrize("price, rate, words", [
    (18.0, 20.0, "GBP 2.00 below the council rate"),
    (21.5, 20.0, "GBP 1.50 above the council rate"),
    (20.0, 20.0, "at the council rate"),
    (20.004, 20.0, "at the council rate"),
    (19.99, 20.0, "GBP 0.01 below the council rate"),
    ("18.5", 20, "GBP 1.50 below the council rate"),
    (None, 20.0, ""), (float("nan"), 20.0, ""), ("abc", 20.0, ""),
])
def test_price_against_the_council_rate(price, rate, words):
    assert trust.price_against_rate(price, rate) == words


def test_no_council_rate_no_comparison(monkeypatch):
    monkeypatch.setattr(settings, "COUNCIL_HOURLY_RATE", None)
    assert trust.price_against_rate(18.0) == "" and trust.council_rate() is None
    monkeypatch.setattr(settings, "COUNCIL_HOURLY_RATE", 19.0)
    assert trust.price_against_rate(18.0) == "GBP 1.00 below the council rate"
    assert trust.council_rate(0) is None and trust.council_rate("x") is None


def test_council_rate_from_the_environment(monkeypatch):
    import importlib
    monkeypatch.setenv("ASSETMAP_COUNCIL_HOURLY_RATE", "£21.40")
    monkeypatch.setenv("ASSETMAP_PUBLISH_PREFERRED_LIST", "1")
    try:
        s = importlib.reload(settings)
        assert s.COUNCIL_HOURLY_RATE == 21.40 and s.PUBLISH_PREFERRED_LIST is True
    finally:
        monkeypatch.delenv("ASSETMAP_COUNCIL_HOURLY_RATE")
        monkeypatch.delenv("ASSETMAP_PUBLISH_PREFERRED_LIST")
        s = importlib.reload(settings)
    assert s.COUNCIL_HOURLY_RATE is None and s.PUBLISH_PREFERRED_LIST is False


def test_quality_words():
    assert trust.quality_text("gold", "council") == "Gold quality mark, verified by the council"
    assert trust.quality_text("gold", "self") == "Gold (self-declared)"
    assert trust.quality_text("silver", None) == "Silver (self-declared)"
    assert trust.quality_text("none", "council") == "No quality mark"
    assert trust.is_verified("bronze", "council") and not trust.is_verified("bronze", "self")
    assert not trust.is_verified("none", "council")


def test_cqc_filters_keep_unrated_unless_asked():
    ratings = [None, "Outstanding", "Good", "Requires improvement", "Inadequate", float("nan")]
    assert all(trust.cqc_meets(r, "") for r in ratings)               # no filter: everyone
    assert [trust.cqc_meets(r, "good") for r in ratings] == [
        False, True, True, False, False, False]
    assert [trust.cqc_meets(r, "outstanding") for r in ratings] == [
        False, True, False, False, False, False]
    assert trust.cqc_text(None) == "" and trust.cqc_text("Good") == "CQC: Good"


def test_preferred_list_visibility(monkeypatch):
    monkeypatch.setattr(settings, "PUBLISH_PREFERRED_LIST", False)
    assert trust.preferred_visible(True) and not trust.preferred_visible(False)
    monkeypatch.setattr(settings, "PUBLISH_PREFERRED_LIST", True)
    assert trust.preferred_visible(False)
