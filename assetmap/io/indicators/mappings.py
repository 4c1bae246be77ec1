"""Mapping files (YAML or CSV) saying which column or category of a file is which
indicator, and reading a file through one (:func:`read_mapped`)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ... import model
from ...errors import InputError
from ..common import blank, find_col, read_table
from .batch import IndicatorBatch, clean_code, num, rnd, year_of

_META = ("title", "unit", "polarity", "ci_method", "source", "period", "description")
_WIDE_COLUMNS = ("column", "count_column", "denominator_column", "lower_ci_column",
                 "upper_ci_column")


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
          - id: living_alone_65           # counts -> rate (people 66+ alone / people 66+)
            count_column: alone_66
            denominator_column: people_66_plus
          - id: llti                      # long: sum the rows matching `where`
            where: {category: ["Limited a lot", "Limited a little"]}
            denominator_where: all        # or {category: [...]}; all = every row of the area
            value_column: value           # default "value"
            title: Limiting long-term illness (%)   # title/unit/polarity/... optional
        population:                       # optional: population by age band (AGE_BANDS)
          pop_0_17: ["Aged 0 to 15", "Aged 16 to 17"]   # a column, or columns summed
          pop_18_64: "Aged 18 to 64"
          pop_65_74: "Aged 65 to 74"
          pop_75_84: {where: {age: ["75-79", "80-84"]}}  # long: rows summed per area
          pop_85_plus: "Aged 85+"
        population_source: ONS mid-2022 estimates   # optional: said in reports
        population_fallback: false        # true: only where an area has no population

    ``indicators`` may be left out when ``population`` is given.

    CSV: columns ``id, column, count_column, denominator_column, lower_ci_column,
    upper_ci_column, multiplier, where_column, where_values, denominator_values, title,
    unit, polarity, ci_method`` (``where_values`` and ``denominator_values`` separated by
    ``|``; ``denominator_values`` may be ``all``). A row whose id is an age band
    (``pop_0_17`` ...) declares population: its ``column`` (several separated by ``|``,
    summed) or its ``where_column``/``where_values`` rows.
    """
    p = Path(path)
    if not p.exists():
        raise InputError("no such mapping file", file=str(path))
    if p.suffix.lower() in (".yml", ".yaml"):
        data = _yaml_mapping(p, path)
    else:
        data = _csv_mapping(p, path)
    _check_ids(data, path)
    return data


def _yaml_mapping(p: Path, path) -> dict:
    import yaml
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise InputError(f"the mapping file is not valid YAML: {e}", file=str(path)) from None
    if not isinstance(data, dict):
        raise InputError("the mapping file needs an 'indicators:' list", file=str(path),
                         field="indicators")
    if data.get("indicators") is None and isinstance(data.get("population"), dict):
        data["indicators"] = []
    if not isinstance(data.get("indicators"), list):
        raise InputError("the mapping file needs an 'indicators:' list", file=str(path),
                         field="indicators")
    _check_population(data, path)
    return data


def _check_population(data: dict, path) -> None:
    """``population:`` maps age bands (model.AGE_BANDS) to columns or ``where`` specs."""
    pop = data.get("population")
    if pop is None:
        return
    if not isinstance(pop, dict):
        raise InputError("'population' must map age bands to columns", file=str(path),
                         field="population")
    for band, spec in pop.items():
        if band not in model.AGE_BANDS:
            raise InputError(f"'{band}' is not an age band (one of "
                             f"{', '.join(model.AGE_BANDS)})", file=str(path),
                             field="population")
        if not isinstance(spec, (str, list, dict)) or (isinstance(spec, dict)
                                                        and "where" not in spec):
            raise InputError(f"population band '{band}' needs a column, a list of columns "
                             "or {where: ...}", file=str(path), field=band)


def _csv_mapping(p: Path, path) -> dict:
    """A CSV mapping (one row per indicator) in the YAML mapping's shape."""
    df = read_table(p, kind="mapping file")
    if "id" not in df.columns:
        raise InputError("the mapping file needs an 'id' column", file=str(path), field="id")
    inds, pop = [], {}
    for rec in df.to_dict("records"):
        d = {k: v for k, v in rec.items() if not blank(v)}
        if d.get("id") in model.AGE_BANDS:
            pop[d["id"]] = ({"where": {d["where_column"]: d.get("where_values", "").split("|")}}
                            if "where_column" in d else str(d.get("column", "")).split("|"))
            continue
        if "where_column" in d:
            d["where"] = {d.pop("where_column"): d.pop("where_values", "").split("|")}
        if "denominator_values" in d:
            dv = d.pop("denominator_values")
            col = next(iter(d.get("where", {})), None)
            d["denominator_where"] = "all" if dv.strip().lower() == "all" else \
                {col: dv.split("|")}
        inds.append(d)
    return {"indicators": inds, **({"population": pop} if pop else {})}


def _check_ids(data: dict, path) -> None:
    for k, spec in enumerate(data["indicators"], start=1):
        if not isinstance(spec, dict) or not spec.get("id"):
            raise InputError("each indicator needs an 'id'", file=str(path), row=k, field="id")
        if not re.match(r"^[A-Za-z0-9_.-]{1,64}$", str(spec["id"])):
            raise InputError(f"indicator id '{spec['id']}' must be letters, digits, _ . -",
                             file=str(path), row=k, field="id")


# --- reading a file through a mapping ---------------------------------------------------------
def read_mapped(df, file, bad, mapping, mapping_file) -> IndicatorBatch:
    """``df`` read as ``mapping`` (from :func:`load_mapping`) says."""
    code_col = _code_column(df, mapping, file)
    year = str(mapping.get("code_year")) if mapping.get("code_year") else year_of(code_col)
    data = _filtered(df, mapping, file)
    b = IndicatorBatch("mapped", code_year=year)
    b.used |= {code_col, *(mapping.get("filter") or {})}
    codes = [clean_code(bad, v, i, code_col) for i, v in zip(data.index + 1, data[code_col])]
    if mapping.get("population"):
        _mapped_population(b, data, codes, mapping, file, bad)
    for spec in mapping["indicators"]:
        b.used |= {spec.get(k) for k in (*_WIDE_COLUMNS, "value_column") if spec.get(k)}
        b.used |= set(spec.get("where") or {}) | set(
            spec["denominator_where"] if isinstance(spec.get("denominator_where"), dict)
            else {})
        ind = str(spec["id"])
        over = {k: (str(spec[k]) if spec.get(k) is not None else None) for k in _META}
        mult = float(spec.get("multiplier", 1.0 if spec.get("column") else 100.0))
        if spec.get("where") is not None:
            _mapped_long(b, data, codes, spec, ind, over, mult, file, bad, mapping_file)
        else:
            _mapped_wide(b, data, codes, spec, ind, over, mult, file, bad, mapping_file)
    return b


def _code_column(df, mapping: dict, file) -> str:
    """The mapping's ``code_column`` (checked), else the detected area code column."""
    code_col = mapping.get("code_column")
    if code_col:
        if code_col not in df.columns:
            raise InputError("the code column named in the mapping is not in the file",
                             file=file, field=str(code_col))
        return code_col
    return find_col(df.columns, ["area_code", "code", "LSOA21CD", "LSOA11CD",
                                 "LSOA code (2011)", "LSOA code (2021)", "lsoa11cd",
                                 "MSOA21CD", "WD22CD", "Area Code", "geography code"],
                    required=True, file=file, what="area_code")


def _filtered(df, mapping: dict, file):
    """The rows the mapping's ``filter`` keeps (column == value, or one of the values)."""
    data = df
    for col, want in (mapping.get("filter") or {}).items():
        if col not in df.columns:
            raise InputError("the filter column named in the mapping is not in the file",
                             file=file, field=str(col))
        want = [str(w) for w in (want if isinstance(want, list) else [want])]
        data = data[data[col].astype(str).str.strip().isin(want)]
    return data


def _mapped_wide(b, data, codes, spec, ind, over, mult, file, bad, mapping_file):
    """One indicator from columns: a value column (x multiplier), or count / denominator."""
    cols = {k: spec.get(k) for k in _WIDE_COLUMNS}
    for k, c in cols.items():
        if c is not None and c not in data.columns:
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
        g = {k: (num(bad, rec[c], i, c) if c else None) for k, c in cols.items()}
        value = g["column"] * mult if g["column"] is not None else None
        if value is None and g["count_column"] is not None and g["denominator_column"]:
            value = g["count_column"] / g["denominator_column"] * mult
        if value is None and g["count_column"] is None:
            continue
        b.put(ind, code, value=rnd(value), count=g["count_column"],
              denominator=g["denominator_column"], lower_ci=g["lower_ci_column"],
              upper_ci=g["upper_ci_column"], row=i)


def _mapped_long(b, data, codes, spec, ind, over, mult, file, bad, mapping_file):
    """One indicator from rows: the sum of the rows matching ``where`` per area, as a rate
    of the rows matching ``denominator_where`` when given."""
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
        x = num(bad, v, int(i), vcol)
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
            b.put(ind, code, value=rnd(n * (mult if spec.get("multiplier") else 1.0)),
                  row=rows[code])
        else:
            b.rate(ind, code, n, dens.get(code), mult=mult, row=rows[code])


def _mapped_population(b, data, codes, mapping: dict, file, bad) -> None:
    """Population by age band as the mapping's ``population:`` says: per row, a column or
    the sum of several; or, for a long file, the sum of the rows ``where`` matches."""
    per_area: dict[str, dict[str, float]] = {}
    for band, spec in mapping["population"].items():
        if isinstance(spec, dict):
            col = spec.get("value_column", "value")
            mask = _where_mask(data, spec["where"], file)
            cols = [col]
        else:
            cols = [spec] if isinstance(spec, str) else [str(c) for c in spec]
            mask = np.ones(len(data), dtype=bool)
        for c in cols:
            if c not in data.columns:
                raise InputError(f"column '{c}' named for population band '{band}' is not "
                                 "in the file", file=file, field=str(c))
        b.used |= set(cols) | (set(spec["where"]) if isinstance(spec, dict) else set())
        for k, (i, code) in enumerate(zip(data.index + 1, codes)):
            if code is None or not mask[k]:
                continue
            vals = [num(bad, data[c].iloc[k], int(i), c) for c in cols]
            d = per_area.setdefault(code, {bnd: 0.0 for bnd in mapping["population"]})
            d[band] += sum(v for v in vals if v is not None)
    b.area_columns.update({c: {k: rnd(v, 3) for k, v in d.items()} for c, d in per_area.items()})
    b.population_source = str(mapping.get("population_source") or "mapping file")
    b.population_fallback = bool(mapping.get("population_fallback", False))


def _where_mask(data, where: dict, file) -> np.ndarray:
    """Rows where every ``column: value(s)`` of ``where`` holds."""
    m = np.ones(len(data), dtype=bool)
    for col, vals in where.items():
        if col not in data.columns:
            raise InputError(f"column '{col}' named in the mapping is not in the file",
                             file=file, field=str(col))
        vals = [str(v) for v in (vals if isinstance(vals, list) else [vals])]
        m &= data[col].astype(str).str.strip().isin(vals).to_numpy()
    return m
