"""Indicators keyed by area code: wide or long CSV/XLSX, recognised or mapped.

Recognised without a mapping file:

* Census 2021 long tables as Trafford Data Lab publishes them (``area_code, indicator,
  [category], measure, unit, value``): age by five-year band, household composition,
  household size, disability, general health, unpaid care, car availability;
* English Indices of Deprivation 2019: the long file (``lsoa11cd, index_domain, decile,
  rank, score, year``) and the wide MHCLG files (File_1/2/5/7 columns such as
  "Index of Multiple Deprivation (IMD) Score" or "... Rank (where 1 is most deprived)");
* Fingertips exports (``Indicator ID, Indicator Name, Area Code, Value, Lower CI 95.0
  limit, ..., Count, Denominator``);
* other long files with ``area_code, indicator, [measure], value`` (one indicator per
  distinct ``indicator`` text) and AssetMap's own long/wide layout (``area_code,
  indicator_id, value, count, denominator, lower_ci, upper_ci`` or one column per
  indicator id with optional ``<id>_count`` / ``_denominator`` / ``_lower_ci`` /
  ``_upper_ci`` columns);
* the ONS "LSOA (2011) to LSOA (2021) to Local Authority District (2022)" lookup: it is not
  an indicator file; importing it stores the lookup (store blob ``lsoa_lookup``) so later
  files keyed by 2011 codes are joined to the stored 2021 areas.

Anything else takes a mapping file (YAML or CSV), see :func:`load_mapping`.

Counts become rates: value = count / denominator x multiplier (100 for percentages).
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ... import model
from ...errors import InputError
from ..common import BadRows, ImportReport, blank, find_col, norm, read_table, to_float

LOOKUP_BLOB = "lsoa_lookup"

#: Extra indicators the recognisers produce beyond model.INDICATORS.
EXTRA_INDICATORS = {m.id: m for m in [
    model.IndicatorMeta("imd_rank", "IMD rank (1 = most deprived in England)", "rank",
                        "high_good", "none", "English Indices of Deprivation 2019 (MHCLG)"),
    model.IndicatorMeta("no_car_households", "Households with no car or van (%)", "%",
                        "high_bad", "wilson", "Census 2021 (ONS), car or van availability"),
    model.IndicatorMeta("mean_household_size", "Mean household size (people)", "people",
                        "neutral", "none", "Census 2021 (ONS), household size"),
    model.IndicatorMeta("older_family_households",
                        "Single-family households all aged 66+ (% of households)", "%",
                        "neutral", "wilson", "Census 2021 (ONS), household composition"),
    model.IndicatorMeta("lon_health_good", "Loneliness model input: share in good health",
                        "share", "neutral", "none",
                        "Census 2021 general health, all ages (no 65+ breakdown published "
                        "at LSOA level)"),
    model.IndicatorMeta("lon_health_fair", "Loneliness model input: share in fair health",
                        "share", "neutral", "none",
                        "Census 2021 general health, all ages (approximation for 65+)"),
    model.IndicatorMeta("lon_health_poor",
                        "Loneliness model input: share in bad or very bad health", "share",
                        "neutral", "none",
                        "Census 2021 general health, all ages (approximation for 65+)"),
    model.IndicatorMeta("lon_widowed", "Loneliness model input: share of 65+ widowed", "share",
                        "neutral", "none", "Census marital status (mapping file)"),
    model.IndicatorMeta("lon_aged_75_79", "Loneliness model input: share of 65+ aged 75-79",
                        "share", "neutral", "none", "Census 2021 (ONS), age by five-year band"),
    model.IndicatorMeta("lon_household_size",
                        "Loneliness model input: mean household size of people aged 65+",
                        "people", "neutral", "none",
                        "Derived from Census 2021 household composition, household size and "
                        "age (approximation)"),
]}
KNOWN = {**model.INDICATORS, **EXTRA_INDICATORS}

_VALUE_COLS = ["value", "count", "denominator", "lower_ci", "upper_ci"]


@dataclass
class IndicatorBatch:
    """What one file yields: indicator metadata, values per area (codes as in the file),
    optional area columns (population by age band) and the code vintage."""

    kind: str
    meta: dict = field(default_factory=dict)            # id -> dict of INDICATOR_COLUMNS
    values: list = field(default_factory=list)          # dicts: indicator_id, area_code, ...
    area_columns: dict = field(default_factory=dict)    # code -> {pop_0_17: ...}
    code_year: str | None = None
    notes: list = field(default_factory=list)
    lookup: pd.DataFrame | None = None

    def want(self, ind_id: str, **overrides) -> None:
        if ind_id in self.meta:
            return
        m = KNOWN.get(ind_id)
        d = {"id": ind_id, "title": ind_id, "unit": "value", "polarity": "neutral",
             "ci_method": "none", "source": None, "period": None, "description": None}
        if m is not None:
            d.update({k: getattr(m, k) for k in d if k != "id"})
        d.update({k: v for k, v in overrides.items() if v is not None and str(v).strip()})
        self.meta[ind_id] = d

    def put(self, ind_id, code, value=None, count=None, denominator=None, lower_ci=None,
            upper_ci=None, row=None) -> None:
        self.values.append({"indicator_id": ind_id, "area_code": code, "value": value,
                            "count": count, "denominator": denominator, "lower_ci": lower_ci,
                            "upper_ci": upper_ci, "_row": row})

    def rate(self, ind_id, code, count, denom, *, mult=100.0, row=None) -> None:
        value = None if not denom else count / denom * mult
        self.put(ind_id, code, value=value, count=count, denominator=denom, row=row)


def _rnd(v, nd=6):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), nd)


def _num(bad: BadRows, v, row, col):
    try:
        return to_float(v)
    except (TypeError, ValueError):
        bad.add(row, col, f"'{v}' is not a number")
        return None


def _code(bad: BadRows, v, row, col):
    s = None if blank(v) else str(v).strip().upper()
    if s is None:
        bad.add(row, col, "the area code is blank")
        return None
    if not model.AREA_CODE_RE.match(s):
        bad.add(row, col, f"'{v}' is not an ONS area code (e.g. E01006074)")
        return None
    return s


def _year_of(col: str) -> str | None:
    c = col.lower()
    if re.search(r"(11cd|2011|_11\b|\(2011\))", c):
        return "2011"
    if re.search(r"(21cd|2021|_21\b|\(2021\))", c):
        return "2021"
    return None


# --- recognisers ------------------------------------------------------------------------------
_STD_LONG = {"area_code", "area_name", "geography", "period", "indicator", "measure", "unit",
             "value"}


def _census_long(df, file, bad) -> IndicatorBatch | None:
    cols = set(df.columns)
    if not {"area_code", "indicator", "value"} <= cols:
        return None
    extra = [c for c in df.columns if c not in _STD_LONG]
    cat_col = extra[0] if len(extra) == 1 else ("indicator" if not extra else None)
    if cat_col is None:
        return None
    cats = set(df[cat_col].astype(str).str.strip().unique())
    kind = None
    if any(c.startswith("Aged ") and c.endswith(("years", "years and over", "years and under"))
           for c in cats):
        kind = "census_age"
    elif "One-person household: Aged 66 years and over" in cats:
        kind = "census_household_composition"
    elif any(re.match(r"^\d+ (people|person) in household", c) for c in cats):
        kind = "census_household_size"
    elif cat_col == "disability_category" or any(c.startswith("Disabled under the Equality Act")
                                                 for c in cats):
        kind = "census_disability"
    elif cat_col == "general_health" or "Very good health" in cats:
        kind = "census_general_health"
    elif cat_col == "unpaid_care" or "Provides no unpaid care" in cats:
        kind = "census_unpaid_care"
    elif cat_col == "availability_category" or "No cars or vans in household" in cats:
        kind = "census_car_availability"
    if kind is None:
        return None
    b = IndicatorBatch(kind, code_year="2021")
    period = str(df["period"].iloc[0])[:4] if "period" in df else None
    # area x category counts
    counts: dict[str, dict[str, float]] = {}
    first_row: dict[str, int] = {}
    for i, (code, cat, val) in enumerate(zip(df["area_code"], df[cat_col], df["value"]),
                                         start=1):
        c = _code(bad, code, i, "area_code")
        v = _num(bad, val, i, "value")
        if c is None or v is None:
            continue
        d = counts.setdefault(c, {})
        d[str(cat).strip()] = d.get(str(cat).strip(), 0.0) + v
        first_row.setdefault(c, i)
    per = {"period": period}
    for code, d in counts.items():
        total = sum(d.values())
        row = first_row[code]
        if kind == "census_age":
            band = _age_bands(d)
            b.area_columns[code] = {k: _rnd(v, 3) for k, v in band.items()}
            p65 = band["pop_65_74"] + band["pop_75_84"] + band["pop_85_plus"]
            b.want("pop_65_plus", **per)
            b.rate("pop_65_plus", code, p65, total, row=row)
            b.want("lon_aged_75_79", **per)
            b.put("lon_aged_75_79", code, value=_rnd(d.get("Aged 75 to 79 years", 0) / p65)
                  if p65 else None, count=d.get("Aged 75 to 79 years"), denominator=p65, row=row)
        elif kind == "census_household_composition":
            n1 = d.get("One-person household: Aged 66 years and over", 0.0)
            n2 = d.get("Single family household: All aged 66 years and over", 0.0)
            b.want("living_alone_65", **per)
            b.rate("living_alone_65", code, n1, total, row=row)
            b.want("older_family_households", **per)
            b.rate("older_family_households", code, n2, total, row=row)
        elif kind == "census_household_size":
            hh = {int(re.match(r"^(\d+)", k).group(1)): v for k, v in d.items()
                  if re.match(r"^\d+", k)}
            occupied = sum(v for k, v in hh.items() if k >= 1)
            people = sum(k * v for k, v in hh.items())
            b.want("mean_household_size", **per)
            b.put("mean_household_size", code, value=_rnd(people / occupied, 4) if occupied
                  else None, count=people, denominator=occupied, row=row)
        elif kind == "census_disability":
            lim = sum(v for k, v in d.items() if k.startswith("Disabled under the Equality Act"))
            b.want("llti", **per)
            b.rate("llti", code, lim, total, row=row)
        elif kind == "census_general_health":
            good = d.get("Good health", 0.0)
            fair = d.get("Fair health", 0.0)
            poor = d.get("Bad health", 0.0) + d.get("Very bad health", 0.0)
            b.want("bad_health", **per)
            b.rate("bad_health", code, poor, total, row=row)
            # The Age UK loneliness model wants the health of people aged 65+. Census 2021
            # tables at LSOA level give general health for all ages only, so the all-age
            # shares stand in for the 65+ shares here (they rank areas similarly, but
            # understate poor health among older people). A mapping file with an age-specific
            # table can supply lon_health_* directly instead.
            for ind, n in (("lon_health_good", good), ("lon_health_fair", fair),
                           ("lon_health_poor", poor)):
                b.want(ind, **per)
                b.put(ind, code, value=_rnd(n / total) if total else None, count=n,
                      denominator=total, row=row)
        elif kind == "census_unpaid_care":
            carers = sum(v for k, v in d.items() if k != "Provides no unpaid care")
            b.want("unpaid_carers", **per)
            b.rate("unpaid_carers", code, carers, total, row=row)
        elif kind == "census_car_availability":
            b.want("no_car_households", **per)
            b.rate("no_car_households", code, d.get("No cars or vans in household", 0.0), total,
                   row=row)
    return b


def _age_bands(d: dict) -> dict:
    """Five-year census bands -> AssetMap's bands. The 15-19 band straddles 0-17 and
    18-64: three fifths go to 0-17 and two fifths to 18-64 (ages spread evenly)."""
    out = {k: 0.0 for k in model.AGE_BANDS}
    for label, v in d.items():
        nums = [int(x) for x in re.findall(r"\d+", label)]
        if not nums:
            continue
        if "under" in label:
            lo, hi = 0, nums[0]
        elif "over" in label:
            lo, hi = nums[0], 120
        else:
            lo, hi = nums[0], nums[-1]
        for age in range(lo, hi + 1):
            share = v / (hi - lo + 1)
            if age <= 17:
                out["pop_0_17"] += share
            elif age <= 64:
                out["pop_18_64"] += share
            elif age <= 74:
                out["pop_65_74"] += share
            elif age <= 84:
                out["pop_75_84"] += share
            else:
                out["pop_85_plus"] += share
            if "over" in label:   # open band: all of it in its first year's band
                if age >= 85:
                    out["pop_85_plus"] += v - share
                break
    return out


_IOD_LONG = {"Index of Multiple Deprivation": [("imd_score", "score", 1.0),
                                               ("imd_decile", "decile", 1.0),
                                               ("imd_rank", "rank", 1.0)],
             "Income Deprivation Affecting Older People": [("idaopi", "score", 100.0)]}


def _iod_long(df, file, bad) -> IndicatorBatch | None:
    if not {"index_domain", "score"} <= set(df.columns):
        return None
    code_col = find_col(df.columns, ["lsoa11cd", "lsoa21cd", "lsoa_code", "area_code"])
    if code_col is None:
        return None
    b = IndicatorBatch("iod_long", code_year=_year_of(code_col) or "2011")
    data = df
    if "year" in df.columns:
        years = sorted({str(y) for y in df["year"] if not blank(y)})
        year = "2019" if "2019" in years else years[-1]
        data = df[df["year"].astype(str) == year]
        if len(years) > 1:
            b.notes.append(f"used the {year} rows (file also has {', '.join(y for y in years if y != year)})")
    else:
        year = None
    for i, rec in zip(data.index + 1, data.to_dict("records")):
        dom = str(rec["index_domain"]).strip()
        if dom not in _IOD_LONG:
            continue
        code = _code(bad, rec[code_col], i, code_col)
        if code is None:
            continue
        for ind, col, mult in _IOD_LONG[dom]:
            if col not in rec:
                continue
            v = _num(bad, rec[col], i, col)
            if v is None:
                continue
            b.want(ind, period=year)
            b.put(ind, code, value=_rnd(v * mult), row=int(i))
    return b


_IOD_WIDE = [  # (indicator, column regex, multiplier)
    ("imd_score", r"^index of multiple deprivation \(imd\) score", 1.0),
    ("imd_rank", r"^index of multiple deprivation \(imd\) rank", 1.0),
    ("imd_decile", r"^index of multiple deprivation \(imd\) decile", 1.0),
    ("idaopi", r"^income deprivation affecting older people \(idaopi\) score", 100.0),
]


def _iod_wide(df, file, bad) -> IndicatorBatch | None:
    found = {}
    for ind, pat, mult in _IOD_WIDE:
        c = next((c for c in df.columns if re.match(pat, c.strip(), re.I)), None)
        if c:
            found[ind] = (c, mult)
    if not found:
        return None
    code_col = find_col(df.columns, ["LSOA code (2011)", "LSOA code (2021)", "lsoa11cd",
                                     "lsoa21cd", "area_code"], required=True, file=file,
                        what="LSOA code (2011)")
    den_col = next((c for c in df.columns if re.match(r"^older population aged 60 and over",
                                                      c.strip(), re.I)), None)
    b = IndicatorBatch("iod_wide", code_year=_year_of(code_col) or "2011")
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = _code(bad, rec[code_col], i, code_col)
        if code is None:
            continue
        for ind, (col, mult) in found.items():
            v = _num(bad, rec[col], i, col)
            if v is None:
                continue
            b.want(ind, period="2019")
            if ind == "idaopi" and den_col:
                den = _num(bad, rec[den_col], i, den_col)
                b.put(ind, code, value=_rnd(v * mult), count=_rnd(v * den, 1) if den else None,
                      denominator=den, row=i)
            else:
                b.put(ind, code, value=_rnd(v * mult), row=i)
    return b


def _fingertips(df, file, bad) -> IndicatorBatch | None:
    if not {"Indicator ID", "Area Code", "Value"} <= set(df.columns):
        return None
    col = {c: find_col(df.columns, [c]) for c in
           ["Indicator ID", "Indicator Name", "Area Code", "Value", "Lower CI 95.0 limit",
            "Upper CI 95.0 limit", "Count", "Denominator", "Time period", "Sex", "Age",
            "Time period Sortable", "Category Type"]}
    data = df.copy()
    if col["Category Type"]:
        data = data[data[col["Category Type"]].map(blank)]
    if col["Sex"] and (data[col["Sex"]] == "Persons").any():
        data = data[data[col["Sex"]] == "Persons"]
    b = IndicatorBatch("fingertips")
    order = col["Time period Sortable"] or col["Time period"]
    if order:
        latest = data.groupby(col["Indicator ID"])[order].transform("max")
        data = data[data[order] == latest]
    for i, rec in zip(data.index + 1, data.to_dict("records")):
        code = str(rec[col["Area Code"]]).strip().upper()
        if not model.AREA_CODE_RE.match(code):
            continue   # England / region rows with other codes are skipped below anyway
        ind = "ph_" + re.sub(r"\W", "", str(rec[col["Indicator ID"]]))
        b.want(ind, title=str(rec.get(col["Indicator Name"]) or ind)[:300], ci_method="given",
               source="Fingertips (OHID)", unit="",
               period=str(rec.get(col["Time period"]) or "")[:60] or None)
        vals = {}
        for k, c in (("value", "Value"), ("lower_ci", "Lower CI 95.0 limit"),
                     ("upper_ci", "Upper CI 95.0 limit"), ("count", "Count"),
                     ("denominator", "Denominator")):
            vals[k] = _num(bad, rec[col[c]], int(i), col[c]) if col[c] else None
        b.put(ind, code, row=int(i), **vals)
    return b


def _own_long(df, file, bad) -> IndicatorBatch | None:
    code_col = find_col(df.columns, ["area_code", "code"])
    ind_col = find_col(df.columns, ["indicator_id"])
    if code_col is None or ind_col is None or "value" not in df.columns:
        return None
    b = IndicatorBatch("long", code_year=_year_of(code_col))
    meta_cols = [c for c in model.INDICATOR_COLUMNS if c != "id" and c in df.columns]
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = _code(bad, rec[code_col], i, code_col)
        ind = None if blank(rec[ind_col]) else str(rec[ind_col]).strip()
        if ind is None:
            bad.add(i, ind_col, "the indicator id is blank")
        if code is None or ind is None:
            continue
        b.want(ind, **{c: (None if blank(rec[c]) else str(rec[c])) for c in meta_cols})
        vals = {k: _num(bad, rec[k], i, k) for k in _VALUE_COLS if k in rec}
        b.put(ind, code, row=i, **vals)
    return b


def _slug(s: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", s.lower())).strip("_")[:60] or "indicator"


def _named_long(df, file, bad) -> IndicatorBatch | None:
    """area_code, indicator (text), [measure], [unit], [period], value."""
    if not {"area_code", "indicator", "value"} <= set(df.columns):
        return None
    b = IndicatorBatch("named_long", code_year=_year_of("area_code"))
    has_measure = "measure" in df.columns
    groups: dict[tuple, dict] = {}
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = _code(bad, rec["area_code"], i, "area_code")
        v = _num(bad, rec["value"], i, "value")
        if code is None or v is None:
            continue
        name = str(rec["indicator"]).strip()
        measure = str(rec.get("measure") or "").strip().lower() if has_measure else ""
        g = groups.setdefault((name, code), {"row": i})
        g[measure] = v
        g["unit"] = rec.get("unit")
        g["period"] = rec.get("period")
    for (name, code), g in groups.items():
        ind = _slug(name)
        pct = next((g[m] for m in ("percentage", "percent", "proportion", "rate", "score", "")
                    if m in g), None)
        cnt = g.get("count")
        unit = "%" if "percentage" in g or "percent" in g else str(g.get("unit") or "")[:40]
        if pct is None:
            pct = next(v for k, v in g.items() if k not in ("row", "unit", "period"))
            unit = str(g.get("unit") or "")[:40]
        b.want(ind, title=name[:300], unit=unit,
               period=None if blank(g.get("period")) else str(g["period"])[:60])
        b.put(ind, code, value=pct, count=cnt if cnt is not pct else None, row=g["row"])
    return b


def _own_wide(df, file, bad, known_ids) -> IndicatorBatch | None:
    code_col = find_col(df.columns, ["area_code", "code", "LSOA21CD", "LSOA11CD", "MSOA21CD",
                                     "lsoa_code", "ward_code", "geography code",
                                     "Area Code"])
    if code_col is None:
        return None
    ids = [c for c in df.columns if c in known_ids]
    if not ids:
        return None
    b = IndicatorBatch("wide", code_year=_year_of(code_col))
    for i, rec in enumerate(df.to_dict("records"), start=1):
        code = _code(bad, rec[code_col], i, code_col)
        if code is None:
            continue
        for ind in ids:
            vals = {"value": _num(bad, rec[ind], i, ind)}
            for k in ("count", "denominator", "lower_ci", "upper_ci"):
                c = f"{ind}_{k}"
                if c in rec:
                    vals[k] = _num(bad, rec[c], i, c)
            if all(v is None for v in vals.values()):
                continue
            b.want(ind)
            b.put(ind, code, row=i, **vals)
    return b


def _lookup_file(df, file, bad) -> IndicatorBatch | None:
    old = find_col(df.columns, ["LSOA11CD"])
    new = find_col(df.columns, ["LSOA21CD"])
    if old is None or new is None:
        return None
    lad = find_col(df.columns, ["LAD22CD", "LAD21CD", "LAD23CD"])
    lk = pd.DataFrame({"old": df[old].str.strip().str.upper(),
                       "new": df[new].str.strip().str.upper()})
    if lad:
        lk["lad"] = df[lad].str.strip().str.upper()
    for i, (o, n) in enumerate(zip(lk["old"], lk["new"]), start=1):
        if not model.AREA_CODE_RE.match(o or ""):
            bad.add(i, old, f"'{o}' is not an ONS area code")
        if not model.AREA_CODE_RE.match(n or ""):
            bad.add(i, new, f"'{n}' is not an ONS area code")
    return IndicatorBatch("lsoa_lookup", lookup=lk)


# --- mapping files ---------------------------------------------------------------------------
def load_mapping(path) -> dict:
    """A mapping file as a dict.

    YAML::

        code_column: LSOA code (2011)     # optional, detected otherwise
        code_year: 2011                   # optional: 2011 codes are joined via the lookup
        filter: {year: 2019}              # optional: keep rows where column == value(s)
        indicators:
          - id: idaopi                    # wide: one column per indicator
            column: "IDAOPI score"
            multiplier: 100               # value x multiplier
          - id: living_alone_65           # counts -> rate
            count_column: alone_65
            denominator_column: households
          - id: llti                      # long: sum the rows matching `where`
            where: {category: ["Limited a lot", "Limited a little"]}
            denominator_where: all        # or {category: [...]}; all = every row of the area
            value_column: value           # default "value"
            title: Limiting long-term illness (%)   # title/unit/polarity/... optional

    CSV: columns ``id, column, count_column, denominator_column, lower_ci_column,
    upper_ci_column, multiplier, where_column, where_values, denominator_values, title,
    unit, polarity, ci_method`` (``where_values`` and ``denominator_values`` separated by
    ``|``; ``denominator_values`` may be ``all``).
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such mapping file", file=str(path))
    if p.suffix.lower() in (".yml", ".yaml"):
        import yaml
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise InputError(f"the mapping file is not valid YAML: {e}", file=str(path)) from None
        if not isinstance(data, dict) or not isinstance(data.get("indicators"), list):
            raise InputError("the mapping file needs an 'indicators:' list", file=str(path),
                             field="indicators")
    else:
        df = read_table(p, kind="mapping file")
        if "id" not in df.columns:
            raise InputError("the mapping file needs an 'id' column", file=str(path), field="id")
        inds = []
        for rec in df.to_dict("records"):
            d = {k: v for k, v in rec.items() if not blank(v)}
            if "where_column" in d:
                d["where"] = {d.pop("where_column"): d.pop("where_values", "").split("|")}
            if "denominator_values" in d:
                dv = d.pop("denominator_values")
                col = next(iter(d.get("where", {})), None)
                d["denominator_where"] = "all" if dv.strip().lower() == "all" else \
                    {col: dv.split("|")}
            inds.append(d)
        data = {"indicators": inds}
    for k, spec in enumerate(data["indicators"], start=1):
        if not isinstance(spec, dict) or not spec.get("id"):
            raise InputError("each indicator needs an 'id'", file=str(path), row=k, field="id")
        if not re.match(r"^[A-Za-z0-9_.-]{1,64}$", str(spec["id"])):
            raise InputError(f"indicator id '{spec['id']}' must be letters, digits, _ . -",
                             file=str(path), row=k, field="id")
    return data


def _mapped(df, file, bad, mapping, mapping_file) -> IndicatorBatch:
    code_col = mapping.get("code_column")
    if code_col:
        if code_col not in df.columns:
            raise InputError("the code column named in the mapping is not in the file",
                             file=file, field=str(code_col))
    else:
        code_col = find_col(df.columns, ["area_code", "code", "LSOA21CD", "LSOA11CD",
                                         "LSOA code (2011)", "LSOA code (2021)", "lsoa11cd",
                                         "MSOA21CD", "WD22CD", "Area Code", "geography code"],
                            required=True, file=file, what="area_code")
    year = str(mapping.get("code_year")) if mapping.get("code_year") else _year_of(code_col)
    data = df
    for col, want in (mapping.get("filter") or {}).items():
        if col not in df.columns:
            raise InputError("the filter column named in the mapping is not in the file",
                             file=file, field=str(col))
        want = [str(w) for w in (want if isinstance(want, list) else [want])]
        data = data[data[col].astype(str).str.strip().isin(want)]
    b = IndicatorBatch("mapped", code_year=year)
    codes = [_code(bad, v, i, code_col) for i, v in zip(data.index + 1, data[code_col])]
    for spec in mapping["indicators"]:
        ind = str(spec["id"])
        over = {k: (str(spec[k]) if spec.get(k) is not None else None)
                for k in ("title", "unit", "polarity", "ci_method", "source", "period",
                          "description")}
        mult = float(spec.get("multiplier", 1.0 if spec.get("column") else 100.0))
        if spec.get("where") is not None:
            _mapped_long(b, data, codes, spec, ind, over, mult, file, bad, mapping_file)
            continue
        cols = {k: spec.get(k) for k in ("column", "count_column", "denominator_column",
                                         "lower_ci_column", "upper_ci_column")}
        for k, c in cols.items():
            if c is not None and c not in df.columns:
                raise InputError(f"column '{c}' named in the mapping ({k} of '{ind}') is not "
                                 "in the file", file=file, field=str(c))
        if cols["column"] is None and not (cols["count_column"] and cols["denominator_column"]):
            raise InputError(f"indicator '{ind}' needs 'column', or 'count_column' and "
                             "'denominator_column'", file=str(mapping_file), field=ind)
        b.want(ind, **over)
        for i, code, rec in zip(data.index + 1, codes, data.to_dict("records")):
            if code is None:
                continue
            i = int(i)
            g = {k: (_num(bad, rec[c], i, c) if c else None) for k, c in cols.items()}
            value = g["column"] * mult if g["column"] is not None else None
            if value is None and g["count_column"] is not None and g["denominator_column"]:
                value = g["count_column"] / g["denominator_column"] * mult
            if value is None and g["count_column"] is None:
                continue
            b.put(ind, code, value=_rnd(value), count=g["count_column"],
                  denominator=g["denominator_column"], lower_ci=g["lower_ci_column"],
                  upper_ci=g["upper_ci_column"], row=i)
    return b


def _mapped_long(b, data, codes, spec, ind, over, mult, file, bad, mapping_file):
    vcol = spec.get("value_column", "value")
    if vcol not in data.columns:
        raise InputError(f"value column '{vcol}' is not in the file", file=file, field=vcol)

    def mask(where):
        m = np.ones(len(data), dtype=bool)
        for col, vals in where.items():
            if col not in data.columns:
                raise InputError(f"column '{col}' named in the mapping is not in the file",
                                 file=file, field=str(col))
            vals = [str(v) for v in (vals if isinstance(vals, list) else [vals])]
            m &= data[col].astype(str).str.strip().isin(vals).to_numpy()
        return m

    num_m = mask(spec["where"])
    den = spec.get("denominator_where")
    den_m = None if den is None else (np.ones(len(data), bool) if den == "all" else mask(den))
    nums, dens, rows = {}, {}, {}
    for k, (i, code, v) in enumerate(zip(data.index + 1, codes, data[vcol])):
        if code is None or not (num_m[k] or (den_m is not None and den_m[k])):
            continue
        x = _num(bad, v, int(i), vcol)
        if x is None:
            continue
        rows.setdefault(code, int(i))
        if num_m[k]:
            nums[code] = nums.get(code, 0.0) + x
        if den_m is not None and den_m[k]:
            dens[code] = dens.get(code, 0.0) + x
    b.want(ind, **over)
    for code, n in nums.items():
        if den_m is None:
            b.put(ind, code, value=_rnd(n * (mult if spec.get("multiplier") else 1.0)),
                  row=rows[code])
        else:
            b.rate(ind, code, n, dens.get(code), mult=mult, row=rows[code])


# --- reading ----------------------------------------------------------------------------------
def read_indicator_file(path, *, mapping=None, skip_bad=False, report=None,
                        known_ids=()) -> IndicatorBatch:
    file = str(path)
    report = report or ImportReport("indicators", file)
    df = read_table(path, kind="indicator file")
    bad = BadRows(file, skip_bad, report)
    if mapping is not None:
        m = load_mapping(mapping) if not isinstance(mapping, dict) else mapping
        b = _mapped(df, file, bad, m, mapping)
    else:
        b = None
        for rec in (_lookup_file, _census_long, _iod_long, _iod_wide, _fingertips, _own_long):
            b = rec(df, file, bad)
            if b is not None:
                break
        if b is None:
            b = _own_wide(df, file, bad, set(KNOWN) | set(known_ids))
        if b is None:
            b = _named_long(df, file, bad)
        if b is None:
            raise InputError("not a recognised indicator file (columns: "
                             f"{', '.join(list(df.columns)[:10])}); describe it with --mapping "
                             "FILE (see assetmap.io.indicators.load_mapping)", file=file)
    bad.check()
    if b.kind != "lsoa_lookup" and not b.values:
        raise InputError("no indicator values found in the file", file=file)
    return b


# --- the 2011 -> 2021 lookup -------------------------------------------------------------------
def load_lookup(store, conn=None) -> pd.DataFrame | None:
    blob = store.get_blob(LOOKUP_BLOB, conn=conn)
    if blob is None:
        return None
    return pd.read_csv(io.BytesIO(blob[0]), dtype=str, keep_default_na=False)


def _save_lookup(store, conn, lk: pd.DataFrame) -> int:
    areas = store.read_areas(level=None, conn=conn)
    if not areas.empty:   # keep the rows that touch this store's areas (and their LA)
        codes = set(areas["code"])
        keep = lk["new"].isin(codes) | lk["old"].isin(codes)
        if "lad" in lk:
            lads = set(lk.loc[keep, "lad"]) | codes
            keep |= lk["lad"].isin(lads)
        lk = lk[keep]
    store.put_blob(LOOKUP_BLOB, lk.to_csv(index=False).encode(), conn=conn)
    return len(lk)


def _parents_for_orphans(lk: pd.DataFrame, stored: pd.DataFrame) -> dict:
    """2021 LSOAs missing from a one-row-per-2011-code lookup (the second half of a split)
    inherit from the 2011 LSOA that was split into a neighbouring new-coded 2021 LSOA of the
    same MSOA (same name stem, e.g. 'Trafford 001G' and 'Trafford 001H')."""
    lsoa = stored[stored["level"] == "lsoa"]
    covered = set(lk["new"])
    orphans = lsoa[~lsoa["code"].isin(covered)]
    if orphans.empty:
        return {}
    changed = lk[lk["old"] != lk["new"]]
    by_new = changed.groupby("new")["old"].apply(list).to_dict()
    geo = lsoa.set_index("code")
    out = {}
    for code, name, geom in zip(orphans["code"], orphans["name"], orphans.geometry):
        stem = re.sub(r"[A-Z]$", "", str(name))
        best, best_len = None, 0.0
        for new, olds in by_new.items():
            if new not in geo.index or new == code:
                continue
            if re.sub(r"[A-Z]$", "", str(geo.at[new, "name"])) != stem:
                continue
            shared = geom.intersection(geo.at[new, "geometry"]).length
            if shared > best_len or best is None:
                best, best_len = olds, shared
        if best:
            out[code] = best
    return out


def translate_codes(batch: IndicatorBatch, store, conn, report: ImportReport) -> list[dict]:
    """Values re-keyed to the stored areas: 2011 LSOA codes through the lookup when the
    file is keyed by 2011 codes (or its codes are not stored but the lookup knows them)."""
    values = batch.values
    stored = store.read_areas(level=None, conn=conn)
    stored_codes = set(stored["code"])
    file_codes = {v["area_code"] for v in values}
    direct = len(file_codes & stored_codes)
    lk = load_lookup(store, conn)
    if lk is None or batch.code_year == "2021":
        return values
    old_to_new = lk.groupby("old")["new"].apply(list).to_dict()
    for new, olds in _parents_for_orphans(lk, stored).items():
        for o in olds:
            old_to_new.setdefault(o, []).append(new)
    via = {n for c in file_codes for n in old_to_new.get(c, []) if n in stored_codes}
    if batch.code_year != "2011" and len(via) <= direct:
        return values
    # aggregate per (indicator, new code)
    groups: dict[tuple, list] = {}
    for v in values:
        for new in old_to_new.get(v["area_code"], [v["area_code"]]):
            groups.setdefault((v["indicator_id"], new), []).append(v)
    out = []
    merged, split = set(), set()
    split_olds = {o for o, ns in old_to_new.items() if len(set(ns)) > 1}
    for (ind, new), vs in groups.items():
        if len(vs) == 1:
            v = dict(vs[0], area_code=new)
            if v["area_code"] != vs[0]["area_code"] and vs[0]["area_code"] in split_olds:
                split.add(new)
                v["count"] = v["denominator"] = None   # a split area's counts are unknown
            out.append(v)
            continue
        merged.add(new)
        den = [x["denominator"] for x in vs]
        val = [x["value"] for x in vs]
        if all(d for d in den) and all(x is not None for x in val):
            value = sum(x * d for x, d in zip(val, den)) / sum(den)
        else:
            vv = [x for x in val if x is not None]
            value = sum(vv) / len(vv) if vv else None
        cnt = [x["count"] for x in vs]
        out.append({"indicator_id": ind, "area_code": new, "value": _rnd(value),
                    "count": sum(cnt) if all(c is not None for c in cnt) else None,
                    "denominator": sum(den) if all(d is not None for d in den) else None,
                    "lower_ci": None, "upper_ci": None, "_row": vs[0]["_row"]})
    report.notes.append(f"2011 area codes joined to the stored 2021 areas through the ONS "
                        f"lookup ({len(merged)} areas merged from several, {len(split)} areas "
                        "split from one given their parent's value)")
    return out


# --- derived loneliness inputs ------------------------------------------------------------------
def derive_loneliness_inputs(store, conn) -> int:
    """lon_household_size from what is stored: the mean household size of people aged 65+,
    approximated as people in one-person 66+ households (size 1) + two per all-66+ family
    household (size 2) + the rest of the 65+ population living in the area's typical
    multi-person household (at least 2; the mean household size when the household size
    table is stored, else 2.4, England's 2021 mean)."""
    vals = store.read_values(["living_alone_65", "older_family_households",
                              "mean_household_size"], conn=conn)
    if vals.empty:
        return 0
    w = vals.pivot(index="area_code", columns="indicator_id", values="count")
    if "living_alone_65" not in w or "older_family_households" not in w:
        return 0
    mvals = vals.pivot(index="area_code", columns="indicator_id", values="value")
    areas = store.read_areas(level=None, codes=list(w.index), conn=conn).set_index("code")
    rows = []
    for code in w.index:
        if code not in areas.index:
            continue
        a = areas.loc[code]
        p65 = sum(float(a[b]) for b in ("pop_65_74", "pop_75_84", "pop_85_plus")
                  if a[b] is not None and not pd.isna(a[b]))
        n1, n2 = w.at[code, "living_alone_65"], w.at[code, "older_family_households"]
        if not p65 or pd.isna(n1) or pd.isna(n2):
            continue
        m = mvals.at[code, "mean_household_size"] if "mean_household_size" in mvals else None
        m = 2.4 if m is None or pd.isna(m) else float(m)
        rest = max(p65 - n1 - 2 * n2, 0.0)
        size = (n1 * 1 + 2 * n2 * 2 + rest * max(2.0, m)) / max(p65, n1 + 2 * n2)
        rows.append({"indicator_id": "lon_household_size", "area_code": code,
                     "value": round(size, 4), "count": None, "denominator": round(p65, 3),
                     "lower_ci": None, "upper_ci": None})
    if not rows:
        return 0
    m = EXTRA_INDICATORS["lon_household_size"]
    store.write_indicators(pd.DataFrame([{k: getattr(m, k) for k in model.INDICATOR_COLUMNS}]),
                           conn=conn)
    store.write_values(pd.DataFrame(rows), conn=conn, file="derived loneliness inputs")
    return len(rows)


# --- import -----------------------------------------------------------------------------------
def import_indicators(store, path, *, mapping=None, skip_bad: bool = False) -> ImportReport:
    """Read an indicator (or lookup) file and store it in one transaction."""
    report = ImportReport("indicators", str(path))
    known = set(store.read_indicators()["id"])
    batch = read_indicator_file(path, mapping=mapping, skip_bad=skip_bad, report=report,
                                known_ids=known)
    report.notes.extend(batch.notes)
    file = str(path)
    with store.transaction() as conn:
        if batch.kind == "lsoa_lookup":
            n = _save_lookup(store, conn, batch.lookup)
            report.add("lookup rows", n)
            report.notes.append("LSOA 2011 -> 2021 lookup stored; later files keyed by 2011 "
                                "codes are joined to the stored 2021 areas")
            return report
        values = translate_codes(batch, store, conn, report)
        values = _check_area_codes(values, store, conn, file, skip_bad, report)
        if not values:
            raise InputError("none of the file's area codes are in the store (import the "
                             "boundaries, and for 2011 codes the ONS LSOA lookup, first)",
                             file=file, field="area_code")
        used = {v["indicator_id"] for v in values}
        meta = pd.DataFrame([m for k, m in batch.meta.items() if k in used])
        report.add("indicators", store.write_indicators(meta, conn=conn, file=file))
        vdf = pd.DataFrame(values).drop(columns="_row")
        vdf = vdf.drop_duplicates(["indicator_id", "area_code"], keep="first")
        report.add("values", store.write_values(vdf, conn=conn, file=file))
        if batch.area_columns:
            report.add("areas updated", _write_area_columns(store, conn, batch.area_columns,
                                                            values))
        k = derive_loneliness_inputs(store, conn) if (used & {
            "living_alone_65", "older_family_households", "mean_household_size"} or
            batch.area_columns) else 0
        if k:
            report.notes.append(f"loneliness model input lon_household_size derived for {k} "
                                "areas")
    return report


def _check_area_codes(values, store, conn, file, skip_bad, report):
    stored = set(store.read_areas(level=None, conn=conn)["code"])
    codes = {v["area_code"] for v in values}
    unknown = codes - stored
    if not unknown:
        return values
    matched = len(codes) - len(unknown)
    if matched and matched / len(codes) < 0.5:
        # a national or regional file: keep this store's areas, say how many were left out
        report.notes.append(f"{len(unknown)} area codes in the file are outside the stored "
                            f"areas and were ignored ({matched} matched)")
        return [v for v in values if v["area_code"] in stored]
    if matched == 0:
        return []
    bad = BadRows(file, skip_bad, report)
    seen = set()
    for v in values:
        c = v["area_code"]
        if c in unknown and c not in seen:
            seen.add(c)
            bad.add(v["_row"], "area_code", f"unknown area code '{c}' (not among the stored "
                                            "areas)")
    bad.check()
    return [v for v in values if v["area_code"] in stored]


def _write_area_columns(store, conn, area_columns, values) -> int:
    codes = [c for c in area_columns]
    areas = store.read_areas(level=None, codes=codes, conn=conn)
    if areas.empty:
        return 0
    for col in model.AGE_BANDS:
        areas[col] = [area_columns.get(c, {}).get(col, v) for c, v in
                      zip(areas["code"], areas[col])]
    store.write_areas(areas, conn=conn, file="population by age")
    return len(areas)
