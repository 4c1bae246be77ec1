"""Every tunable in one documented place.

Analysis defaults here can be overridden per run (``pipeline.run(params=...)``); the web
app reads its own configuration from Flask config, seeded from here.
Environment variables (prefix ``ASSETMAP_``) override a few deployment settings.

size: over 500 lines because every tunable lives in this one documented module (DESIGN.md:
settings in one place), each with the reason or source of its value beside it.
"""
from __future__ import annotations

import os
from pathlib import Path

# --- Coordinate reference systems --------------------------------------------------
#: Geometry is stored and served in WGS84 longitude/latitude.
STORAGE_CRS = "EPSG:4326"
#: Analysis (distances, areas, buffers) happens in British National Grid metres.
ANALYSIS_CRS = "EPSG:27700"

# --- Paths, instance folder, secret and config file ----------------------------------
PACKAGE_DIR = Path(__file__).resolve().parent
#: A source checkout: the package sits beside ``setup.cfg``, ``web/`` and ``data/``.
IN_CHECKOUT = (PACKAGE_DIR.parent / "setup.cfg").is_file() and \
    (PACKAGE_DIR.parent / "web" / "templates").is_dir()
#: The checkout's root (``web/``, ``data/boundaries/``); in an installed wheel the package
#: itself, where ``setup.py`` maps those folders at build time (``_web/``, ``_data/``).
PROJECT_DIR = PACKAGE_DIR.parent if IN_CHECKOUT else PACKAGE_DIR
DATA_DIR = PROJECT_DIR / ("data" if IN_CHECKOUT else "_data")
BOUNDARIES_DIR = DATA_DIR / "boundaries"
WEB_DIR = PROJECT_DIR / ("web" if IN_CHECKOUT else "_web")
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def _instance_dir() -> Path:
    """``ASSETMAP_INSTANCE``; else ``instance/`` in a source checkout; else the per-user data
    folder (platformdirs: ``~/.local/share/assetmap`` on Linux, ``%LOCALAPPDATA%\\assetmap``
    on Windows), never the installed package (site-packages)."""
    env = os.environ.get("ASSETMAP_INSTANCE", "").strip()
    if env:
        return Path(env).expanduser()
    if IN_CHECKOUT:
        return PACKAGE_DIR.parent / "instance"
    import platformdirs
    return Path(platformdirs.user_data_dir("assetmap", appauthor=False))


#: The instance folder: the SQLite store, caches, the secret key, the config file.
INSTANCE_DIR = _instance_dir()
#: The session-signing secret (``ASSETMAP_SECRET_KEY``). Unset: ``SECRET_KEY`` from the
#: instance config file, else a random one made once and kept in ``INSTANCE_DIR/secret_key``
#: (every process of one site must share it: see the README on several processes).
SECRET_KEY = os.environ.get("ASSETMAP_SECRET_KEY", "").strip() or None
#: The instance config file, read with Flask's ``from_pyfile`` when present: Python
#: assignments of Flask and AssetMap settings (``SECRET_KEY = "..."``, ``TILES = "none"``,
#: ``SESSION_COOKIE_SECURE = True``...). ``ASSETMAP_CONFIG`` names another file.
CONFIG_FILE_NAME = "assetmap.cfg"
CONFIG_FILE = os.environ.get("ASSETMAP_CONFIG", "").strip() or None


def default_db_url(instance_dir: Path | None = None) -> str:
    """The store URL: ``ASSETMAP_DB`` if set, else a SQLite file in the instance folder."""
    env = os.environ.get("ASSETMAP_DB")
    if env:
        return env
    folder = Path(instance_dir or INSTANCE_DIR)
    return f"sqlite:///{folder / 'assetmap.sqlite'}"


# --- Demo borough ------------------------------------------------------------------
DEMO_SEED = 2024
#: The demo's local authority code (not a real LA code) and name.
DEMO_LA_CODE = "E09999001"
DEMO_LA_NAME = "Ashbrook"
#: South-west corner of the demo layout in EPSG:27700 (farmland and towns of the
#: East Midlands, on land in England).
DEMO_ORIGIN = (452000.0, 318000.0)

# --- Walking access ----------------------------------------------------------------
WALK_SPEED_KMH = 4.5          # default walking speed
SLOW_WALK_SPEED_KMH = 3.0     # slower option for older people
ACCESS_THRESHOLDS_MIN = (10, 15, 20)   # counts of assets within these minutes
#: Points farther than this from a node of the network's large components are off the
#: network: an area whose origins are mostly off it is flagged ``off_network`` and its
#: walks are straight-line estimates (``CROW_FLY_DETOUR``); an asset off it is not reached.
MAX_SNAP_DISTANCE_M = 1000.0
ORIGINS_PER_AREA = 5          # population-weighted origin points sampled per area
ISOCHRONE_MINUTES = (5, 10, 15)
#: Highway values a pedestrian cannot use; edges with these are dropped.
NON_WALKABLE_HIGHWAYS = ("motorway", "motorway_link", "trunk_link", "construction",
                         "proposed", "raceway", "bus_guideway", "abandoned", "platform")

# --- Cross-border supply (issue 17) ---------------------------------------------------
#: Assets up to this far (km) outside the stored areas are kept by the importers as
#: cross-border supply: people near a boundary use the GP practice, library or stop just
#: across it, so walking access and E2SFCA count them and border areas are not penalised.
#: Maps show them greyed, and counts of what lies inside the area leave them out
#: (``cross_border`` in ``Store.read_assets``); farther ones are refused (OSM: left out).
#: 2 km is beyond the widest walking threshold and the E2SFCA catchment (20 minutes at
#: WALK_SPEED_KMH is 1.5 km as the crow flies), so nothing within reach is lost.
CROSS_BORDER_BUFFER_KM = 2.0

# --- Supply versus demand (E2SFCA) ---------------------------------------------------
CATCHMENT_MINUTES = 20.0      # catchment of a provider
DECAY = "gaussian"            # "gaussian" or "stepped"
GAUSSIAN_BETA_MIN = 10.0      # Gaussian decay width (minutes): w = exp(-t^2 / beta^2 / 2)
STEPPED_WEIGHTS = ((10.0, 1.0), (15.0, 0.68), (20.0, 0.22))  # (upper minutes, weight)

# --- Demand per client group (issue 10; used by analysis.demand) ----------------------
# Each client group's demand is estimated from the population it is drawn from (areas'
# Census 2021 age bands). National prevalence rates are fractions; where an area's own
# census figure is imported (disability, unpaid care) it is used instead of the rate.
#: Dementia, people aged 65+: age-specific prevalence from "Dementia UK: Update" (Prince M,
#: Knapp M, Guerchet M et al., King's College London and LSE for the Alzheimer's Society,
#: 2014; its consensus prevalence estimates, both sexes): 65-69 1.7%, 70-74
#: 3.0%, 75-79 6.0%, 80-84 11.1%, 85-89 18.3%, 90-94 29.9%, 95+ 41.1%. Combined into the
#: store's bands weighted by England's Census 2011 population (65-69 2,508,154; 70-74
#: 2,044,129; 75-79 1,669,345; 80-84 1,258,773; 85-89 776,311; 90+ 403,817, as tabled by
#: Alzheimer Europe, "The prevalence of dementia in Europe: United Kingdom", 2013), with the
#: 90+ split 3:1 between 90-94 and 95+ (an assumption). Check: these band rates on those
#: populations give 7.1% of people aged 65+, the report's headline prevalence.
DEMENTIA_PREVALENCE = {"pop_65_74": 0.02284, "pop_75_84": 0.08192, "pop_85_plus": 0.23227}
#: Learning disability, adults 18+: 2.16% (930,400 adults in England, 2015), Public Health
#: England, "People with learning disabilities in England 2015" (Learning Disabilities
#: Observatory, 2016). It counts people not known to services; GP registers hold fewer.
LEARNING_DISABILITY_PREVALENCE = 0.0216
#: Autism, adults 18+: 1.1%, Brugha T et al., "Estimating the prevalence of autism spectrum
#: conditions in adults: extending the 2007 Adult Psychiatric Morbidity Survey" (NHS
#: Information Centre, 2012), covering private households, communal care and adults with
#: learning disabilities; no fall with age was found. (APMS 2014 found 0.8% among adults in
#: private households only.)
AUTISM_PREVALENCE = 0.011
#: Mental health, adults: 17.0% ("one adult in six", aged 16+) met the criteria for a
#: common mental disorder (depression, anxiety disorders) in the past week, McManus S et
#: al. (eds), "Mental health and wellbeing in England: Adult Psychiatric Morbidity Survey
#: 2014" (NHS Digital, 2016). One rate for all adults, as headlined; CMD is less common
#: after 65, so older areas are somewhat overstated.
MENTAL_HEALTH_PREVALENCE = 0.170
#: Physical disability, adults: the area's Census 2021 share disabled under the Equality
#: Act (indicator ``llti``); where it is not imported, England's 17.7% of usual residents
#: (ONS, "Disability, England and Wales: Census 2021", 19 January 2023) stands in.
DISABILITY_RATE = 0.177
#: Carers, residents aged 5+: the area's Census 2021 share providing unpaid care (indicator
#: ``unpaid_carers``); where it is not imported, 8.9% of usual residents aged 5+ in England
#: and Wales (5.0 million; ONS, "Unpaid care, England and Wales: Census 2021", 19 January
#: 2023) stands in.
UNPAID_CARE_RATE = 0.089

# --- Census age cuts -------------------------------------------------------------------
#: Share of the 65-74 band aged 65 (ages spread evenly over the band): the Census 2021
#: household composition counts people living alone from age 66, so living_alone_65's
#: denominator is the 65+ bands less this share of the 65-74 band.
AGED_65_SHARE_OF_65_74 = 0.1

# --- Need index ----------------------------------------------------------------------
#: Default weights of the older people's need index (indicator id -> weight). Indicators
#: missing from an area's data are dropped and the remaining weights re-normalised; the
#: run records which defaults it could not fill.
NEED_WEIGHTS = {
    "living_alone_65": 0.25,
    "llti": 0.20,
    "idaopi": 0.20,
    "unpaid_carers": 0.10,
    "loneliness_risk": 0.25,
}
#: Stand-ins for a default need indicator the data lack (issue 17): the first of these the
#: data have takes its weight. A place with only the Indices of Deprivation (no IDAOPI,
#: e.g. MHCLG File 2, ranks and deciles only) is ranked on the IMD instead, so an IoD-only
#: store still gets a need index; the run names every stand-in it used. Census-based
#: indicators have no stand-in: their weight is re-normalised onto the others.
NEED_FALLBACKS = {
    "idaopi": ("imd_score", "imd_rank", "imd_decile"),
}
CI_LEVEL = 0.95

# --- Gaps ----------------------------------------------------------------------------
GAP_CLASSES = 3               # tertiles -> a 3x3 bivariate class

# --- Hotspots ------------------------------------------------------------------------
PERMUTATIONS = 999
HOTSPOT_SEED = 12345
FDR_ALPHA = 0.05
#: The isolation score (``analysis.hotspots.isolation_score``) is a weighted mean of three
#: standardised parts (z-scores over the areas): the modelled loneliness risk of people 65+
#: (the person: Age UK's model, see DESIGN), the walking minutes to the nearest social asset
#: (somewhere to meet people) and the walking minutes to essential services (``essential_min``:
#: GP, pharmacy, food shop; what a person must reach whatever their social life). The
#: weights are relative: an area lacking a part is scored on the others, the weights
#: rescaled to sum to 1. Why these: half on the person, as before, and half on access, now
#: split evenly between social and essential places. Social venues alone miss rural
#: isolation (a village nearly always has a church or a pub, rarely a GP, pharmacy and
#: shop); the English Indices of Deprivation 2019 measure the same "geographical barriers
#: to services" as distances to a GP surgery, a general store or supermarket, a post office
#: and a primary school, combined with equal weights (MHCLG, English Indices of Deprivation
#: 2019 Technical Report, section 3.6). The split is a judgement, not fitted to outcomes;
#: override it per run (``-p isolation_essential_weight=0.5``).
ISOLATION_LONELINESS_WEIGHT = 0.5
ISOLATION_SOCIAL_WEIGHT = 0.25
ISOLATION_ESSENTIAL_WEIGHT = 0.25
#: Asset categories counted as "social" for isolation access.
SOCIAL_CATEGORIES = ("community_centre", "library", "faith_venue", "cafe_pub",
                     "neighbourhood_hub", "sport_leisure", "park")
#: Essential services (the same as ``model.ESSENTIAL_CATEGORIES``): an area's
#: ``essential_min`` combines its walking minutes to the nearest of each category present.
ESSENTIAL_CATEGORIES = ("gp_practice", "pharmacy", "food_shop")
#: How those minutes are combined: "mean" (equal weights, as the IoD 2019 geographical
#: barriers sub-domain combines its distances) or "max" (the farthest of the nearest: the
#: walk to the service hardest to reach).
ESSENTIAL_COMBINE = "mean"

# --- Privacy ---------------------------------------------------------------------------
#: Home-based providers are shown only snapped to the centre of a grid cell this big.
HOME_GRID_M = 500.0
STALE_AFTER_DAYS = 91         # Open Referral UK: review at least every 3 months

# --- Web -------------------------------------------------------------------------------
HOST = "127.0.0.1"
PORT = 5000
#: Background map tiles: "none" (the default: the store's own streets, water and green
#: space are drawn as a light vector basemap, so offline and intranet installs show streets),
#: a tile URL template (``https://tiles.example/{z}/{x}/{y}.png``) or a name folium knows
#: ("OpenStreetMap"). ``ASSETMAP_TILES`` / ``ASSETMAP_TILES_ATTRIBUTION`` set them.
TILES = os.environ.get("ASSETMAP_TILES", "none")
TILES_ATTRIBUTION = os.environ.get("ASSETMAP_TILES_ATTRIBUTION",
                                   "&copy; OpenStreetMap contributors")
#: Deepest zoom level of every map (street level; tile servers set their own, but without
#: tiles the map needs one, and marker clustering reads it).
MAP_MAX_ZOOM = 19
#: Where maps fetch the vector basemap from when there are no tiles.
BASEMAP_URL = "/basemap.geojson"
#: Where the locally installed browser libraries (Leaflet etc.) are served from.
VENDOR_URL = "/static/vendor/node_modules/"
MAP_COORD_DECIMALS = 5        # about 1 m
SIMPLIFY_TOLERANCE_M = 10.0   # boundary simplification for display
#: Maps of up to this many areas carry every area in the page (a borough: the demo has
#: about 130, Leeds 482); beyond it (a region, England's 32,844) the page asks
#: ``/map/areas.json`` for the areas in view. 5,000 areas of centroid-drawn cells are about
#: 1.5 MB of JSON before compression, 0.4 MB gzipped (scripts/bench_national_map.py).
MAP_INLINE_AREAS = int(os.environ.get("ASSETMAP_MAP_INLINE_AREAS", "5000"))
#: At most this many areas are drawn per view of a national map; a wider view says "zoom in
#: to see areas" (the count in view, without polygons). Same size argument as above.
MAP_AREAS_MAX = int(os.environ.get("ASSETMAP_MAP_AREAS_MAX", "4000"))
#: Fisher-Jenks classes are exact up to this many values and computed on a random sample
#: of this size beyond (mapclassify's FisherJenksSampled): exact Fisher-Jenks is O(k n^2),
#: minutes at England's 32,844 areas; on 2,000 values it takes well under a second.
CLASSIFY_SAMPLE_MAX = 2000
#: Responses of these types are compressed (gzip, or brotli where the browser asks for it)
#: when larger than COMPRESS_MIN_BYTES: maps are mostly GeoJSON text, which shrinks 5-8x.
COMPRESS_MIMETYPES = ("text/html", "text/css", "text/csv", "text/plain", "text/javascript",
                      "application/javascript", "application/json", "application/geo+json",
                      "image/svg+xml")
COMPRESS_MIN_BYTES = 500
#: Browsers may keep static files (styles, scripts, the vendored map libraries) this long.
STATIC_MAX_AGE_S = 7 * 24 * 3600

# --- Analysis engine (issue 4): further defaults, all overridable per run ----------------
#: Compiled street graphs (scipy CSR .npz, keyed by the OSM file's sha256) live here. None:
#: a ``cache`` folder beside a SQLite store, else ``INSTANCE_DIR / "cache"``.
GRAPH_CACHE_DIR = None
#: Nearest-asset searches stop here: three hours' walk, so a 70-minute walk to a pharmacy
#: and a 3-hour one are told apart (a rural area's real walks run past an hour). Walks not
#: reached within it are reported as "more than" this many minutes (``beyond_cap`` in the
#: access results), never as a made-up number; scores count them at the cap.
ACCESS_MAX_MINUTES = 180.0
#: How an area's value is made from its origin points: "mean" (population-weighted mean
#: over origins) or "min" (best-placed origin).
ACCESS_AGGREGATE = "mean"
#: Seed for the deterministic choice of street nodes used as origins inside each area.
ORIGIN_SEED = 7
#: Street components smaller than this many nodes are not snapped to (stray fragments).
MIN_COMPONENT_NODES = 25
#: Without an OSM file, and for the origins of areas the network does not cover,
#: straight-line distance times this factor stands in for walking.
CROW_FLY_DETOUR = 1.3

# --- Driving (issue 10, item 7): the drive graph read from the same OSM file ----------------
#: Travel modes the routing service knows: "walk" (edge weights in metres, minutes at the
#: run's walking speed) and "drive" (edge weights in seconds from speeds by road type).
TRAVEL_MODES = ("walk", "drive")
#: Which ways a car may use: osmnx's "drive" network filter (osmnx 2.x, ``_overpass.
#: _get_network_filter``), applied with Overpass semantics: a way is drivable when it has a
#: ``highway`` tag and no value below matches its tag (an unanchored regular expression,
#: so "service" also refuses "services"). ``access`` matching "private" is refused too.
DRIVE_EXCLUDED = {
    "highway": ("abandoned", "bridleway", "bus_guideway", "construction", "corridor",
                "cycleway", "elevator", "escalator", "footway", "no", "path", "pedestrian",
                "planned", "platform", "proposed", "raceway", "razed", "rest_area", "service",
                "services", "steps", "track"),
    "area": ("yes",),
    "access": ("private",),
    "motor_vehicle": ("no",),
    "motorcar": ("no",),
    "service": ("alley", "driveway", "emergency_access", "parking", "parking_aisle",
                "private"),
}
#: Speeds (km/h) by highway type for drive edges without a usable ``maxspeed`` tag. Empty by
#: default, which is osmnx's default (``osmnx.routing.add_edge_speeds``): each highway type
#: takes the mean ``maxspeed`` of the file's edges of that type that have one; a type with
#: none takes DRIVE_FALLBACK_SPEED_KMH, or (None) the mean of the other types' speeds. Set
#: e.g. ``{"unclassified": 48.28}`` to impose local standards (30 mph = 48.28 km/h).
DRIVE_HIGHWAY_SPEEDS_KMH: dict = {}
#: See DRIVE_HIGHWAY_SPEEDS_KMH (osmnx's ``fallback``); None = the mean of the type means.
DRIVE_FALLBACK_SPEED_KMH = None
#: Used for every edge when the file has no usable ``maxspeed`` at all and no table above
#: (osmnx raises there): 48.28 km/h, the 30 mph limit of built-up roads in Great Britain
#: (Road Traffic Regulation Act 1984, s.81).
DRIVE_NO_DATA_SPEED_KMH = 48.28
#: Named (implicit) ``maxspeed`` values (km/h) for Great Britain, as osmnx reads them
#: (``osmnx.routing._IMPLICIT_MAXSPEEDS``, from the OSM wiki Key:maxspeed); other named
#: values count as missing. Numbers with "mph" are converted at 1.60934 km per mile.
DRIVE_IMPLICIT_MAXSPEEDS_KMH = {"GB:nsl_restricted": 48.28, "UK:motorway": 112.65,
                                "UK:nsl_dual": 112.65, "UK:nsl_single": 96.56}
#: The leg between a point and the nearest drivable street (a private drive, a farm track:
#: service roads and tracks are not in the drive graph) is timed at this speed.
DRIVE_SNAP_SPEED_KMH = 15.0
#: Without a street network, straight-line distance times CROW_FLY_DETOUR at this speed
#: stands in for driving (a door-to-door average in a built-up area).
DRIVE_CROW_FLY_SPEED_KMH = 30.0
#: Asset categories whose walking isochrones each run stores (others on demand).
ISOCHRONE_CATEGORIES = ("neighbourhood_hub",)
ISOCHRONE_BUFFER_M = 40.0     # half-width of the buffered reached streets
#: E2SFCA supply: "capacity" (a provider's capacity in its unit: capacity_hours, hours a
#: week, or capacity_places for providers counted in places; missing = the median of the
#: known ones in the same unit) or "count" (each provider counts 1).
SUPPLY = "capacity"
#: E2SFCA demand = the people in the provider group's client group per area
#: (analysis.demand.client_group_demand) x a need factor from the need index's percentile,
#: running linearly from the first value (least need) to the second (most need).
DEMAND_NEED_WEIGHT_RANGE = (0.5, 1.5)
#: An asset category is "missing within reach" when the walk to the nearest exceeds this.
GAP_REACH_MINUTES = 15.0

# --- Reach, capacity units and vacancies (issue 10) ------------------------------------
#: A provider that comes to people but records no area served (no area codes, polygon or
#: radius_km) is taken to travel this far from its base (km, straight line). Source: an
#: AssetMap planning assumption (about 10 minutes' drive in town), not a published figure;
#: set it to what local providers quote.
REACH_DEFAULT_RADIUS_KM = 3.0
#: Supply is shown per this many people in need ("hours a week per 100 people in need").
SUPPLY_PER = 100
#: A provider's vacancies count as known only if they were confirmed (vacancies_confirmed)
#: within this many days; older ones show as "not confirmed since <date>" and never rank a
#: provider first. Source: issue 10's default (a month); an AssetMap assumption, not a
#: published standard: set it to how often your brokerage team asks providers for updates.
VACANCY_STALE_DAYS = 30
#: The most places (beds, day places) a contribution may give: far above any micro-
#: provider (CQC's largest care homes have about 300 beds); catches typing slips.
MAX_CAPACITY_PLACES = 500.0

# --- Contributions, moderation and accounts (issue 6) ------------------------------------
#: Shortest password accepted (NCSC: length beats composition rules).
PASSWORD_MIN_LENGTH = 10
#: Sign-in: failed attempts free of delay per (user name, address) pair (then growing delays,
#: see "Safety under attack" below), and failures per address across all names in the window.
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_IP = 30
LOGIN_WINDOW_S = 15 * 60
#: Signed-in sessions last this long (cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS).
SESSION_HOURS = 8
#: Submissions and amendments allowed per client address in the window.
SUBMISSION_LIMIT = 20
SUBMISSION_WINDOW_S = 60 * 60
#: Likely duplicates: a similar name within this distance, or the same postcode, or the
#: same CQC location id. Names are "similar" at or above this ratio (difflib, normalised).
DUPLICATE_RADIUS_M = 250.0
DUPLICATE_NAME_SIMILARITY = 0.8
#: After an approval the gap analysis is refreshed: "background" (a worker thread,
#: coalescing bursts of approvals into one run), "sync" (inside the request) or "off".
ANALYSIS_REFRESH = os.environ.get("ASSETMAP_ANALYSIS_REFRESH", "background")
#: Upper bounds that catch typing slips in contributed service records.
MAX_HOURLY_PRICE = 500.0
MAX_STAFF_FTE = 5.0
MAX_CAPACITY_HOURS = 5000.0
MAX_RADIUS_KM = 50.0

# --- Outreach plans for local area coordinators (issue 7) ---------------------------------
#: "A short walk": assets and micro-providers suggested for an area are within this walk of
#: the area's population-weighted centre.
OUTREACH_WALK_MINUTES = 15.0
#: Commissioning gaps count the people aged 65+ with no matching provider within this walk.
OUTREACH_COMMISSION_MINUTES = 20.0
#: Priority = weight x isolation (z) + (1 - weight) x unmet need (z) + hotspot bonus.
OUTREACH_ISOLATION_WEIGHT = 0.6
#: Added to the priority of an area in a significant Gi* isolation hotspot.
OUTREACH_HOTSPOT_BONUS = 0.5
#: Areas listed in a plan (the rest of the patch is ranked but not detailed).
OUTREACH_TOP_AREAS = 8
#: Areas visited by the default route (the top-ranked ones).
OUTREACH_ROUTE_STOPS = 6
#: Places a coordinator can meet people at (suggested beside the social venues, and used as
#: route stops): GP practices, pharmacies, warm spaces and food banks see the people outreach
#: looks for.
OUTREACH_MEETING_CATEGORIES = SOCIAL_CATEGORIES + ("gp_practice", "pharmacy", "warm_space",
                                                   "food_bank", "post_office")
#: A day of outreach: walking plus this long at each stop, split into days of at most
#: OUTREACH_DAY_MINUTES (a working day's visits: about five hours).
OUTREACH_STOP_MINUTES = 30.0
OUTREACH_DAY_MINUTES = 300.0
#: A route stop is placed at a community venue within this walk of an area's centre, if any.
OUTREACH_VENUE_MINUTES = 6.0
#: Suggestions listed per area (providers, then community venues).
OUTREACH_MAX_SUGGESTIONS = 6
#: Postcodes listed per area ("where to knock first": farthest from a community venue).
OUTREACH_POSTCODES_PER_AREA = 5
#: A commissioning gap is reported when at least this many people aged 65+ lack reach.
OUTREACH_MIN_UNREACHED = 20
#: A comparison reports an area's need as changed when its need or isolation z-score moved
#: by at least this much.
OUTREACH_NEED_CHANGE_Z = 0.25
#: Service types a plan looks for (accommodation is not a matter of walking distance).
OUTREACH_SERVICE_TYPES = ("day_activities", "befriending", "transport", "home_support",
                          "domiciliary_care")
#: Services delivered in people's homes: a commissioning gap counts the people outside every
#: matching provider's area served (assetmap.analysis.reach), not a walk. (Kept for older
#: callers: which providers come to people is now their reach, see model.REACH_MODES.)
OUTREACH_HOME_SERVICES = ("home_support", "domiciliary_care")
OUTREACH_DEFAULT_RADIUS_KM = REACH_DEFAULT_RADIUS_KM
#: Argon2id cost (OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 at least; about
#: 70 ms a hash here). Raising them re-hashes each password at its next sign-in.
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19456
ARGON2_PARALLELISM = 1

# --- Planner pages (issue 5) ------------------------------------------------------------
#: Area profiles list the assets and providers within this many minutes' walk.
PROFILE_REACH_MINUTES = 15
#: The directory lists at most this many results (the map shows the same ones).
DIRECTORY_MAX_RESULTS = 100
#: The referral view's default walk (minutes) and how many providers and assets it lists.
REFERRAL_WALK_MINUTES = 20
REFERRAL_MAX_PROVIDERS = 50
REFERRAL_MAX_ASSETS = 30
#: A background refresh starts once approvals have paused this long (at most 10x this after
#: the first), so a burst of approvals makes one analysis run.
ANALYSIS_REFRESH_DELAY_S = 2.0
#: England values per indicator id (e.g. {"llti": 17.3}) to compare areas with, besides the
#: borough; a run also reads the store's meta key ``england_benchmarks`` (JSON) if set.
ENGLAND_BENCHMARKS: dict = {}

# --- Deployment safety: public address, trusted hosts, production mode (issue 13) ---------
#: The site's public root, e.g. ``https://assetmap.example.org`` (``ASSETMAP_BASE_URL``).
#: When set, every absolute URL the app writes (Open Referral ``url`` fields, the OpenAPI
#: ``servers`` entry, a contributor's private link, ``assetmap export openreferral``) starts
#: with it, never with the request's Host header; it also turns on production mode.
BASE_URL = os.environ.get("ASSETMAP_BASE_URL", "").strip().rstrip("/")
#: Host names the site answers to (``ASSETMAP_TRUSTED_HOSTS``, comma-separated; a leading
#: dot, ``.example.org``, accepts every subdomain). The base URL's host is always trusted.
#: In production mode a request for any other host is refused (400); otherwise absolute
#: URLs are built from the request only when its host is trusted (or a loopback name).
TRUSTED_HOSTS = tuple(h.strip() for h in os.environ.get("ASSETMAP_TRUSTED_HOSTS", "").split(",")
                      if h.strip())
#: "production" refuses unknown hosts even without a base URL (``ASSETMAP_ENV``).
ENV = os.environ.get("ASSETMAP_ENV", "development").strip().lower()
#: Host names trusted outside production mode without being listed (a developer's machine).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
#: Strict-Transport-Security max-age (seconds), sent only with secure cookies (HTTPS).
HSTS_MAX_AGE_S = 365 * 24 * 3600
#: Ids in URLs are 64-bit signed integers in every store; larger ones are 404, not errors.
MAX_ID = 2 ** 63 - 1


# --- Safety under attack: sign-in delays, sessions, proxies, passwords (issue 13) ---------
#: After LOGIN_MAX_FAILURES failed sign-ins from one (user name, address) pair, each further
#: attempt from that pair waits LOGIN_FIRST_DELAY_S, then twice as long after each further
#: failure, at most LOGIN_MAX_DELAY_S. Nothing locks an account: the same name signs in from
#: another address as usual (OWASP Authentication Cheat Sheet: throttle, do not lock out).
LOGIN_FIRST_DELAY_S = 2.0
LOGIN_MAX_DELAY_S = 15 * 60
#: A pair's failures are forgotten this long after its last one (also the pruning age).
LOGIN_FAILURE_MEMORY_S = 24 * 3600
#: How many reverse proxies stand in front of the app. 0 (the default): the connecting
#: address is the client and X-Forwarded-* headers are ignored; N: werkzeug's ProxyFix takes
#: the client address and scheme from the last N proxies' X-Forwarded-For / -Proto.
TRUSTED_PROXIES = int(os.environ.get("ASSETMAP_TRUSTED_PROXIES", "0") or 0)
#: A signed-in session not used for this long is void (sign in again); SESSION_HOURS bounds
#: a session's whole life. Sign-out, a password, role or active change voids every session of
#: the user at once (a per-user session version, checked on each request).
SESSION_IDLE_MINUTES = int(os.environ.get("ASSETMAP_SESSION_IDLE_MINUTES", "60") or 60)
#: The least zxcvbn score a new password needs (0-4; 3: "safely unguessable: moderate
#: protection from offline slow-hash scenario", about 10^10 guesses), besides
#: PASSWORD_MIN_LENGTH.
PASSWORD_MIN_SCORE = 3

# --- The embedded SQLite store under concurrent writers (issue 13) -------------------------
#: How long a write waits for SQLite's write lock before giving up (seconds). Write
#: transactions take the lock when they begin (BEGIN IMMEDIATE), so waiting is the whole
#: retry: a burst of 50 contributors on a busy 2-core machine queued for up to ~15 s.
STORE_BUSY_TIMEOUT_S = float(os.environ.get("ASSETMAP_STORE_BUSY_TIMEOUT_S", "60") or 60)

# --- Import safety: limits on what one file may cost (issue 13) ----------------------------
# Every importer streams its file and stops with an InputError (CLI exit status 2, the store
# unchanged) as soon as a limit is passed: nothing is decompressed or parsed whole first.
#: Most bytes a file may hold once decompressed (bz2, gzip, the XML inside an XLSX or a PBF
#: converted to XML), and the most an uncompressed file may hold. 2 GB: a county's OSM XML
#: is about 1 GB; a file past this is cut down first (``osmium extract``, a smaller sheet).
MAX_IMPORT_BYTES = 2 * 1024 ** 3
#: Most characters between two ``<`` in an XML file (OSM XML, the sheets of an XLSX): OSM
#: values are at most 255 characters and a spreadsheet cell at most 32,767, so a longer run
#: is a decompression bomb of whitespace or one giant value. Refused within this many bytes.
MAX_XML_TEXT_BYTES = 1024 ** 2
#: Most nodes + ways + relations in one OSM extract (import keeps every node's position in
#: memory, about 200 bytes each: 1 GB at the limit). A London borough is about 0.5 M, a
#: county 2-4 M; cut a bigger extract to the area first (``osmium extract``).
MAX_OSM_ELEMENTS = 5_000_000
#: Most cells in the sheets of one XLSX workbook (counted in the sheet XML before openpyxl
#: reads it, in read-only mode). England's LSOA tables are about 33,000 rows x 50 columns.
MAX_XLSX_CELLS = 5_000_000
#: Deepest nesting of arrays and objects in a JSON file (GeoJSON assets and boundaries, Open
#: Referral feeds). A MultiPolygon is 4 levels inside a 4-level feature collection; an Open
#: Referral service with its locations, schedules and taxonomy about 8.
MAX_JSON_DEPTH = 64
#: A new street network replaces the stored one only when it has at least this many walkable
#: street segments (consecutive node pairs of ways a pedestrian may use; a borough has tens
#: of thousands). 1 keeps small test extracts importable; a deployment can raise it.
MIN_WALK_EDGES = 1
#: ... and when at least this share of the nodes of those streets lies inside, or within
#: NETWORK_AREA_MARGIN_M of, the bounding box of the stored areas (an extract of the wrong
#: place is refused; extracts are cut by bounding box and reach beyond the borough).
MIN_NETWORK_INSIDE_SHARE = 0.5
NETWORK_AREA_MARGIN_M = 5000.0

# --- Contributed and imported records: what a record may claim (issue 13) ------------------
#: Categories that can be run from someone's home, so may be marked home-based (their exact
#: point and address are then never shown). Other categories are venues the public visits.
HOME_BASED_CATEGORIES = ("micro_provider", "neighbourhood_hub")

# --- Open Referral import (issue 14) ---------------------------------------------------
#: An imported service counts as for older people from its ages only when its minimum age
#: is at least this: the UK's older people's services commonly start at 50 (Age UK's
#: services are for people in later life, many from 50; DWP and ONS count "older workers"
#: from 50). A service for ages 12+ is not an older people's service.
OPENREFERRAL_OLDER_MIN_AGE = 50

# --- Hotspot inference (issue 10) ---------------------------------------------------------
#: How hotspot p-values are found: "analytical" (two-sided normal p-values from the Gi*
#: z-score, as standard hot-spot tools report, and from local Moran's I under conditional
#: randomisation; they pass the false discovery rate correction at any number of areas) or
#: "permutation" (esda-style conditional permutation; see HOTSPOT_MAX_PERMUTATIONS).
HOTSPOT_INFERENCE = "analytical"
#: With permutations, the count grows with the map: at least PERMUTATIONS and at least
#: ceil(areas / FDR_ALPHA), so the smallest attainable p-value 1 / (P + 1) can pass the
#: Benjamini-Hochberg correction; never more than this (the run says when the cap bit).
HOTSPOT_MAX_PERMUTATIONS = 99_999
#: Hotspots are not tested (every area "not significant", and the run says why) on maps of
#: fewer areas than this, or whose areas have fewer queen neighbours than this on average:
#: a local statistic over a handful of areas claims clusters it cannot support.
HOTSPOT_MIN_AREAS = 30
HOTSPOT_MIN_MEAN_NEIGHBOURS = 2.0

# --- Areas from national open files (issue 17) ----------------------------------------------
#: Areas built from centroids only (Voronoi cells, ``assetmap.io.centroids``) are clipped to
#: the authority's boundary; without a boundary file, to the convex hull of the centroids
#: grown by this much (metres; a warning says so). 1.5 km is about the spacing of rural
#: LSOA centroids, so edge cells reach roughly as far out as they reach in.
CENTROID_HULL_BUFFER_M = 1500.0
#: IoD 2019 File 6 gives population aged 60+ only (mid-2015, excluding prisoners). Used as
#: an area's population when nothing better is imported, the 60+ count is shared out over
#: ages 60-64 / 65-74 / 75-84 / 85+ in these proportions: England's mid-2015 population by
#: age (ONS mid-year estimates, MYE2, rounded to whole per cent: about 2.9 m aged 60-64,
#: 5.3 m 65-74, 3.2 m 75-84 and 1.3 m 85+ of 12.7 m aged 60+; consistent with ONS's
#: 2006-based projection for 2015 of 12.55 m aged 60+, Hansard HC 15 January 2009). Local
#: mid-year estimates or Census 2021 age tables replace the estimate when imported.
IOD_60_PLUS_SHARES = {"60_64": 0.23, "65_74": 0.42, "75_84": 0.25, "85_plus": 0.10}
#: File 6's "aged 16-59" count is shared between AssetMap's 0-17 and 18-64 bands by years of
#: age (2 of its 44 years, 16 and 17, go to 0-17), ages taken as evenly spread.
IOD_16_59_YEARS_UNDER_18 = 2

# --- Referrals, provider answers and turned-away demand (issue 11) -------------------------
#: A referral's case reference (the referrer's own system's reference, never a name) and its
#: notes are at most this long; both are checked for personal details
#: (``assetmap.referrals.identifiers``).
REFERRAL_CASE_REF_MAX_CHARS = 40
REFERRAL_NOTES_MAX_CHARS = 500
#: Referrals one referrer may send in the window (a slip that repeats a form, or a stolen
#: session, stays small); counted in the store like the submission limit.
REFERRAL_LIMIT = 200
REFERRAL_WINDOW_S = 60 * 60
#: A provider whose vacancies were not confirmed for this many days is reminded on its
#: private page and listed on the planners' stale list (issue 11: "capacity not confirmed in
#: 30 days").
CAPACITY_REMINDER_DAYS = 30
#: Public counts of referrals below this are shown as "fewer than 5" (small-number
#: suppression, the usual public health disclosure rule for counts of 1 to 4; 0 is shown).
REFERRAL_SMALL_NUMBER = 5
#: Evidence periods (days back from today) offered on the evidence pages and the API; the
#: default is the quarter the commissioning sentences speak of.
REFERRAL_PERIODS = {"quarter": 91, "year": 365, "all": None}
REFERRAL_DEFAULT_PERIOD = "quarter"
#: Optional email notices (``ASSETMAP_SMTP_*``): with a host, a provider whose link has an
#: address hears of new referrals, and a referrer whose user name is an email address hears
#: of answers. Without a host, notices appear on the pages only. STARTTLS when
#: ``ASSETMAP_SMTP_STARTTLS=1`` (port 587 servers); a login when a user is given.
SMTP_HOST = os.environ.get("ASSETMAP_SMTP_HOST", "").strip()
SMTP_PORT = int(os.environ.get("ASSETMAP_SMTP_PORT", "25") or 25)
SMTP_USER = os.environ.get("ASSETMAP_SMTP_USER", "").strip()
SMTP_PASSWORD = os.environ.get("ASSETMAP_SMTP_PASSWORD", "")
SMTP_FROM = os.environ.get("ASSETMAP_SMTP_FROM", "assetmap@localhost").strip()
SMTP_STARTTLS = os.environ.get("ASSETMAP_SMTP_STARTTLS", "0") == "1"
SMTP_TIMEOUT_S = 10.0

# --- Downloads people can cite (issue 12) --------------------------------------------------
#: The licence line every download carries (in its data dictionary, its HTTP headers, the
#: GeoJSON ``metadata`` member, the GeoPackage metadata and the README of the "with notes"
#: bundle). The default names what the inputs AssetMap reads need: ONS, MHCLG and OHID
#: statistics and the postcode directory under the Open Government Licence v3.0
#: (https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/); assets,
#: venues and streets derived from OpenStreetMap under the Open Database Licence 1.0
#: (https://www.openstreetmap.org/copyright); ONS/OS boundaries with the Ordnance Survey
#: attribution the Open Geography Portal asks for. It is a default for the council to
#: review (its own contributions, directory records and any CQC data may need more):
#: set ``ASSETMAP_DATA_LICENCE`` to the council's own line.
DATA_LICENCE = os.environ.get("ASSETMAP_DATA_LICENCE", "").strip() or (
    "Statistics: Open Government Licence v3.0 (ONS, MHCLG, OHID). "
    "Assets and streets: \u00a9 OpenStreetMap contributors, ODbL 1.0. "
    "Boundaries: Contains OS data \u00a9 Crown copyright and database right. "
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0.")
#: Who publishes the downloads (named in the bundle's README and the GeoJSON metadata).
DATA_PUBLISHER = os.environ.get("ASSETMAP_DATA_PUBLISHER", "").strip() or \
    "the council running this AssetMap"
#: Download file names are at most this many characters before the extension (the filters
#: they carry are shortened with a digest beyond it, so two filtered files never share one).
DOWNLOAD_NAME_MAX_CHARS = 100


def _env_float(name: str) -> float | None:
    """An optional number from the environment (blank or unset: None)."""
    v = os.environ.get(name, "").strip().lstrip("£").strip()
    return float(v) if v else None


# --- trust signals in the directory (issue 11, item 5) --------------------------------------------
#: The council's OWN hourly rate for comparable home support, in GBP an hour
#: (``ASSETMAP_COUNCIL_HOURLY_RATE``): the directory, the referral finder and the map popups
#: then say "GBP 2.00 below the council rate". There is no national figure: set it to the rate
#: your council pays (its published fee rates for domiciliary care / the "fair cost of care"
#: return). None (the default) shows no comparison.
COUNCIL_HOURLY_RATE: float | None = _env_float("ASSETMAP_COUNCIL_HOURLY_RATE")
#: Publish which providers are on the council's preferred provider list
#: (``ASSETMAP_PUBLISH_PREFERRED_LIST=1``). The council's choice: False (the default) shows
#: the flag only to signed-in staff (planners, coordinators, referrers), never on public
#: pages, the API, the Open Referral feed or downloads; True shows it to everyone and the
#: directory can filter by it.
PUBLISH_PREFERRED_LIST = os.environ.get("ASSETMAP_PUBLISH_PREFERRED_LIST", "0").strip().lower() \
    in ("1", "true", "yes", "on")

# --- National runs in tiles (issue 15: assetmap.analysis.tiles, assetmap.pipeline.national) --
#: Origins whose area has no local-authority parent code are tiled by square grid cells of
#: this side (m): 20 km is about the size of an English district (ONS: median district
#: area about 400 km2).
NATIONAL_TILE_CELL_M = 20_000.0
#: Buffer (m) around each tile's origins in the first round of a "tiles" run
#: (NATIONAL_NEAREST): answers within it are proven equal to the whole graph's
#: (assetmap.analysis.tiles). Never less than the widest table cut-off (catchment, 20
#: minutes = 1.5 km at 4.5 km/h), which is the buffer of a "whole" run (its tiles build only
#: the table). 4 km: on the synthetic England most origins' nearest asset of every category
#: lies within it (the rest are widened).
NATIONAL_BUFFER_M = 4000.0
#: Each later round widens the buffer of origins not yet proven by this factor, up to the
#: search cap (ACCESS_MAX_MINUTES at the walking speed), where every answer is proven.
NATIONAL_WIDEN_FACTOR = 3.0
#: How a national run finds each origin's nearest asset of every category
#: (``ASSETMAP_NATIONAL_NEAREST``, assetmap.pipeline.national): "whole", one search per
#: category over the whole street graph, each a Dask task queued with the tiles that build
#: the minute table (the least work: each junction settled once a category); or "tiles",
#: those searches in the tiles too, widened round by round (no worker holds the whole
#: graph's search matrix).
NATIONAL_NEAREST = os.environ.get("ASSETMAP_NATIONAL_NEAREST", "whole").strip() or "whole"
#: Threads sharing the categories' whole-graph searches ("whole") in a run without Dask.
NATIONAL_NEAREST_THREADS = 2
#: Dask workers of the default LocalCluster (0: one per CPU core).
NATIONAL_WORKERS = 0
#: Threads per Dask worker (the searches release the GIL; one is right for a process each).
NATIONAL_THREADS_PER_WORKER = 1
#: Seconds to wait for a Dask scheduler given by address (``--scheduler``) to answer.
NATIONAL_SCHEDULER_TIMEOUT_S = 10
