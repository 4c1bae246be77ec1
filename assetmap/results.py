"""The result contract: every frame an analysis run produces, declared once.

Each frame is a list of columns (name, dtype, unit, meaning). ``pipeline.run`` conforms its
output to these declarations before storing a run, ``pipeline.load`` conforms what it
reads back, and every consumer (pages, maps, outreach, API, downloads, exports) reads the
columns as they are named here: no alias tables, no fallbacks that recompute analysis.
:func:`dictionary` is the data dictionary downloads and the method notes print.

A column name with ``<category>`` or ``<T>`` in it stands for a family: one column per
asset category present (``min_library``) or per access threshold in minutes
(``within_15``). Dtypes: ``str`` (object, '' where not applicable), ``float`` (NaN where not
known), ``int``, ``bool``, ``geometry``.
"""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd


class ContractError(ValueError):
    """A result frame does not have the columns or dtypes the contract declares."""


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    unit: str
    meaning: str

    @property
    def pattern(self) -> re.Pattern | None:
        """For a family name (``min_<category>``), the regular expression of its members."""
        if "<" not in self.name:
            return None
        rx = re.escape(self.name).replace(re.escape("<category>"), r"[a-z_]+")
        return re.compile("^" + rx.replace(re.escape("<T>"), r"[0-9_]+") + "$")


def _cols(*rows: tuple[str, str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


_AREA_KEY = ("area_code", "str", "", "ONS code of the area (LSOA)")

#: name -> columns, in order.
FRAMES: dict[str, tuple[Column, ...]] = {
    "areas": _cols(
        ("code", "str", "", "ONS code of the area (LSOA)"),
        ("name", "str", "", "area name"),
        ("parent_code", "str", "", "code of the ward or locality the area lies in"),
        ("parent_name", "str", "", "name of that ward or locality"),
        ("population", "float", "people", "residents, all ages (sum of the age bands)"),
        ("pop_65_plus", "float", "people", "residents aged 65 and over"),
        ("need_index", "float", "z-score", "weighted mean of the polarity-aware standardised "
         "indicators: 0 is the borough average, positive is more need"),
        ("need_rank", "float", "rank", "1 = the area with most need; empty without indicators"),
        ("need_decile", "float", "decile", "10 = the tenth of areas with most need; empty "
         "without indicators"),
        ("need_indicators", "int", "count", "indicators with a value that the index used"),
        ("loneliness_logodds", "float", "log-odds", "Age UK model of loneliness, people 65+"),
        ("loneliness_risk", "float", "probability", "modelled probability that a person aged "
         "65+ is often lonely (ranks areas; not a prevalence)"),
        ("min_<category>", "float", "minutes", "walking minutes to the nearest asset of the "
         "category (population-weighted over the area's origin points; a walk not reached "
         "within the search cap counts at the cap: see the access frame's beyond_cap)"),
        ("social_min", "float", "minutes", "walking minutes to the nearest social asset"),
        ("essential_min", "float", "minutes", "walking minutes to essential services: the "
         "mean (or, with essential_combine 'max', the farthest) of the minutes to the nearest "
         "GP practice, pharmacy and food shop, over the categories present; empty without any"),
        ("off_network", "bool", "", "the street network does not cover most of the area's "
         "people: its walking times are straight-line estimates (distance x the detour "
         "factor)"),
        ("n<T>_social", "float", "count", "social assets within T minutes' walk"),
        ("supply_all", "float", "units per person in need", "supply of all providers "
         "(E2SFCA for venues, the area served for providers that come to people) per "
         "need-weighted person, in the unit of supply_all_unit"),
        ("supply_all_per_100", "float", "units per 100 people in need", "supply_all x 100: "
         "hours a week (or places) per 100 people in need"),
        ("supply_all_unit", "str", "", "the unit of supply_all: hours (hours a week) or "
         "places"),
        ("need_class", "int", "class", "need class of the all-provider gap map (1 = low; 0 = "
         "no need value)"),
        ("supply_class", "int", "class", "supply class of the all-provider gap map (0 = no "
         "supply; 1 = low among the areas with some)"),
        ("bivariate_class", "str", "", "need and supply classes as 'N3-S1'"),
        ("is_gap", "bool", "", "top need class and no or low supply (all providers)"),
        ("gap_rank", "float", "rank", "1 = the widest gap; empty where not a gap"),
        ("missing_within_reach", "str", "", "'|'-joined categories beyond the reach cut-off"),
        ("isolation", "float", "z-score", "isolation score: loneliness risk, walking minutes "
         "to social assets and to essential services, standardised and weighted "
         "(settings.ISOLATION_*_WEIGHT)"),
        ("gi_z", "float", "z-score", "Getis-Ord Gi* z-score of the isolation score (binary queen "
         "weights with the area itself)"),
        ("gi_p", "float", "p-value", "Gi* p-value (two-sided normal, or permutations: see the "
         "run summary's hotspot_method); empty where not tested"),
        ("gi_q", "float", "q-value", "Gi* p-value after the false discovery rate correction"),
        ("gi_class", "str", "", "hot, cold or not significant"),
        ("lisa_i", "float", "", "local Moran's I of the isolation score"),
        ("lisa_z", "float", "z-score", "local Moran's I z-score under conditional "
         "randomisation"),
        ("lisa_p", "float", "p-value", "local Moran's I p-value; empty where not tested"),
        ("lisa_q", "float", "q-value", "local Moran's I after the FDR correction"),
        ("lisa_quadrant", "str", "", "HH, LL, HL or LH whatever the significance"),
        ("lisa_class", "str", "", "HH, LL, HL, LH or not significant"),
        ("island", "bool", "", "the area has no neighbours (no hotspot statistic)"),
        ("geometry", "geometry", "EPSG:4326", "area boundary"),
    ),
    "indicators": _cols(
        ("indicator_id", "str", "", "indicator id"),
        _AREA_KEY,
        ("value", "float", "indicator unit", "the area's value"),
        ("lower_ci", "float", "indicator unit", "lower 95% confidence limit"),
        ("upper_ci", "float", "indicator unit", "upper 95% confidence limit"),
        ("count", "float", "people", "numerator, where given"),
        ("denominator", "float", "people", "denominator, where given"),
        ("benchmark", "float", "indicator unit", "the value compared with"),
        ("benchmark_name", "str", "", "borough or England"),
        ("comparison", "str", "", "better, similar, worse (higher, lower for neutral "
         "indicators) or not compared"),
    ),
    "benchmarks": _cols(
        ("indicator_id", "str", "", "indicator id"),
        ("borough", "float", "indicator unit", "the borough's value (pooled counts where given)"),
        ("borough_lower", "float", "indicator unit", "lower 95% limit of the borough value"),
        ("borough_upper", "float", "indicator unit", "upper 95% limit of the borough value"),
        ("england", "float", "indicator unit", "England's value, where given"),
    ),
    "access": _cols(
        _AREA_KEY,
        ("category", "str", "", "asset category, 'social' for all social assets, or "
         "'essential' for essential services (GP practice, pharmacy, food shop combined)"),
        ("minutes", "float", "minutes", "walking minutes to the nearest (at most the search "
         "cap, access_max_minutes)"),
        ("beyond_cap", "bool", "", "the value counts a walk not reached within the search "
         "cap: the true time is more than 'minutes'"),
        ("off_network", "bool", "", "the area's walks are straight-line estimates: the "
         "street network does not cover it"),
        ("within_<T>", "float", "count", "assets within T minutes' walk"),
    ),
    "e2sfca": _cols(
        _AREA_KEY,
        ("group_kind", "str", "", "all, service_type, client_group or service_client"),
        ("group", "str", "", "the provider group"),
        ("service_type", "str", "", "the group's service type ('' for any)"),
        ("client_group", "str", "", "the group's client group ('' for any)"),
        ("unit", "str", "", "the unit the group's capacity counts in: hours (hours a week) "
         "or places; the two are never summed"),
        ("demand", "float", "people", "need-weighted people in the client group (population "
         "x the need factor)"),
        ("population", "float", "people", "people in the client group (not need-weighted; "
         "analysis.demand)"),
        ("population_label", "str", "", "who population counts, in words ('adults with a "
         "learning disability')"),
        ("supply_total", "float", "unit", "the group's capacity in the borough, in its unit"),
        ("supply", "float", "units per person in need", "E2SFCA accessibility (venues: "
         "walking time; providers that come to people: the area served)"),
        ("supply_per_100", "float", "units per 100 people in need", "supply x 100: hours a "
         "week (or places) per 100 people in need"),
    ),
    "gaps": _cols(
        _AREA_KEY,
        ("group_kind", "str", "", "all, service_type, client_group or service_client"),
        ("group", "str", "", "the provider group"),
        ("service_type", "str", "", "service type ('' for any)"),
        ("client_group", "str", "", "client group ('' for any)"),
        ("unit", "str", "", "hours (hours a week) or places"),
        ("need", "float", "z-score", "the need index"),
        ("population", "float", "people", "people in the client group (not need-weighted)"),
        ("population_label", "str", "", "who population counts, in words"),
        ("supply", "float", "units per person in need", "supply of the group in its unit"),
        ("supply_per_100", "float", "units per 100 people in need", "supply x 100: hours a "
         "week (or places) per 100 people in need"),
        ("shortfall", "float", "unit", "how far below the borough's median supply the area "
         "is, in hours a week (or places) for its need-weighted people in the group; 0 at or "
         "above the median"),
        ("need_class", "int", "class", "1 = low need (0 = no need value)"),
        ("supply_class", "int", "class", "0 = no supply; 1 = low among the areas with some"),
        ("bivariate_class", "str", "", "'N3-S1' ('N3-S0': high need, no supply)"),
        ("is_gap", "bool", "", "top need class and no or low supply"),
        ("gap_score", "float", "", "need percentile minus supply percentile"),
        ("gap_rank", "float", "rank", "1 = the widest gap of the group; empty where not a gap"),
    ),
    "hotspots": _cols(
        _AREA_KEY,
        ("isolation", "float", "z-score", "isolation score"),
        ("gi_z", "float", "z-score", "Getis-Ord Gi* z-score"),
        ("gi_p", "float", "p-value", "Gi* p-value; empty where not tested"),
        ("gi_q", "float", "q-value", "Gi* after the FDR correction"),
        ("gi_class", "str", "", "hot, cold or not significant"),
        ("lisa_i", "float", "", "local Moran's I"),
        ("lisa_z", "float", "z-score", "local Moran's I z-score (conditional randomisation)"),
        ("lisa_p", "float", "p-value", "local Moran's I p-value; empty where not tested"),
        ("lisa_q", "float", "q-value", "local Moran's I after the FDR correction"),
        ("lisa_quadrant", "str", "", "HH, LL, HL or LH"),
        ("lisa_class", "str", "", "HH, LL, HL, LH or not significant"),
        ("island", "bool", "", "no neighbours"),
        ("n_neighbours", "int", "count", "queen-contiguity neighbours"),
    ),
    "isochrones": _cols(
        ("asset_id", "str", "", "the asset walked from"),
        ("name", "str", "", "its name"),
        ("category", "str", "", "its category"),
        ("minutes", "float", "minutes", "walking time the polygon covers"),
        ("geometry", "geometry", "EPSG:4326", "the area reachable"),
    ),
}

NOT_SIGNIFICANT = "not significant"


def columns(name: str) -> tuple[Column, ...]:
    if name not in FRAMES:
        raise KeyError(f"no result called '{name}' (have {', '.join(FRAMES)})")
    return FRAMES[name]


def _declared(col: str, spec: tuple[Column, ...]) -> Column | None:
    for c in spec:
        if c.name == col or (c.pattern is not None and c.pattern.match(col)):
            return c
    return None


def _dtype_ok(series: pd.Series, dtype: str) -> bool:
    if dtype == "geometry":
        return series.dtype.name == "geometry"
    if dtype == "float":
        return pd.api.types.is_float_dtype(series)
    if dtype == "int":
        return pd.api.types.is_integer_dtype(series)
    if dtype == "bool":
        return pd.api.types.is_bool_dtype(series)
    return series.dtype == object


def validate(name: str, frame: pd.DataFrame, *, geometry: bool = True) -> None:
    """Raise :class:`ContractError` naming every missing, undeclared or mistyped column
    (``geometry=False``: a declared geometry column may be absent)."""
    spec = columns(name)
    problems = [f"missing column '{c.name}'" for c in spec
                if c.pattern is None and c.name not in frame.columns
                and (geometry or c.dtype != "geometry")]
    for col in frame.columns:
        c = _declared(str(col), spec)
        if c is None:
            problems.append(f"undeclared column '{col}'")
        elif not _dtype_ok(frame[col], c.dtype):
            problems.append(f"column '{col}' is {frame[col].dtype}, declared {c.dtype}")
    if problems:
        raise ContractError(f"result '{name}': " + "; ".join(problems))


def conform(name: str, frame: pd.DataFrame, *, partial: bool = False) -> pd.DataFrame:
    """``frame`` with declared dtypes (object text with '' for missing, float with NaN),
    declared order, then :func:`validate`. Missing declared columns are an error, unless
    ``partial`` (hand-made frames in tests), which adds them empty."""
    spec = columns(name)
    out = frame.copy()
    if partial:
        for c in spec:
            if c.pattern is None and c.name not in out and c.dtype != "geometry":
                out[c.name] = pd.Series(_EMPTY[c.dtype], index=out.index, dtype=_PANDAS[c.dtype])
    for col in out.columns:
        decl = _declared(str(col), spec)
        if decl is None or decl.dtype == "geometry":
            continue
        out[col] = _cast(out[col], decl.dtype)
    order = [col for c in spec for col in out.columns
             if col == c.name or (c.pattern is not None and c.pattern.match(str(col)))]
    out = out[order + [col for col in out.columns if col not in order]]
    validate(name, out, geometry=not partial)
    return out


def _cast(s: pd.Series, dtype: str) -> pd.Series:
    if dtype == "float":
        return pd.to_numeric(s, errors="coerce").astype(float)
    if dtype == "int":
        return pd.to_numeric(s, errors="coerce").fillna(0).astype(np.int64)
    if dtype == "bool":
        return s.fillna(False).astype(bool)
    return s.astype(object).where(s.notna(), "").astype(str).astype(object)


def empty(name: str) -> pd.DataFrame:
    """A frame with the declared fixed columns and no rows."""
    data = {c.name: pd.Series(dtype=_PANDAS[c.dtype]) for c in columns(name)
            if c.pattern is None and c.dtype != "geometry"}
    return pd.DataFrame(data)


_PANDAS = {"str": object, "float": float, "int": np.int64, "bool": bool}
_EMPTY = {"str": "", "float": np.nan, "int": 0, "bool": False}


def dictionary() -> pd.DataFrame:
    """The data dictionary: frame, column, dtype, unit, meaning (one row per column)."""
    return pd.DataFrame([{"frame": f, "column": c.name, "dtype": c.dtype, "unit": c.unit,
                          "meaning": c.meaning} for f, cols in FRAMES.items() for c in cols])


# --- stored form -------------------------------------------------------------------------------
def _has_pyarrow() -> bool:
    try:
        import pyarrow  # noqa: F401
        return True
    except ImportError:
        return False


def to_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as (Geo)Parquet bytes (pyarrow), or JSON / GeoJSON text without pyarrow."""
    if _has_pyarrow():
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    if isinstance(frame, gpd.GeoDataFrame):
        return json.dumps({"type": "assetmap-geojson", "crs": str(frame.crs),
                           "columns": [str(c) for c in frame.columns],
                           "geometry": frame.geometry.name,
                           "data": json.loads(frame.to_json(na="null"))}).encode()
    return json.dumps({"type": "assetmap-json",
                       "data": json.loads(frame.to_json(orient="split", index=False))}).encode()


def from_bytes(data: bytes) -> pd.DataFrame:
    data = bytes(data)
    if data[:4] == b"PAR1":
        buf = io.BytesIO(data)
        try:
            return gpd.read_parquet(buf)
        except (ValueError, KeyError):
            buf.seek(0)
            return pd.read_parquet(buf)
    obj = json.loads(data.decode())
    if obj.get("type") == "assetmap-geojson":
        gdf = gpd.GeoDataFrame.from_features(obj["data"]["features"], crs=obj["crs"])
        if not len(gdf):
            gdf = gpd.GeoDataFrame({c: [] for c in obj["columns"] if c != obj["geometry"]},
                                   geometry=[], crs=obj["crs"])
        gdf = gdf.rename_geometry(obj["geometry"]) if gdf.geometry.name != obj["geometry"] \
            else gdf
        return gdf[obj["columns"]]
    d = obj["data"]
    return pd.DataFrame(d["data"], columns=d["columns"])
