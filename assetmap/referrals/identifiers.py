"""Keep personal details out of referrals: a referral names the person only by a case
reference that the referrer's own system owns, and its notes say what support is needed,
never who or where.

:func:`personal_detail` finds what looks like a UK postcode, an email address, a phone or
NHS number (10 or more digits), a National Insurance number, a date (any full date could be
a date of birth, and "DOB"/"born" flag one), a title with a name ("Mrs Khan") or a name
(two or more capitalised words in a row: "Jane Smith"). Capitalised words that are
vocabulary rather than names (days, months, languages, faiths, common sentence openings,
the borough's own place names, the provider's name) do not count, so "Prefers Polish
speaking carer on Tuesday mornings" passes. The checks are deliberately cautious: a
refusal says what looked personal, and how to write it instead.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from .. import settings
from ..errors import InputError

_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
#: ten or more digits, maybe split by spaces, dots, dashes or brackets (phone, NHS number)
_LONG_NUMBER = re.compile(r"(?:\+\s?)?\d(?:[\s().-]{0,2}\d){9,}")
_NI_NUMBER = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DMY = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})\b")
_YMD = re.compile(r"\b(\d{4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\b")
_WORD_DATE = re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{2,4}}\b"
                        rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.I)
_DOB_WORD = re.compile(r"\b(?:d\.?o\.?b|date of birth|born)\b", re.I)
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Lady|Lord)\.?\s+[A-Z][A-Za-z'’-]*"
                    r"|\b(?:MR|MRS|MS|MISS|MX|DR)\.?\s+[A-Z]{2,}\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: words, and initials with their full stop ("J.")
_TOKEN = re.compile(r"[A-Z]\.|[A-Za-z][A-Za-z'’-]*")
#: "Jane", "O'Neil", "McKenzie": starts upper case and has lower case letters
_CAPITALISED = re.compile(r"^[A-Z][A-Za-z'’-]*[a-z][A-Za-z'’-]*$")

#: Capitalised words that are vocabulary, not names (lower case here).
COMMON_WORDS = frozenset("""
a an the and or but if of for to in on at by with from into after before about as so not no
yes is are was were be been has have had do does did will would can could may might must
should shall he she they them their his her it its we our you your i me my this that these
those there here who what when where why how which also only please needs need wants want
likes like prefers prefer lives live living has uses use speaks speak requires require asks
ask would wants referred refer referral contact call ring phone email see client person
service support care carer carers
team council social services adult adults children health nhs gp hospital discharge direct
payment payments personal budget hours hour weekly daily week day days morning mornings
afternoon afternoons evening evenings night nights weekend weekends early late urgent routine
home visit visits visiting shopping cleaning meals meal medication bathing dressing company
befriending transport day activities activity respite sitting dementia autism learning
disability disabilities physical mental older people family wife husband son daughter
mother father partner friend neighbour group club centre library church mosque temple
gurdwara synagogue new first second third one two three four five monday tuesday wednesday
thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun january
february march april june july august september october november december english welsh
scottish irish british polish urdu punjabi gujarati bengali hindi arabic somali turkish
kurdish farsi persian pashto tamil cantonese mandarin chinese portuguese spanish romanian
italian french german russian ukrainian lithuanian latvian greek albanian tigrinya amharic
yoruba igbo swahili bsl sign language languages speaking speaker speakers interpreter asian
south african caribbean black white mixed ethnic minority bme lgbt lgbtq lgbtqia gay lesbian
trans muslim christian catholic jewish hindu sikh buddhist faith halal kosher vegetarian
vegan female male woman women man men lady ladies gentleman only refugee refugees asylum
""".split())


def _is_date(day: int, month: int, year: int) -> bool:
    if year < 100:
        year += 1900 if year > dt.date.today().year % 100 else 2000
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= dt.date.today().year + 1


def _dates(text: str) -> str | None:
    for m in _DMY.finditer(text):
        d, mo, y = (int(g) for g in m.groups())
        if _is_date(d, mo, y) or _is_date(mo, d, y):      # UK or US order
            return m.group(0)
    for m in _YMD.finditer(text):
        y, mo, d = (int(g) for g in m.groups())
        if _is_date(d, mo, y):
            return m.group(0)
    found = _WORD_DATE.search(text) or _DOB_WORD.search(text)
    return found.group(0) if found else None


def _name_like(text: str, allowed: frozenset[str]) -> str | None:
    """Two or more capitalised words in a row with only spaces between them ("Jane Smith"),
    an initial ("J. Smith") counting as one, none of them vocabulary: the first such run."""
    runs: list[list[str]] = [[]]
    end = -1
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        named = (len(word) == 2 and word.endswith(".")) or (
            bool(_CAPITALISED.match(word)) and word.lower() not in allowed)
        if not (named and end >= 0 and text[end:m.start()].strip() == ""):
            runs.append([])
        if named:
            runs[-1].append(word)
        end = m.end()
    found = next((r for r in runs if len(r) >= 2), None)
    return None if found is None else " ".join(found)


def personal_detail(text: str, allowed_words: Iterable[str] = ()) -> str | None:
    """What in ``text`` looks like a personal detail, as a short phrase naming the part
    ("a postcode (AB1 2CD)"), or None. ``allowed_words``: capitalised words that are not
    names here (place names, the provider's name)."""
    text = text or ""
    checks = ((_EMAIL, "an email address"), (_POSTCODE, "a postcode"),
              (_NI_NUMBER, "a National Insurance number"),
              (_LONG_NUMBER, "a phone or NHS number (10 or more digits)"),
              (_TITLE, "a title and name"))
    for pattern, what in checks:
        m = pattern.search(text)
        if m:
            return f"{what} ({m.group(0).strip()})"
    date = _dates(text)
    if date:
        return f"a date that could be a date of birth ({date})"
    allowed = COMMON_WORDS | {w.lower() for phrase in allowed_words
                              for w in _WORD.findall(str(phrase or ""))}
    name = _name_like(text, frozenset(allowed))
    if name:
        return f"a name ({name})"
    return None


def _refuse(field: str, label: str, found: str, advice: str) -> InputError:
    verb = "seem" if label.endswith("s") else "seems"
    return InputError(f"the {label} {verb} to hold {found}. A referral never carries the "
                      f"person's name, address, date of birth or contact details: {advice}",
                      field=field)


def check_case_ref(value, allowed_words: Iterable[str] = ()) -> str:
    """The case reference as stored (trimmed), or InputError saying what is wrong: it is
    required, short (REFERRAL_CASE_REF_MAX_CHARS), holds at least one digit (your system's
    reference number), only letters, digits, spaces and - / _ . # :, and no personal detail."""
    ref = " ".join(str(value or "").split())
    limit = settings.REFERRAL_CASE_REF_MAX_CHARS
    if not ref:
        raise InputError("give the case reference from your own system (for example "
                         "ASC-104233)", field="case_ref")
    if len(ref) > limit:
        raise InputError(f"keep the case reference to {limit} characters", field="case_ref")
    if not re.fullmatch(r"[A-Za-z0-9 \-/_.#:]+", ref):
        raise InputError("a case reference uses only letters, digits, spaces and - / _ . # :",
                         field="case_ref")
    found = personal_detail(ref, allowed_words)
    if found:
        raise _refuse("case_ref", "case reference", found,
                      "use the reference number your own case system gives (for example "
                      "ASC-104233)")
    if not re.search(r"\d", ref):
        raise InputError("a case reference holds your system's reference number (at least "
                         "one digit), so it cannot be a name", field="case_ref")
    return ref


def check_notes(value, allowed_words: Iterable[str] = ()) -> str:
    """Notes as stored (trimmed, at most REFERRAL_NOTES_MAX_CHARS), or InputError when they
    hold a personal detail."""
    notes = str(value or "").replace("\r\n", "\n").strip()
    notes = "".join(ch for ch in notes if ch == "\n" or ch.isprintable())
    limit = settings.REFERRAL_NOTES_MAX_CHARS
    if len(notes) > limit:
        raise InputError(f"keep the notes to {limit} characters (they have {len(notes)})",
                         field="notes")
    found = personal_detail(notes, allowed_words)
    if found:
        raise _refuse("notes", "notes", found,
                      "say what support is needed and when (for example \"help with "
                      "shopping, Tuesday mornings, Urdu speaker\"); if a word is not a name, "
                      "write it in lower case")
    return notes
