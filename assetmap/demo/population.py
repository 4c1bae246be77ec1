"""People: per-LSOA population by age band, census-like shares and the indicator tables
(definitions and values) built from them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from .. import model, settings
from .geography import AFFLUENT, CENTRE, DEPRIVED, GAP, HOTSPOT, density, dist, gauss

#: Approximate IMD 2019 score thresholds of English LSOA deciles (decile 1 = most deprived).
IMD_DECILE_THRESHOLDS = (45.0, 34.2, 27.4, 22.4, 18.3, 14.9, 11.8, 9.1, 6.6)


def weighted_centroids(edges, lsoa_local, rep, river) -> np.ndarray:
    """Population-weighted centroids of the LSOAs (local xy): the density-weighted mean of
    the homes along their streets, or the nearest home when that mean falls outside the LSOA
    or by the river, or ``rep`` (a point on the surface) where no street runs."""
    along = []
    for ed in edges:
        if ed["cls"] in ("residential", "unclassified", "tertiary", "primary", "service"):
            along.append(ed["coords"][1:-1] if len(ed["coords"]) > 2 else ed["coords"][:1])
    homes = np.vstack(along)
    home_w = density(homes[:, 0], homes[:, 1])
    hi, hl = shapely.STRtree(lsoa_local).query(shapely.points(homes), predicate="intersects")
    n = len(lsoa_local)
    pwc = np.zeros((n, 2))
    for i in range(n):
        sel = hi[hl == i]
        poly = lsoa_local[i]
        if len(sel):
            m = (homes[sel] * home_w[sel, None]).sum(0) / home_w[sel].sum()
            if not poly.contains(Point(m)) or abs(m[1] - np.interp(m[0], river.xs, river.ys)) < 30:
                m = homes[sel][np.argmin(dist(homes[sel], m))]
        else:
            m = rep[i]
        pwc[i] = m
    return pwc


def ward_centroids(pwc, ward, total) -> np.ndarray:
    """Population-weighted centroids of the wards from their LSOAs' (``total``: residents)."""
    return np.array([np.average(pwc[ward == w], axis=0, weights=total[ward == w])
                     for w in range(int(ward.max()) + 1)])


def imd_decile(score: float) -> int:
    for i, t in enumerate(IMD_DECILE_THRESHOLDS):
        if score >= t:
            return i + 1
    return 10


def _split_int(total: int, shares) -> list[int]:
    """Integers summing to ``total`` in proportion to ``shares`` (largest remainder)."""
    shares = np.asarray(shares, float)
    raw = total * shares / shares.sum()
    out = np.floor(raw).astype(int)
    rem = total - out.sum()
    for i in np.argsort(-(raw - out), kind="stable")[:rem]:
        out[i] += 1
    return out.tolist()


def population(rng, cent, area_km2, planted):
    """Per-LSOA population, census shares and indicator counts (dict of arrays)."""
    n = len(cent)
    x, y = cent[:, 0], cent[:, 1]
    hot = np.isin(np.arange(n), planted["hotspot"])
    gap = np.isin(np.arange(n), planted["gap"])
    rural = np.clip((np.log(area_km2) - np.log(0.6)) / (np.log(3.0) - np.log(0.6)), 0.0, 1.0)
    dep = (0.15 + 0.75 * gauss(x, y, DEPRIVED, 1100.0) + 0.55 * gauss(x, y, GAP, 650.0)
           + 0.3 * gauss(x, y, HOTSPOT, 700.0) - 0.18 * gauss(x, y, AFFLUENT, 1300.0)
           + rng.normal(0.0, 0.05, n))
    dep = np.clip(dep, 0.02, 1.0)
    dep[gap] = np.clip(dep[gap], 0.8, None) + rng.uniform(0.0, 0.1, gap.sum())
    dep[hot] = np.clip(dep[hot], 0.4, 0.6)
    old = (0.3 + 0.45 * rural + 0.15 * gauss(x, y, AFFLUENT, 1300.0)
           - 0.25 * gauss(x, y, CENTRE, 900.0) + rng.normal(0.0, 0.05, n))
    old = np.clip(old, 0.0, 1.0)
    old[hot] = rng.uniform(0.85, 1.0, hot.sum())
    total, s65, bands = _age_bands(rng, rural, dep, old, hot)
    pop65 = bands[:, 2:].sum(1)
    hh_size = np.clip(2.45 - 0.35 * old + 0.2 * dep + rng.normal(0.0, 0.04, n), 1.9, 2.8)
    households = np.round(total / hh_size).astype(int)
    p_alone = np.clip(0.22 + 0.12 * dep + 0.15 * old + rng.normal(0.0, 0.02, n), 0.15, 0.55)
    p_alone[hot] = np.clip(p_alone[hot] + 0.15, 0.45, 0.58)
    p_alone[gap] += 0.06
    # as the census counts: people aged 66+ living alone over the residents aged 66+
    pop66 = pop65 - np.round(bands[:, 2] * settings.AGED_65_SHARE_OF_65_74).astype(int)
    alone66 = np.round(pop66 * p_alone).astype(int)
    widowed = np.clip(0.85 * p_alone + rng.normal(0.0, 0.02, n), 0.12, 0.55)
    hcounts = _health_counts(rng, pop65, dep, old, hot)
    a7579 = np.round(bands[:, 3] * (0.55 + rng.normal(0.0, 0.02, n))).astype(int)
    hh65 = np.clip(2.25 - 1.6 * p_alone + rng.normal(0.0, 0.03, n), 1.3, 2.2)
    llti = np.clip(0.11 + 0.14 * dep + 0.08 * (s65 - 0.12) / 0.23 + rng.normal(0.0, 0.01, n),
                   0.08, 0.34)
    bad = np.clip(0.025 + 0.08 * dep + 0.02 * old + rng.normal(0.0, 0.004, n), 0.015, 0.13)
    pop5 = total - np.round(bands[:, 0] * 5 / 18).astype(int)     # unpaid care: aged 5+
    carers = np.clip(0.07 + 0.04 * old + 0.03 * dep + rng.normal(0.0, 0.006, n), 0.05, 0.15)
    gapb = gap.astype(float)
    llti += 0.03 * gapb
    carers += 0.02 * gapb
    imd = np.clip(5.0 + 55.0 * dep ** 1.1 + rng.normal(0.0, 1.5, n), 5.0, 60.0).round(3)
    pop60 = pop65 + np.round(bands[:, 1] * 0.1).astype(int)
    idaopi = np.clip(0.05 + 0.4 * dep + rng.normal(0.0, 0.015, n), 0.03, 0.5)
    return {
        "bands": bands, "pop65": pop65, "households": households, "alone66": alone66,
        "pop66": pop66, "pop5": pop5,
        "widowed": np.round(pop65 * widowed).astype(int), "health": hcounts,
        "a7579": a7579, "hh65": hh65.round(3), "llti": np.round(total * llti).astype(int),
        "bad": np.round(total * bad).astype(int), "carers": np.round(pop5 * carers).astype(int),
        "imd": imd, "pop60": pop60, "idaopi": np.round(pop60 * idaopi).astype(int),
        "total": total, "dep": dep, "old": old, "rural": rural,
    }


def _age_bands(rng, rural, dep, old, hot):
    """Residents (``total``), the share aged 65+ and the five age bands of each LSOA (0-17,
    18-64, 65-74, 75-84, 85+): older where rural or affluent, oldest in the hotspot."""
    n = len(dep)
    total = np.clip(np.round(rng.normal(1600.0, 170.0, n) - 150 * rural), 1050, 2400).astype(int)
    s65 = np.clip(0.12 + 0.21 * old + rng.normal(0.0, 0.01, n), 0.12, 0.35)
    s65[hot] = np.clip(s65[hot], 0.31, 0.35)
    s017 = np.clip(0.17 + 0.08 * dep - 0.05 * old + rng.normal(0.0, 0.01, n), 0.12, 0.28)
    f6574 = 0.56 - 0.12 * old
    f85 = 0.08 + 0.08 * old
    bands = np.zeros((n, 5), int)
    for i in range(n):
        p65 = int(round(total[i] * s65[i]))
        p017 = int(round(total[i] * s017[i]))
        a, b, c = _split_int(p65, [f6574[i], 1.0 - f6574[i] - f85[i], f85[i]])
        bands[i] = [p017, total[i] - p017 - p65, a, b, c]
    return total, s65, bands


def _health_counts(rng, pop65, dep, old, hot) -> np.ndarray:
    """People aged 65+ in good, fair, poor and very good health (census-like counts, an LSOA
    a row): poorer health with deprivation and in the hotspot."""
    n = len(dep)
    poor = np.clip(0.07 + 0.2 * dep + rng.normal(0.0, 0.015, n), 0.05, 0.35)
    poor[hot] = np.clip(poor[hot] + 0.1, 0.24, 0.35)
    fair = np.clip(0.25 + 0.08 * dep + 0.03 * old + rng.normal(0.0, 0.015, n), 0.2, 0.4)
    good = np.clip(0.36 - 0.03 * dep + rng.normal(0.0, 0.015, n), 0.25, 0.42)
    vgood = 1.0 - poor - fair - good
    return np.array([_split_int(int(p), [g, f, pr, max(vg, 0.05)])
                     for p, g, f, pr, vg in zip(pop65, good, fair, poor, vgood)])


def indicators_frame() -> pd.DataFrame:
    rows = []
    for iid in ("pop_65_plus", "living_alone_65", "llti", "unpaid_carers", "bad_health",
                "imd_score", "imd_decile", "idaopi"):
        m = model.INDICATORS[iid]
        rows.append({"id": m.id, "title": m.title, "unit": m.unit, "polarity": m.polarity,
                     "ci_method": m.ci_method,
                     "source": f"Synthetic demo data (Ashbrook), modelled on: {m.source}",
                     "period": "2019" if iid.startswith(("imd", "idaopi")) else "2021",
                     "description": m.description or None})
    lon = {
        "lon_health_good": ("People aged 65+ in good health (share)",
                            "Share (0-1) of residents aged 65+ whose general health is good"),
        "lon_health_fair": ("People aged 65+ in fair health (share)",
                            "Share (0-1) of residents aged 65+ whose general health is fair"),
        "lon_health_poor": ("People aged 65+ in bad or very bad health (share)",
                            "Share (0-1) of residents aged 65+ whose general health is bad or "
                            "very bad"),
        "lon_widowed": ("People aged 65+ widowed (share)",
                        "Share (0-1) of residents aged 65+ who are widowed or a surviving "
                        "civil partner"),
        "lon_aged_75_79": ("People aged 75-79 (share of 65+)",
                           "Share (0-1) of residents aged 65+ who are aged 75 to 79"),
        "lon_household_size": ("Mean household size, people aged 65+",
                               "Mean number of people in the households of residents aged 65+"),
    }
    for iid in model.LONELINESS_INPUTS:
        title, desc = lon[iid]
        rows.append({"id": iid, "title": title,
                     "unit": "persons" if iid == "lon_household_size" else "share",
                     "polarity": "neutral", "ci_method": "none",
                     "source": "Synthetic demo data (Ashbrook), modelled on Census 2021 (ONS); "
                               "input to the Age UK loneliness risk model",
                     "period": "2021", "description": desc + " (count = people in the group, "
                     "denominator = residents aged 65+)" if iid != "lon_household_size" else desc})
    return pd.DataFrame(rows, columns=list(model.INDICATOR_COLUMNS))


def values_frame(codes, pop) -> pd.DataFrame:
    rows = []

    def prop(iid, count, den):
        for c, k, d in zip(codes, count, den):
            k, d = int(k), int(d)
            rows.append({"indicator_id": iid, "area_code": c,
                         "value": round(100.0 * k / d, 4) if d else None,
                         "count": float(k), "denominator": float(d)})

    def share(iid, count, den):
        for c, k, d in zip(codes, count, den):
            k, d = int(k), int(d)
            rows.append({"indicator_id": iid, "area_code": c, "value": round(k / d, 6),
                         "count": float(k), "denominator": float(d)})

    def plain(iid, vals):
        for c, v in zip(codes, vals):
            rows.append({"indicator_id": iid, "area_code": c, "value": float(v),
                         "count": None, "denominator": None})

    prop("pop_65_plus", pop["pop65"], pop["total"])
    prop("living_alone_65", pop["alone66"], pop["pop66"])
    prop("llti", pop["llti"], pop["total"])
    prop("unpaid_carers", pop["carers"], pop["pop5"])
    prop("bad_health", pop["bad"], pop["total"])
    plain("imd_score", pop["imd"])
    plain("imd_decile", [imd_decile(s) for s in pop["imd"]])
    prop("idaopi", pop["idaopi"], pop["pop60"])
    h = pop["health"]
    share("lon_health_good", h[:, 0], pop["pop65"])
    share("lon_health_fair", h[:, 1], pop["pop65"])
    share("lon_health_poor", h[:, 2], pop["pop65"])
    share("lon_widowed", pop["widowed"], pop["pop65"])
    share("lon_aged_75_79", pop["a7579"], pop["pop65"])
    plain("lon_household_size", pop["hh65"])
    df = pd.DataFrame(rows, columns=list(model.VALUE_COLUMNS))
    df["lower_ci"] = None
    df["upper_ci"] = None
    for col in ("value", "count", "denominator", "lower_ci", "upper_ci"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    return df
