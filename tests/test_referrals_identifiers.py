"""Case references and notes never carry a personal detail: each kind of detail is refused
with a message that names it, and ordinary references and notes pass."""
import pytest

from assetmap import settings
from assetmap.errors import InputError
from assetmap.referrals import identifiers

GOOD_REFS = ["ASC-104233", "MOS 2231877", "CN/2024/0042", "ref 88231", "A1234567", "LAS_555-12",
             "2024-00123", "case #4471", "SW12345", "Ashbrook 4471"]
BAD_REFS = {
    "John Smith 12": "a name",
    "Mrs Khan 4": "a title and name",
    "MR JONES 7": "a title and name",
    "AB1 2CD": "a postcode", "ref LS6 3HN": "a postcode", "sw1a1aa": "a postcode",
    "jane@example.org": "letters, digits",          # '@' is not allowed in a reference
    "07700 900123": "a phone or NHS number", "943 476 5919": "a phone or NHS number",
    "QQ 12 34 56 C": "a National Insurance number",
    "12/03/1950": "a date", "1950-03-12": "a date", "12-3-50 4": "a date",
    "3 March 1950 1": "a date", "DOB 1950 1": "a date",
    "smith": "at least one digit",
    "x" * 41 + "1": "40 characters",
    "": "give the case reference",
    "ASC<script>1": "letters, digits",
}


@pytest.mark.parametrize("ref", GOOD_REFS)
def test_ordinary_case_references_pass(ref):
    assert identifiers.check_case_ref(f"  {ref} ", ["Ashbrook"]) == ref


@pytest.mark.parametrize("ref,why", BAD_REFS.items())
def test_personal_details_in_a_case_reference_are_refused(ref, why):
    with pytest.raises(InputError) as e:
        identifiers.check_case_ref(ref)
    assert e.value.field == "case_ref"
    assert why in e.value.message, e.value.message


def test_the_message_says_what_looked_personal_and_what_to_do():
    with pytest.raises(InputError) as e:
        identifiers.check_case_ref("Jane Smith 1")
    msg = e.value.message
    assert "a name (Jane Smith)" in msg and "never carries the person's name" in msg
    assert "ASC-104233" in msg


GOOD_NOTES = [
    "", "Prefers Polish speaking carer on Tuesday mornings",
    "Needs help with shopping and meals, twice a week. Has MS and uses a wheelchair.",
    "Muslim lady, prefers a female carer; Urdu or Punjabi speaker.",
    "Lives in Mill End, near the library",                  # a place the borough knows
    "Referred after hospital discharge on Monday; daughter helps at weekends.",
    "Budget up to 18.50 an hour, direct payments.",
]
BAD_NOTES = {
    "Please call Mary Jones about this": "a name (Mary Jones)",
    "Mr. Patel needs support": "a title and name",
    "Lives at 4 High St, AB1 2CD": "a postcode",
    "Email me on jo.bloggs@council.gov.uk": "an email address",
    "Ring 0113 496 0000 before visiting": "a phone or NHS number",
    "NHS 943 476 5919": "a phone or NHS number",
    "Born 2/2/1941, lives alone": "a date",
    "D.O.B. 1941": "a date",
    "Visit from 14th of February 1938 onwards": "a date",
    "Contact J. Bloggs": "a name (J. Bloggs)",
}


@pytest.mark.parametrize("notes", GOOD_NOTES)
def test_ordinary_notes_pass(notes):
    assert identifiers.check_notes(notes, ["Mill End", "Ashbrook"]) == notes


@pytest.mark.parametrize("notes,why", BAD_NOTES.items())
def test_personal_details_in_notes_are_refused(notes, why):
    with pytest.raises(InputError) as e:
        identifiers.check_notes(notes)
    assert e.value.field == "notes"
    assert why in e.value.message, e.value.message
    assert "lower case" in e.value.message


def test_notes_are_length_limited():
    limit = settings.REFERRAL_NOTES_MAX_CHARS
    assert len(identifiers.check_notes("a" * limit)) == limit
    with pytest.raises(InputError, match=f"{limit} characters"):
        identifiers.check_notes("a" * (limit + 1))


def test_a_place_or_provider_name_is_not_a_name_only_when_given():
    assert identifiers.personal_detail("Lives in Mill End") == "a name (Mill End)"
    assert identifiers.personal_detail("Lives in Mill End", ["Mill End"]) is None
    assert identifiers.personal_detail("not a date 13/13/2020 or 31/02/1990") is None
