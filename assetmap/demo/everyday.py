"""The demo's everyday services: food shops, dentists, post offices, bus stops, food banks,
a community hospital and warm spaces (the asset categories beyond the community venues).

They draw from a random stream of their own (seeded from the demo seed), after every other
asset is placed, so the rest of the borough is the same with or without them."""
from __future__ import annotations

import numpy as np

from .. import settings

#: How many of each the demo borough has (roughly a market town's worth per 60,000 people).
COUNTS = {"food_shop": 36, "dentist": 9, "post_office": 10, "transport_stop": 48,
          "food_bank": 3, "hospital": 1, "warm_space": 5}
NAMES = {
    "food_shop": ("{w} Co-op", "{s} Convenience Store", "{w} Supermarket", "{s} Butchers",
                  "{w} Greengrocer", "{s} Bakery", "{w} Mini Market", "{s} Farm Shop"),
    "dentist": ("{w} Dental Practice", "{s} Dental Care", "{w} Smile Centre"),
    "post_office": ("{w} Post Office", "{s} Post Office"),
    "transport_stop": ("{s} (bus stop)", "{w} Bus Station", "{s} Shelter (bus stop)"),
    "food_bank": ("{w} Food Bank", "{w} Community Pantry"),
    "hospital": ("{la} Community Hospital",),
    "warm_space": ("{w} Warm Space", "Warm Welcome at {s} Hall"),
}
TEXT = {
    "food_shop": "Groceries and everyday food.",
    "dentist": "NHS and private dental care.",
    "post_office": "Post, parcels, cash and bill payments.",
    "transport_stop": "Local buses into town and to the villages.",
    "food_bank": "Emergency food parcels on referral; a drop-in with hot drinks.",
    "hospital": "Community hospital: outpatient clinics, minor injuries, day services.",
    "warm_space": "Free warm space in winter, with hot drinks and company.",
}
HOURS = {"food_shop": "Mo-Sa 07:00-22:00; Su 10:00-16:00", "dentist": "Mo-Fr 08:30-17:30",
         "post_office": "Mo-Fr 09:00-17:30; Sa 09:00-12:30", "transport_stop": "24/7",
         "food_bank": "Tu,Fr 10:00-13:00", "hospital": "Mo-Su 08:00-20:00",
         "warm_space": "Mo-Fr 10:00-16:00"}


def _weight(kind, sites, where):
    if kind == "transport_stop":
        return 0.2 + 3.0 * where.main_road + where.local_w
    if kind in ("hospital", "food_bank"):
        return 0.02 + where.centre_w
    return sites.rho + 2.0 * where.centre_w + 1.5 * where.local_w + where.main_road


def place_everyday(cat) -> None:
    """Add :data:`COUNTS` everyday services to the demo catalogue ``cat``."""
    rng = np.random.default_rng([settings.DEMO_SEED, 7301])
    main_rng, cat.rng = cat.rng, rng           # addresses and contacts from this stream too
    try:
        for kind, n in COUNTS.items():
            weight = _weight(kind, cat.sites, cat.where)
            for _ in range(n):
                i = cat.sites.pick(rng, weight, cat.where.ok)
                tpls = NAMES[kind]
                s = str(cat.sites.street[i]).rsplit(" ", 1)[0]
                name = tpls[int(rng.integers(len(tpls)))].format(
                    w=cat.ward_name(i), s=s, la=settings.DEMO_LA_NAME)
                cat.add(kind, int(i), cat.uniq(name, i), TEXT[kind],
                        extra={"opening_hours": HOURS[kind]})
    finally:
        cat.rng = main_rng
