"""The community-focus vocabulary (assetmap.focus): what a user's words mean, tags read
from free text, labels; umbrella words take in the terms under them and unknown words mean
nothing."""
import pytest

from assetmap import focus


@pytest.mark.parametrize("query", ["BME", "bame", "South Asian", "south-asian", "Asian"])
def test_umbrella_words_find_urdu_and_gujarati(query):
    got = focus.expand(query)
    assert {"urdu", "gujarati", "punjabi", "bengali", "hindi"} <= got


def test_south_asian_is_not_east_asian():
    assert "urdu" not in focus.expand("East Asian")
    assert {"cantonese", "mandarin", "vietnamese"} <= focus.expand("East Asian")
    assert "cantonese" not in focus.expand("South Asian")


@pytest.mark.parametrize("query, term", [
    ("Polish", "polish"), ("LGBT", "lgbt"), ("LGBTQ+", "lgbt"), ("gay", "lgbt"),
    ("lesbians", "lgbt"), ("refugee", "refugees"), ("asylum seekers", "refugees"),
    ("Sikhs", "sikh"), ("sign language", "bsl"), ("Bangla", "bengali")])
def test_names_and_synonyms(query, term):
    assert term in focus.expand(query)


def test_polish_means_polish_only():
    assert focus.expand("Polish") == {"polish"}


@pytest.mark.parametrize("query", ["", "banana", "English", "older people", "xyzzy"])
def test_unknown_words_mean_nothing(query):
    assert focus.expand(query) == set()


def test_tags_from_text():
    assert focus.tags_from_text("Punjabi speakers") == ["punjabi"]
    assert focus.tags_from_text("Urdu and Gujarati speaking elders") == ["urdu", "gujarati"]
    assert focus.tags_from_text("South Asian women") == ["south_asian", "women"]
    assert focus.tags_from_text("BME elders") == ["bme"]      # the umbrella, not every term
    assert focus.tags_from_text("Open to everyone") == []
    assert focus.tags_from_text(None) == []


def test_labels_and_stored_tags():
    assert focus.label("urdu") == "Urdu" and focus.label("nope") == "nope"
    assert focus.join_tags(["gujarati", "urdu", "urdu", "nope"]) == "urdu|gujarati"
    assert focus.labels_text("urdu|gujarati") == "Urdu, Gujarati"
    assert focus.parse_tags("Urdu|gujarati| South Asian |Klingon") == (
        ["urdu", "gujarati", "south_asian"], ["Klingon"])


def test_every_term_is_well_formed_and_grouped():
    assert all(t.kind in focus.KINDS for t in focus.TERMS.values())
    assert all(n in focus.TERMS for ns in focus.NARROWER.values() for n in ns)
    grouped = [t.id for _, _, terms in focus.by_kind() for t in terms]
    assert sorted(grouped) == sorted(focus.TERMS)
    for t in focus.TERMS.values():          # each term's own label finds it
        assert t.id in focus.expand(t.label), t


def test_matches_tags_or_free_text():
    assert focus.matches("urdu", None, "South Asian")
    assert focus.matches(None, "Cantonese lunch club", "cantonese")
    assert focus.matches(None, "Somewhere welcoming", "welcoming")   # free text still works
    assert not focus.matches("polish", "Polish club", "Urdu")
    assert focus.matches("polish", None, "")
