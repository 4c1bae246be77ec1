"""Which AssetMap category an imported row is: free-text category words, the file name,
a category mapping file (``--category-map``), and warm spaces by their venue type.

A category mapping file says which source value is which category. YAML::

    column: CLASSIFICA            # optional: the column holding the source values
    default: other                # optional: for values the map does not list
    map:
      Place Of Worship: faith_venue
      Hospital: hospital
      Post Office: post_office

(a YAML file that is only ``source value: category`` lines works too). CSV: a header and
two columns, the source value and the category (``value,category``; a column named
``category`` is the category, the other the value). Values match case- and
punctuation-insensitively; a value the map does not list goes through the usual category
words (``dentist``, ``GP``, ``food bank``...), then ``default``.

Warm spaces (``warm_space``: from a column, ``--category`` or a file named
``*warm_space*``) are venues that open their doors in winter. Where the venue's name (or the
first part of its address) says what it is, the row takes that category instead (Ketton
Library is a library; a parish church a faith venue; a village hall a community centre) and
its description starts "Warm space"; the others stay ``warm_space``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import model
from ..errors import InputError
from .common import blank, norm, read_table
from .limits import check_file_size

#: File-name words -> category (used only when there is no category column or option).
FILENAME_CATEGORIES = [
    (r"librar", "library"), (r"general_practice|gp_practice|\bgps?\b|surger|doctor", "gp_practice"),
    (r"pharmac|chemist", "pharmacy"), (r"dentist|dental", "dentist"),
    (r"food_?banks?|food bank|pantr|food_support|food support", "food_bank"),
    (r"hospital", "hospital"), (r"post_?offices?|post office", "post_office"),
    (r"bus_?stops?|bus stop|tram|metrolink|train_st|rail_?st|railway|transport_stop|"
     r"_stops\b|\bstops\b", "transport_stop"),
    (r"warm_space|warm space|warm_hub|warm_welcome", "warm_space"),
    (r"worship|church|mosque|faith|temple", "faith_venue"),
    (r"community_cent|community cent|village_hall", "community_centre"),
    (r"park|green_?space", "park"), (r"leisure|sport", "sport_leisure"),
    (r"cafe|\bpubs?\b|_pubs?\b", "cafe_pub"), (r"neighbourhood|hub", "neighbourhood_hub"),
    (r"micro", "micro_provider"),
]
#: Free-text category words -> category.
CATEGORY_SYNONYMS = {
    "gp": "gp_practice", "gps": "gp_practice", "doctors": "gp_practice",
    "generalpractice": "gp_practice", "surgery": "gp_practice", "chemist": "pharmacy",
    "pharmacies": "pharmacy", "libraries": "library", "placeofworship": "faith_venue",
    "church": "faith_venue", "mosque": "faith_venue", "faith": "faith_venue",
    "communitycentre": "community_centre", "communitycenter": "community_centre",
    "villagehall": "community_centre", "cafe": "cafe_pub", "pub": "cafe_pub",
    "cafeorpub": "cafe_pub", "park": "park", "greenspace": "park", "leisure": "sport_leisure",
    "sport": "sport_leisure", "leisurecentre": "sport_leisure", "sportscentre": "sport_leisure",
    "hub": "neighbourhood_hub", "neighbourhoodnetworkhub": "neighbourhood_hub",
    "microprovider": "micro_provider", "microenterprise": "micro_provider",
    "dentists": "dentist", "dental": "dentist", "dentalpractice": "dentist",
    "dentalsurgery": "dentist", "nhsdentist": "dentist",
    "foodbank": "food_bank", "foodbanks": "food_bank", "foodsupport": "food_bank",
    "foodpantry": "food_bank", "pantry": "food_bank", "communitypantry": "food_bank",
    "communityfridge": "food_bank", "socialsupermarket": "food_bank",
    "hospitals": "hospital", "nhshospital": "hospital",
    "postoffice": "post_office", "postoffices": "post_office",
    "busstop": "transport_stop", "busstops": "transport_stop", "tramstop": "transport_stop",
    "metrolinkstop": "transport_stop", "railstation": "transport_stop",
    "trainstation": "transport_stop", "railwaystation": "transport_stop",
    "station": "transport_stop", "transportstop": "transport_stop", "stop": "transport_stop",
    "warmspace": "warm_space", "warmspaces": "warm_space", "warmhub": "warm_space",
    "warmbank": "warm_space", "warmwelcome": "warm_space",
    "supermarket": "food_shop", "grocer": "food_shop", "grocery": "food_shop",
    "convenience": "food_shop", "conveniencestore": "food_shop", "foodshop": "food_shop",
}
#: A warm space's venue type from words in its name (then the first part of its address):
#: first match wins.
VENUE_WORDS = [
    (r"\blibrar(?:y|ies)\b", "library"),
    (r"\b(?:church|chapel|cathedral|mosque|masjid|gurdwara|synagogue|temple|urc|methodist|"
     r"baptist|quaker|kingdom hall|minster|abbey|priory)\b", "faith_venue"),
    (r"\b(?:community (?:centre|center|hall|hub|house|room)|village hall|public hall|"
     r"parish hall|memorial hall|town hall|youth centre|neighbourhood centre|"
     r"community association)\b", "community_centre"),
    (r"\b(?:caf[eé]|coffee shop|tea ?rooms?|pub|inn|tavern)\b", "cafe_pub"),
    (r"\b(?:leisure centre|sports centre|sports club)\b", "sport_leisure"),
]


def _keyed(vocab: dict) -> dict:
    out = {}
    for k, label in vocab.items():
        out[norm(k)] = k
        out[norm(label)] = k
    return out


_CATS = {**_keyed(model.ASSET_CATEGORIES), **CATEGORY_SYNONYMS}


def category_of(value) -> str | None:
    """The category a free-text value names (a key, a label or a usual word), or None."""
    return _CATS.get(norm(value)) if not blank(value) else None


def category_from_filename(path) -> str | None:
    stem = Path(str(path)).name.lower()
    for pat, cat in FILENAME_CATEGORIES:
        if re.search(pat, stem):
            return cat
    return None


def venue_category(name, address=None) -> str | None:
    """What a warm space's venue is, from its name or the first part of its address."""
    first = str(address).split(",")[0] if not blank(address) else ""
    for text in (str(name or ""), first):
        low = text.lower()
        for pat, cat in VENUE_WORDS:
            if re.search(pat, low):
                return cat
    return None


@dataclass
class CategoryMap:
    """A category mapping file, loaded (:func:`load_category_map`)."""

    file: str
    values: dict = field(default_factory=dict)   # norm(source value) -> category
    column: str | None = None
    default: str | None = None

    def of(self, value) -> str | None:
        """The category of a source value: the map, then the usual words, then default."""
        if not blank(value):
            hit = self.values.get(norm(value)) or category_of(value)
            if hit:
                return hit
        return self.default


def load_category_map(path) -> CategoryMap:
    """Read a YAML or CSV category mapping file; InputError naming the file, row and
    field for anything it cannot use."""
    p = Path(path)
    if not p.exists():
        raise InputError("no such category map file", file=str(path))
    check_file_size(p, file=str(path))
    if p.suffix.lower() in (".yml", ".yaml"):
        cm, pairs = _yaml_map(p, str(path))
    else:
        cm, pairs = _csv_map(p, str(path))
    for row, (src, target) in enumerate(pairs, start=1):
        cat = category_of(target)
        if cat is None:
            raise InputError(f"'{target}' is not a category (one of "
                             f"{', '.join(model.ASSET_CATEGORIES)})", file=str(path), row=row,
                             field=f"category of '{src}'")
        cm.values[norm(src)] = cat
    if cm.default is not None:
        d = category_of(cm.default)
        if d is None:
            raise InputError(f"default '{cm.default}' is not a category", file=str(path),
                             field="default")
        cm.default = d
    if not cm.values and cm.default is None:
        raise InputError("the category map maps nothing", file=str(path), field="map")
    return cm


def _yaml_map(p: Path, file: str) -> tuple[CategoryMap, list]:
    import yaml
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputError(f"the category map is not valid YAML: {e}", file=file) from None
    if not isinstance(data, dict):
        raise InputError("the category map needs 'source value: category' lines (or a "
                         "'map:' section)", file=file, field="map")
    body, reserved = (data["map"], set()) if "map" in data else (data, {"column", "default"})
    if not isinstance(body, dict):
        raise InputError("'map:' must hold 'source value: category' lines", file=file,
                         field="map")
    pairs = [(str(k), str(v)) for k, v in body.items() if k not in reserved]
    column = data.get("column")
    default = data.get("default")
    return CategoryMap(file, column=None if column is None else str(column),
                       default=None if default is None else str(default)), pairs


def _csv_map(p: Path, file: str) -> tuple[CategoryMap, list]:
    df = read_table(p, kind="category map")
    cols = list(df.columns)
    if len(cols) < 2:
        raise InputError("the category map needs two columns: the source value and its "
                         "category", file=file, field="category")
    target = next((c for c in cols if norm(c) in ("category", "assetmapcategory", "to")),
                  cols[1])
    source = next(c for c in cols if c != target)
    pairs = []
    for row, (s, t) in enumerate(zip(df[source], df[target]), start=1):
        if blank(s) and blank(t):
            continue
        if blank(t):
            raise InputError(f"no category for '{s}'", file=file, row=row, field=target)
        pairs.append((str(s), str(t)))
    return CategoryMap(file), pairs
