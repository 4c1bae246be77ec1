"""Community assets (venues, services, neighbourhood hubs) and micro-providers placed on
street frontages, named, addressed and described; the provider records.
"""
from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from .. import model, settings
from .everyday import place_everyday
from .geography import CENTRE, DEPRIVED, EXCLUSION_M, GAP, VILLAGES, density, dist, gauss
from .postcodes import postcode

ASSET_COUNTS = {"cafe_pub": 112, "faith_venue": 52, "park": 48, "community_centre": 34,
                "sport_leisure": 32, "pharmacy": 34, "gp_practice": 24, "library": 9,
                "neighbourhood_hub": 11, "other": 44}
N_PROVIDERS = 60

PUBS = ("The Red Lion", "The Plough", "The Royal Oak", "The White Hart", "The Swan",
        "The Crown", "The Bell", "The Black Horse", "The Wheatsheaf", "The Greyhound",
        "The Anchor", "The Navigation", "The Packhorse", "The Three Crowns", "The Fox & Hounds",
        "The Rose & Crown", "The George", "The Green Man", "The Nag's Head", "The Boat Inn",
        "The Windmill", "The Old Bull", "The Queen's Head", "The Mill Wheel", "The Ferryman")
CAFES = ("Bean There", "The Copper Kettle", "Brew & Bake", "Daisy's Tea Room", "Corner Cafe",
         "The Buttery", "Cafe Ash", "Mugs & Muffins", "The Little Teapot", "Crumbs",
         "Riverside Coffee", "The Pantry", "Sunrise Cafe", "Grounds for Coffee",
         "The Old Bakery Cafe", "Cuppa Corner", "Mario's Cafe", "Bloom Cafe")
FAITH = ("St {s}'s Church", "{w} Methodist Church", "{w} Baptist Church", "St {s}'s RC Church",
         "{w} Mosque", "Guru Nanak Gurdwara {w}", "{w} United Reformed Church",
         "{w} Pentecostal Church", "Kingdom Hall, {w}", "Shree Ram Mandir {w}",
         "{w} Evangelical Church", "Quaker Meeting House, {w}")
SAINTS = ("Anne", "Mary", "Peter", "Paul", "John", "Michael", "Andrew", "Botolph", "Bartholomew",
          "Margaret", "Luke", "Mark", "James", "Helen", "Hugh", "Wilfrid", "Chad", "Giles")
PARKS = ("{w} Park", "{w} Recreation Ground", "{s} Playing Field", "{w} Memorial Gardens",
         "{s} Green", "{w} Allotments", "{s} Nature Reserve", "{w} Pocket Park",
         "{s} Meadows", "{w} Community Orchard")
SPORT = ("{w} Bowls Club", "{w} Cricket Club", "{w} Leisure Centre", "{w} Swimming Baths",
         "{s} Tennis Club", "{w} Sports Ground", "{w} Table Tennis Club",
         "{s} Walking Football", "{w} Golf Club", "{s} Snooker Hall")
OTHER = ("{w} Men's Shed", "{w} Post Office", "{w} Credit Union", "{s} Bingo Hall",
         "{w} Citizens Advice Outreach", "{w} Food Bank", "{s} Repair Cafe",
         "{w} Carers' Centre", "{w} Dementia Cafe", "{w} Over-60s Club", "{s} Lunch Club",
         "{w} Digital Drop-in", "{w} Royal British Legion", "{s} Knit & Natter",
         "{w} Good Neighbours Shop", "{w} Hearing Aid Clinic")
CATEGORY_TEXT = {
    "cafe_pub": "Somewhere to meet over a drink or a meal.",
    "faith_venue": "Worship, and a hall used by community groups during the week.",
    "park": "Green space with benches and level paths.",
    "community_centre": "Halls and rooms for hire; regular groups for all ages.",
    "sport_leisure": "Sport and exercise, with sessions for older people.",
    "pharmacy": "Prescriptions, advice and health checks.",
    "gp_practice": "NHS general practice.",
    "library": "Books, computers, free wifi and regular groups.",
    "neighbourhood_hub": "Base of the local neighbourhood network for older people: "
                         "lunch club, activities, help at home and a friendly call.",
    "other": "Local service or group.",
}
HOURS = {
    "cafe_pub": ("Mo-Sa 08:00-16:00; Su 09:00-14:00", "Mo-Su 11:00-23:00",
                 "Mo-Th 12:00-23:00; Fr-Sa 12:00-24:00; Su 12:00-22:30"),
    "faith_venue": ("Su 09:00-13:00; We 10:00-12:00", "Mo-Su 05:00-22:00"),
    "park": ("24/7", "Mo-Su 07:30-20:00"),
    "community_centre": ("Mo-Fr 09:00-21:00; Sa 09:00-13:00", "Mo-Fr 09:00-17:00"),
    "sport_leisure": ("Mo-Fr 06:30-22:00; Sa-Su 08:00-18:00", "Tu,Th 10:00-16:00; Sa 13:00-18:00"),
    "pharmacy": ("Mo-Fr 09:00-18:00; Sa 09:00-13:00", "Mo-Sa 08:00-22:00; Su 10:00-16:00"),
    "gp_practice": ("Mo-Fr 08:00-18:30",),
    "library": ("Mo,We,Fr 09:30-17:00; Tu,Th 09:30-19:00; Sa 09:30-13:00", "Tu,Th,Sa 10:00-13:00"),
    "neighbourhood_hub": ("Mo-Fr 09:30-16:00",),
    "other": ("Mo-Fr 10:00-16:00", "We 10:00-12:00", "Th 13:30-16:00"),
    "micro_provider": ("Mo-Fr 08:00-18:00", "Mo-Su 07:00-22:00", "Mo-Fr 09:00-17:00",
                       "Tu-Th 10:00-15:00"),
}
FIRST_NAMES = ("Sunita", "Kwame", "Aisha", "Margaret", "Tomasz", "Grace", "Harpreet", "Janet",
               "Imran", "Bernadette", "Olu", "Priya", "Gareth", "Mei", "Rukhsana", "Dave",
               "Agnieszka", "Winston", "Fatima", "Sue", "Kamal", "Linda", "Jas", "Colin")
SURNAMES = ("Patel", "Okafor", "Kowalski", "Smith", "Begum", "Singh", "O'Brien", "Mistry",
            "Campbell", "Hussain", "Walker", "Mensah", "Khan", "Taylor", "Nowak", "Gill")
FOCUS = ("Punjabi speakers", "Gujarati speakers", "Polish speakers", "LGBT+",
         "Faith: Muslim", "Faith: Sikh", "African-Caribbean elders", "Deaf (BSL users)",
         "Urdu speakers", "Faith: Hindu")
PROVIDER_NAMES = {
    "home_support": ("{f}'s Home Help", "{w} Home Helpers", "Helping Hands {w}",
                     "Homely Help by {f}", "A Little Help from {f}"),
    "domiciliary_care": ("{l} Care at Home", "{w} Homecare Co-operative", "Kind Care by {f}",
                         "{f} {l} Personal Care"),
    "day_activities": ("{w} Day Club", "Golden Days with {f}", "{f}'s Friday Club",
                       "The {w} Get-Together", "Hands On Crafts CIC"),
    "accommodation": ("Shared Lives with {f} {l}", "{w} Homeshare"),
    "befriending": ("Cuppa & Chat {w}", "{f}'s Friendly Visits", "{w} Befrienders"),
    "transport": ("{w} Community Car Scheme", "{f}'s Door-to-Door", "{w} Dial-a-Ride CIC"),
    "other": ("{f}'s Garden & Odd Jobs", "{w} Pets & Paws Help", "{l} Handy Helpers"),
}


def _phone(rng) -> str:
    return f"01632 960{int(rng.integers(0, 1000)):03d}"   # Ofcom drama range: not real


def _slug(s: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in s)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _date(rng, start="2023-07-01", days=365) -> str:
    d = pd.Timestamp(start) + pd.Timedelta(days=int(rng.integers(0, days)))
    return d.strftime("%Y-%m-%d")


class Sites:
    """Candidate building frontages next to streets (local xy) with their address."""

    def __init__(self, rng, nodes, edges, edge_name, bnd, river):
        xy, street, cls = [], [], []
        for k, ed in enumerate(edges):
            if ed["cls"] in ("footway", "track") or ed.get("bridge") or not edge_name.get(k):
                continue
            c = ed["coords"]
            mids = (c[:-1] + c[1:]) / 2
            d = c[1:] - c[:-1]
            nrm = np.column_stack([-d[:, 1], d[:, 0]]) / (np.hypot(d[:, 0], d[:, 1])[:, None]
                                                          + 1e-9)
            sgn = np.where(rng.random(len(mids)) < 0.5, -1.0, 1.0)[:, None]
            xy.append(mids + nrm * sgn * rng.uniform(12.0, 20.0, (len(mids), 1)))
            street += [edge_name[k]] * len(mids)
            cls += [ed["cls"]] * len(mids)
        self.xy = np.vstack(xy)
        self.street = np.array(street, dtype=object)
        self.cls = np.array(cls, dtype=object)
        inner = bnd.buffer(-20.0)
        ok = shapely.contains_xy(inner, self.xy[:, 0], self.xy[:, 1])
        pts = shapely.points(self.xy)
        ok &= shapely.distance(pts, river.line) > 30.0
        # keep sites clear of other streets too
        geoms = np.array([LineString(ed["coords"]) for ed in edges], dtype=object)
        near = shapely.STRtree(geoms).query(pts, predicate="dwithin", distance=8.0)[0]
        ok[np.unique(near)] = False
        self.xy, self.street, self.cls = self.xy[ok], self.street[ok], self.cls[ok]
        self.rho = density(self.xy[:, 0], self.xy[:, 1])
        self.tree = cKDTree(self.xy)
        self.blocked = np.zeros(len(self.xy), bool)
        self.house = {}

    def pick(self, rng, weight, mask=None, avoid=None, avoid_m=0.0) -> int:
        """A free site drawn with probability ~ ``weight`` (within ``mask``), at least 40 m
        from every site already taken and, if possible, ``avoid_m`` from ``avoid`` points."""
        weight = np.broadcast_to(np.asarray(weight, float), (len(self.xy),))
        w = np.where(self.blocked, 0.0, weight)
        if mask is not None:
            w = np.where(mask, w, 0.0)
        if avoid is not None and len(avoid):
            d = cKDTree(np.asarray(avoid)).query(self.xy)[0]
            gap = avoid_m
            while gap > 1.0 and (w * (d >= gap)).sum() <= 0:
                gap /= 2
            w = w * (d >= gap)
        if w.sum() <= 0:
            raise RuntimeError("demo assets: no site left")
        i = int(rng.choice(len(w), p=w / w.sum()))
        self.blocked[self.tree.query_ball_point(self.xy[i], 40.0)] = True
        return i

    def address(self, rng, i) -> str:
        s = self.street[i]
        n = self.house.get(s, int(rng.integers(1, 30)))
        self.house[s] = n + int(rng.integers(2, 12))
        return f"{n} {s}, {settings.DEMO_LA_NAME}"


@dataclass
class _Where:
    """Per site: its ward and whether it may hold a social venue or a micro-provider (far
    enough from the planted estates), and the weights that draw venues to places."""

    ward: np.ndarray
    ok: np.ndarray
    social_ok: np.ndarray
    provider_ok: np.ndarray
    centre_w: np.ndarray
    local_w: np.ndarray
    main_road: np.ndarray


def _where(sites: Sites, lsoa_local, ward_of_lsoa, pwc_local, planted_idx) -> _Where:
    hot_pwc = pwc_local[planted_idx["hotspot"]]
    gap_pwc = pwc_local[planted_idx["gap"]]
    d_hot = np.min(np.hypot(sites.xy[:, None, 0] - hot_pwc[None, :, 0],
                            sites.xy[:, None, 1] - hot_pwc[None, :, 1]), axis=1)
    d_gap = np.min(np.hypot(sites.xy[:, None, 0] - gap_pwc[None, :, 0],
                            sites.xy[:, None, 1] - gap_pwc[None, :, 1]), axis=1)
    margin = 60.0
    social_ok = d_hot > EXCLUSION_M + margin
    provider_ok = social_ok & (d_gap > EXCLUSION_M + margin)
    # which LSOA / ward is each site in
    tree = shapely.STRtree(lsoa_local)
    si, li = tree.query(shapely.points(sites.xy), predicate="intersects")
    site_lsoa = np.full(len(sites.xy), -1)
    site_lsoa[si] = li
    site_ward = np.where(site_lsoa >= 0, ward_of_lsoa[np.maximum(site_lsoa, 0)], -1)
    centre_w = gauss(sites.xy[:, 0], sites.xy[:, 1], CENTRE, 550.0)
    local_w = sum(gauss(sites.xy[:, 0], sites.xy[:, 1], c, 250.0)
                  for c in list(VILLAGES.values()) + [GAP, DEPRIVED])
    return _Where(ward=site_ward, ok=site_lsoa >= 0, social_ok=social_ok,
                  provider_ok=provider_ok, centre_w=centre_w, local_w=local_w,
                  main_road=np.isin(sites.cls, ["primary", "tertiary"]))


class _Catalogue:
    """The assets placed so far (rows, local xy, provider records) and how each is named,
    addressed and recorded."""

    def __init__(self, rng, sites: Sites, where: _Where, ward_names, ward_district):
        self.rng, self.sites, self.where = rng, sites, where
        self.ward_names, self.ward_district = ward_names, ward_district
        self.rows: list[dict] = []
        self.xy: list = []
        self.providers: list[dict] = []
        self.counters: dict[str, int] = {}

    def add(self, cat, i, name, desc, extra=None) -> str:
        """Record an asset at site ``i``; returns its id."""
        rng = self.rng
        aid = f"demo-a{len(self.rows) + 1:04d}"
        w = int(self.where.ward[i])
        hrs = HOURS.get(cat, ("Mo-Fr 09:00-17:00",))
        rec = {
            "id": aid, "name": name, "category": cat, "description": desc,
            "address": self.sites.address(rng, i),
            "postcode": postcode(rng, self.ward_district[w]),
            "opening_hours": hrs[int(rng.integers(len(hrs)))],
            "contact": _phone(rng), "contact_public": True, "website": None,
            "source": "demo", "source_ref": None, "status": "approved", "home_based": False,
            "last_reviewed": _date(rng), "created_by": "demo",
            "created_at": "2023-06-01T09:00:00+00:00", "updated_by": "demo",
            "updated_at": "2023-06-01T09:00:00+00:00", "version": 1,
        }
        if extra:
            rec.update(extra)
        if rec["website"] is None and cat not in ("park",) and rng.random() < 0.45:
            rec["website"] = f"https://{_slug(name)[:40]}.example.org"
        self.rows.append(rec)
        self.xy.append(self.sites.xy[i])
        return aid

    def ward_name(self, i) -> str:
        return self.ward_names[int(self.where.ward[i])]

    def uniq(self, name, i) -> str:
        """``name``, or ``name (Ward)`` / ``name (Ward k)`` if already taken."""
        k = self.counters.get(name, 0)
        self.counters[name] = k + 1
        if k == 0:
            return name
        w = self.ward_name(i)
        return f"{name} ({w})" if k == 1 else f"{name} ({w} {k})"

    def fill(self, tpl, i) -> str:
        """A name template filled with site ``i``'s ward (``{w}``) and street stem (``{s}``)."""
        s = str(self.sites.street[i]).rsplit(" ", 1)[0]
        return tpl.format(w=self.ward_name(i), s=s, f="", l="")


def make_assets(rng, sites: Sites, lsoa_local, ward_of_lsoa, ward_names, ward_district,
                pwc_local, planted_idx):
    """Community assets, micro-providers and their provider records: (asset rows, local
    xy, provider rows, hubs as (asset id, ward, xy))."""
    where = _where(sites, lsoa_local, ward_of_lsoa, pwc_local, planted_idx)
    cat = _Catalogue(rng, sites, where, ward_names, ward_district)
    hubs = _place_hubs(rng, cat, ward_of_lsoa, pwc_local)
    _place_venues(rng, cat)
    _place_providers(rng, cat)
    place_everyday(cat)
    return cat.rows, np.array(cat.xy), cat.providers, hubs


def _place_hubs(rng, cat: _Catalogue, ward_of_lsoa, pwc_local) -> list:
    """Neighbourhood hubs first: one near the population centre of distinct wards, in random
    ward order (the first eight get a network)."""
    sites, where = cat.sites, cat.where
    hub_wards = []
    wpop: dict[int, list[int]] = {}
    for li_, w in enumerate(ward_of_lsoa):
        wpop.setdefault(int(w), []).append(li_)
    for w in sorted(wpop):
        pw = pwc_local[wpop[w]].mean(axis=0)
        mask = where.ok & where.social_ok & (where.ward == w)
        if not mask.any():
            continue
        hub_wards.append((w, pw, mask))
    hubs = []
    for k in rng.permutation(len(hub_wards))[:ASSET_COUNTS["neighbourhood_hub"]]:
        w, pw, mask = hub_wards[int(k)]
        weight = np.exp(-dist(sites.xy, pw) / 300.0)
        i = sites.pick(rng, weight, mask)
        name = cat.uniq(f"{cat.ward_names[w]} Neighbourhood Network Hub", i)
        hubs.append((cat.add("neighbourhood_hub", i, name, CATEGORY_TEXT["neighbourhood_hub"]),
                     w, sites.xy[i]))
    return hubs


def _venue_weight(kind, sites: Sites, where: _Where):
    """Where venues of a category go: libraries and cafes in the centre, parks where it is
    less dense, health services along main roads and in local centres."""
    if kind == "library":
        return 0.05 + where.centre_w
    if kind in ("gp_practice", "pharmacy"):
        return sites.rho + 2.0 * where.centre_w + where.local_w + where.main_road
    if kind == "cafe_pub":
        return 0.4 * sites.rho + 6.0 * where.centre_w + 2.0 * where.local_w + 1.5 * where.main_road
    if kind == "park":
        return 1.0 / (0.5 + sites.rho) + 0.3
    return sites.rho + 0.6 * where.local_w + 0.3


def _place_venues(rng, cat: _Catalogue) -> None:
    """The community venues and services of :data:`ASSET_COUNTS` (hubs aside)."""
    sites, where = cat.sites, cat.where
    social = set(settings.SOCIAL_CATEGORIES)
    for kind in ("library", "gp_practice", "pharmacy", "community_centre", "sport_leisure",
                 "faith_venue", "park", "cafe_pub", "other"):
        mask = where.ok & (where.social_ok if kind in social else True)
        weight = _venue_weight(kind, sites, where)
        for j in range(ASSET_COUNTS[kind]):
            if kind == "library":
                libs = [p for p, r in zip(cat.xy, cat.rows) if r["category"] == "library"]
                i = sites.pick(rng, weight if j == 0 else 0.3 + sites.rho, mask,
                               avoid=libs, avoid_m=1500.0)
                name = (f"{settings.DEMO_LA_NAME} Central Library" if j == 0 else
                        cat.uniq(f"{cat.ward_name(i)} Library", i))
            else:
                i = sites.pick(rng, weight, mask)
                name = _venue_name(rng, cat, kind, i)
            desc = CATEGORY_TEXT[kind]
            if kind == "cafe_pub" and name.startswith("The ") and name in PUBS:
                desc = "Pub: food, quiz nights and a warm welcome."
            cat.add(kind, i, name, desc)


#: Name templates of the venues named by :meth:`_Catalogue.fill`.
_FILLED = {"park": PARKS, "sport_leisure": SPORT, "other": OTHER,
           "community_centre": ("{w} Community Centre", "{s} Community Hall", "{w} Village Hall",
                                "{w} Community House", "{s} Centre"),
           "gp_practice": ("{s} Medical Centre", "{w} Surgery", "{s} Health Centre",
                           "{w} Family Practice")}


def _venue_name(rng, cat: _Catalogue, kind, i) -> str:
    """A name for a venue (not a library) at site ``i``."""
    if kind == "cafe_pub":
        pool = PUBS if rng.random() < 0.55 else CAFES
        return cat.uniq(pool[int(rng.integers(len(pool)))], i)
    if kind == "faith_venue":
        tpl = FAITH[int(rng.integers(len(FAITH)))]
        return cat.uniq(tpl.format(w=cat.ward_name(i),
                                   s=SAINTS[int(rng.integers(len(SAINTS)))]), i)
    if kind in _FILLED:
        tpls = _FILLED[kind]
        return cat.uniq(cat.fill(tpls[int(rng.integers(len(tpls)))], i), i)
    pharmacies = ("{w} Pharmacy", "{s} Chemist", "{l}'s Pharmacy")
    t = pharmacies[int(rng.integers(len(pharmacies)))]
    return cat.uniq(t.format(w=cat.ward_name(i), s=str(cat.sites.street[i]).rsplit(" ", 1)[0],
                             f="", l=SURNAMES[int(rng.integers(len(SURNAMES)))]), i)


def _place_providers(rng, cat: _Catalogue) -> None:
    """:data:`N_PROVIDERS` micro-providers (every third home-based), with provider records."""
    sites, where = cat.sites, cat.where
    stypes = list(model.SERVICE_TYPES)
    sw = np.array([0.42, 0.22, 0.24, 0.05, 0.2, 0.08, 0.05])
    groups = list(model.CLIENT_GROUPS)
    gw = np.array([0.85, 0.22, 0.12, 0.3, 0.2, 0.35, 0.2])
    for j in range(N_PROVIDERS):
        home = j % 3 == 0
        if home:
            weight = sites.rho * np.isin(sites.cls, ["residential", "unclassified"])
        else:
            weight = sites.rho + 2.0 * where.centre_w + where.local_w
        i = sites.pick(rng, weight, where.ok & where.provider_ok)
        k = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        st = sorted(rng.choice(len(stypes), size=k, replace=False, p=sw / sw.sum()).tolist())
        services = [stypes[s] for s in st]
        cg = [g for g, p in zip(groups, gw) if rng.random() < p] or ["older_people"]
        f = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        ln = SURNAMES[int(rng.integers(len(SURNAMES)))]
        tpls = PROVIDER_NAMES[services[0]]
        name = cat.uniq(tpls[int(rng.integers(len(tpls)))].format(
            f=f, l=ln, w=cat.ward_name(i)), i)
        focus = FOCUS[int(rng.integers(len(FOCUS)))] if rng.random() < 0.3 else None
        offers = ", ".join(model.SERVICE_TYPES[s].lower() for s in services)
        who = ", ".join(model.CLIENT_GROUPS[g].lower() for g in cg)
        desc = (f"Micro-enterprise offering {offers} for {who}"
                + (f"; a service for {focus}" if focus else "") + ".")
        email = f"hello@{_slug(name)[:30]}.example.org"
        aid = cat.add("micro_provider", i, name, desc,
                      {"home_based": home, "contact": f"{_phone(rng)}; {email}",
                       "website": None if home and rng.random() < 0.5 else
                       f"https://{_slug(name)[:40]}.example.org"})
        cat.providers.append(_provider_record(rng, aid, services, cg, focus))


def _provider_record(rng, aid, services, client_groups, focus) -> dict:
    """The provider-table row of micro-provider ``aid`` (prices, quality, capacity, ...)."""
    regulated = "domiciliary_care" in services or ("home_support" in services
                                                   and rng.random() < 0.2)
    fte = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0]))
    cap = float(round(fte * rng.uniform(22.0, 34.0)))
    form = rng.random()
    return {
        "asset_id": aid, "service_types": model.join_list(services),
        "client_groups": model.join_list(client_groups),
        "hourly_price": float(np.clip(round(rng.normal(19.5, 2.4) * 2) / 2, 15.0, 25.0)),
        "quality_mark": str(rng.choice(list(model.QUALITY_MARKS), p=[0.15, 0.3, 0.3, 0.25])),
        "cqc_registered": bool(regulated),
        "cqc_location_id": f"1-{int(rng.integers(10**9, 10**10))}" if regulated else None,
        "direct_payments": bool(rng.random() < 0.85),
        "preferred_list": bool(rng.random() < 0.4),
        "staff_fte": fte, "capacity_hours": cap,
        "vacancies": float(round(cap * rng.uniform(0.0, 0.3))),
        "community_focus": focus,
        "radius_km": float(round(rng.uniform(1.5, 3.0) if "day_activities" in services
                                 else rng.uniform(2.0, 8.0), 1)),
        "charity_number": f"{int(rng.integers(1_100_000, 1_199_999))}" if form > 0.85 else None,
        "company_number": f"{int(rng.integers(9_000_000, 15_000_000)):08d}"
                          if 0.45 < form else None,
    }


def asset_frames(rows, lon, lat, prov_rows):
    """The asset rows as a GeoDataFrame (EPSG:4326, points rounded to 1e-7 degree) and the
    provider records as a frame."""
    assets = gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(model.ASSET_COLUMNS)),
                              geometry=shapely.points(np.column_stack(
                                  [np.round(lon, 7), np.round(lat, 7)])),
                              crs=settings.STORAGE_CRS)
    return assets, pd.DataFrame(prov_rows, columns=list(model.PROVIDER_COLUMNS))
