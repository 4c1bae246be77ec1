"""Community focus as a controlled vocabulary (issue 11, item 5): the languages, faiths,
ethnic groups, LGBT+ people, refugees and asylum seekers (and women or men only) a
micro-provider serves, each a :class:`Term` with an id, a label, a kind and synonyms.

Providers keep the ids in ``community_tags`` ('|'-separated) beside the free text
``community_focus``. A search's words mean a set of ids (:func:`expand`): the terms named,
and everything narrower, so that "BME" and "South Asian" find the providers tagged Urdu,
Gujarati, Punjabi, Bengali, Hindi...; "LGBTQ+" or "gay" find LGBT+ groups; words that are not
in the vocabulary mean nothing (an empty set, never "everything").

The vocabulary is this project's own: the languages are those most spoken in English
boroughs after English (ONS Census 2021, main language, TS024), the ethnic groups follow the
census headings people use (Census 2021 ethnic group, TS021), the faiths the census
religion question (TS030). Pure Python: no imports from the rest of AssetMap.
"""
from __future__ import annotations

import re
from typing import NamedTuple


class Term(NamedTuple):
    """One term of the vocabulary: ``synonyms`` are the other words people use for it
    (matched whole-word and case-insensitively, with or without a plural s)."""
    id: str
    label: str
    kind: str
    synonyms: tuple[str, ...] = ()


#: kind -> the heading forms group its terms under (in this order).
KINDS = {
    "language": "Languages",
    "faith": "Faith communities",
    "ethnic_group": "Ethnic groups",
    "lgbt": "LGBT+",
    "refugee": "Refugees and asylum seekers",
    "gender": "Women or men only",
}

_TERMS = [
    # languages (other than English)
    Term("urdu", "Urdu", "language"),
    Term("punjabi", "Punjabi", "language", ("panjabi", "gurmukhi", "shahmukhi")),
    Term("gujarati", "Gujarati", "language"),
    Term("bengali", "Bengali", "language", ("bangla", "sylheti")),
    Term("hindi", "Hindi", "language"),
    Term("tamil", "Tamil", "language"),
    Term("nepali", "Nepali", "language", ("nepalese",)),
    Term("pashto", "Pashto", "language", ("pushto", "pashtu")),
    Term("farsi", "Farsi (Persian)", "language", ("persian", "dari")),
    Term("kurdish", "Kurdish", "language", ("kurmanji", "sorani")),
    Term("arabic", "Arabic", "language"),
    Term("somali", "Somali", "language"),
    Term("tigrinya", "Tigrinya", "language", ("eritrean",)),
    Term("amharic", "Amharic", "language", ("ethiopian",)),
    Term("yoruba", "Yoruba", "language"),
    Term("igbo", "Igbo", "language"),
    Term("shona", "Shona", "language"),
    Term("swahili", "Swahili", "language", ("kiswahili",)),
    Term("polish", "Polish", "language", ("polski",)),
    Term("romanian", "Romanian", "language"),
    Term("lithuanian", "Lithuanian", "language"),
    Term("bulgarian", "Bulgarian", "language"),
    Term("slovak", "Slovak", "language"),
    Term("russian", "Russian", "language"),
    Term("ukrainian", "Ukrainian", "language"),
    Term("portuguese", "Portuguese", "language"),
    Term("spanish", "Spanish", "language"),
    Term("italian", "Italian", "language"),
    Term("french", "French", "language"),
    Term("turkish", "Turkish", "language"),
    Term("cantonese", "Cantonese", "language"),
    Term("mandarin", "Mandarin", "language", ("putonghua",)),
    Term("vietnamese", "Vietnamese", "language"),
    Term("welsh", "Welsh", "language", ("cymraeg",)),
    Term("bsl", "British Sign Language", "language",
         ("bsl", "sign language", "deaf", "signing")),
    # faiths
    Term("muslim", "Muslim", "faith", ("islam", "islamic", "mosque", "halal")),
    Term("sikh", "Sikh", "faith", ("sikhism", "gurdwara")),
    Term("hindu", "Hindu", "faith", ("hinduism", "mandir")),
    Term("christian", "Christian", "faith", ("church", "christianity")),
    Term("jewish", "Jewish", "faith", ("jew", "jews", "synagogue", "kosher", "judaism")),
    Term("buddhist", "Buddhist", "faith", ("buddhism",)),
    # ethnic groups (umbrella terms first; NARROWER says what each takes in)
    Term("bme", "Black and minority ethnic communities", "ethnic_group",
         ("bme", "bame", "ethnic minority", "ethnic minorities", "minority ethnic",
          "black and minority ethnic", "black asian and minority ethnic", "global majority",
          "multicultural", "multi cultural")),
    Term("south_asian", "South Asian", "ethnic_group",
         ("south asian", "asian", "desi", "pakistani", "indian", "bangladeshi",
          "sri lankan")),
    Term("east_asian", "East and South East Asian", "ethnic_group",
         ("east asian", "south east asian", "southeast asian", "esea")),
    Term("chinese", "Chinese", "ethnic_group", ("hong kong",)),
    Term("black", "Black communities", "ethnic_group", ("black british",)),
    Term("black_african", "Black African", "ethnic_group", ("african",)),
    Term("black_caribbean", "Black Caribbean", "ethnic_group",
         ("caribbean", "afro caribbean", "african caribbean", "windrush", "west indian")),
    Term("arab", "Arab", "ethnic_group", ("middle eastern",)),
    Term("eastern_european", "Eastern European", "ethnic_group",
         ("eastern european", "east european", "central and eastern european")),
    Term("gypsy_traveller", "Gypsy, Roma and Traveller", "ethnic_group",
         ("gypsy", "roma", "traveller", "grt", "irish traveller")),
    Term("irish", "Irish", "ethnic_group"),
    # LGBT+
    Term("lgbt", "LGBT+", "lgbt",
         ("lgbt", "lgbt+", "lgbtq", "lgbtq+", "lgbtqi", "lgbtqia", "lgbtqia+", "glbt",
          "gay", "lesbian", "bisexual", "bi", "queer", "pride", "rainbow")),
    Term("trans", "Trans and non-binary", "lgbt",
         ("transgender", "non binary", "nonbinary", "gender diverse")),
    # refugees and asylum seekers
    Term("refugees", "Refugees and asylum seekers", "refugee",
         ("refugee", "asylum", "asylum seeker", "sanctuary", "resettled", "displaced")),
    Term("migrants", "Migrants and new arrivals", "refugee",
         ("migrant", "immigrant", "new arrival", "newly arrived")),
    # women or men only
    Term("women", "Women only", "gender",
         ("women", "woman", "ladies", "lady", "female", "womens")),
    Term("men", "Men only", "gender", ("men", "man", "male", "mens", "men's shed")),
]
#: id -> Term, in the order forms show them.
TERMS: dict[str, Term] = {t.id: t for t in _TERMS}
#: Umbrella terms -> the narrower terms a search for them also finds (transitively).
NARROWER: dict[str, tuple[str, ...]] = {
    "south_asian": ("urdu", "punjabi", "gujarati", "bengali", "hindi", "tamil", "nepali"),
    "east_asian": ("chinese", "vietnamese"),
    "chinese": ("cantonese", "mandarin"),
    "black": ("black_african", "black_caribbean"),
    "black_african": ("somali", "tigrinya", "amharic", "yoruba", "igbo", "shona",
                      "swahili"),
    "arab": ("arabic",),
    "eastern_european": ("polish", "romanian", "lithuanian", "bulgarian", "slovak",
                         "russian", "ukrainian"),
    "bme": tuple(t.id for t in _TERMS if t.kind == "ethnic_group" and t.id != "bme")
    + tuple(t.id for t in _TERMS if t.kind == "language" and t.id not in ("welsh", "bsl")),
    "lgbt": ("trans",),
}

_WORD = re.compile(r"[a-z0-9+]+")


def _stem(token: str) -> str:
    """A word without its plural s ('refugees' -> 'refugee'), so both forms match."""
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _words(text: str) -> tuple[str, ...]:
    t = str(text or "").lower().replace("'", "").replace("\u2019", "").replace("-", " ")
    return tuple(_stem(w) for w in _WORD.findall(t))


def _phrases() -> dict[tuple[str, ...], str]:
    """Every word sequence that names a term (its id, label and synonyms) -> the term id."""
    out: dict[tuple[str, ...], str] = {}
    for t in _TERMS:
        for phrase in (t.id.replace("_", " "), t.label, *t.synonyms):
            w = _words(phrase)
            if w:
                out.setdefault(w, t.id)
    return out


_PHRASES = _phrases()
_LONGEST = max(len(p) for p in _PHRASES)


def _named(text: str) -> list[str]:
    """The term ids ``text`` names, in order of appearance, longest phrase first at each
    word ("south asian" is South Asian, not Asian; "east asian" is not South Asian)."""
    words = _words(text)
    found: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST, len(words) - i), 0, -1):
            hit = _PHRASES.get(words[i:i + n])
            if hit is not None:
                if hit not in found:
                    found.append(hit)
                i += n
                break
        else:
            i += 1
    return found


def narrower(term_id: str) -> set[str]:
    """``term_id`` and every term under it (transitively)."""
    out, todo = set(), [term_id]
    while todo:
        t = todo.pop()
        if t not in out:
            out.add(t)
            todo.extend(NARROWER.get(t, ()))
    return out


def expand(query: str) -> set[str]:
    """The term ids a user's words mean: each term named and the terms under it. Words
    outside the vocabulary give an empty set."""
    out: set[str] = set()
    for t in _named(query):
        out |= narrower(t)
    return out


def tags_from_text(text: str) -> list[str]:
    """The terms a free-text community focus names ("Punjabi and Urdu speakers" ->
    ['punjabi', 'urdu']), in vocabulary order; umbrella words give the umbrella term only."""
    named = set(_named(text))
    return [t for t in TERMS if t in named]


def label(term_id: str) -> str:
    """The term's label ('urdu' -> 'Urdu'); an unknown id as it is."""
    t = TERMS.get(term_id)
    return t.label if t else str(term_id)


def split_tags(value) -> list[str]:
    """Stored '|'-separated ids (or a list) -> the known ids, in vocabulary order."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    items = value if isinstance(value, (list, tuple, set)) else re.split(r"[|;,]", str(value))
    have = {str(i).strip() for i in items}
    return [t for t in TERMS if t in have]


def parse_tags(value) -> tuple[list[str], list[str]]:
    """An importer's cell ('urdu|Gujarati|South Asian') -> (ids in vocabulary order, the
    items that name no term). Items may be ids, labels or synonyms."""
    if value is None or (isinstance(value, float) and value != value):
        return [], []
    items = value if isinstance(value, (list, tuple)) else re.split(r"[|;,]", str(value))
    ids: set[str] = set()
    unknown = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if item in TERMS:
            ids.add(item)
            continue
        hit = _PHRASES.get(_words(item))
        if hit is None:
            unknown.append(item)
        else:
            ids.add(hit)
    return [t for t in TERMS if t in ids], unknown


def join_tags(ids) -> str:
    """Ids -> the stored '|'-separated text (vocabulary order, no repeats)."""
    return "|".join(split_tags(list(ids)))


def labels_text(value) -> str:
    """Stored ids -> 'Urdu, Gujarati' for pages and popups."""
    return ", ".join(label(t) for t in split_tags(value))


def by_kind() -> list[tuple[str, str, list[Term]]]:
    """(kind, heading, terms) for forms: the vocabulary grouped under its headings."""
    return [(k, head, [t for t in _TERMS if t.kind == k]) for k, head in KINDS.items()]


def matches(tags, text, query: str) -> bool:
    """True when a provider (``tags``: stored ids, ``text``: its free-text focus) meets a
    community-focus search: a tag among :func:`expand` of the query, or the query's words
    in the free text."""
    q = str(query or "").strip().lower()
    if not q:
        return True
    if set(split_tags(tags)) & expand(q):
        return True
    blank = text is None or (isinstance(text, float) and text != text)
    return not blank and q in str(text).lower()
