"""Neighbourhood networks: contiguous patches of LSOAs around the neighbourhood hubs."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import model, settings
from .geography import dist

ACTIVITIES = ("lunch club", "coffee morning", "chair-based exercise", "walking group",
              "digital skills drop-in", "befriending calls", "shopping trips", "men's shed",
              "dementia cafe", "bingo", "gardening club", "benefits advice", "singing group",
              "tai chi", "craft circle", "good neighbour visits")


def make_networks(rng, hubs, pwc, names, lsoa_ll, lsoa_local, adj, hot):
    """Up to eight neighbourhood networks: each a contiguous patch of LSOAs grown from the
    hub's own LSOA (same side of the river, within 1.3 km, none twice, none planted hot)."""
    taken = set(hot)
    recs, geoms = [], []
    styles = ("{w} Neighbourhood Network", "Good Neighbours of {w}", "{w} Older People's Network",
              "{w} Community Care Network")
    for aid, w, xy in hubs:
        if len(recs) == 8:
            break
        home = int(np.flatnonzero(shapely.contains_xy(lsoa_local, xy[0], xy[1]))[0])
        if home in taken:
            continue
        mem = [home]
        size = int(rng.integers(4, 10))
        while len(mem) < size:
            front = sorted({j for i in mem for j in adj[i]} - set(mem) - taken)
            front = [j for j in front if dist(pwc[j], xy) < 1300.0]
            if not front:
                break
            mem.append(min(front, key=lambda j: (dist(pwc[j], xy), j)))
        if len(mem) < 3:
            continue
        taken |= set(mem)
        k = int(rng.integers(3, 6))
        acts = sorted(rng.choice(len(ACTIVITIES), size=k, replace=False).tolist())
        recs.append({"id": f"demo-n{len(recs) + 1:02d}",
                     "name": styles[int(rng.integers(len(styles)))].format(w=names[w]),
                     "hub_asset_id": aid, "members": int(rng.integers(25, 180)),
                     "activities": model.join_list(ACTIVITIES[a] for a in acts)})
        geoms.append(shapely.union_all(lsoa_ll[mem]))
    geoms = shapely.orient_polygons(np.array(geoms, dtype=object))
    return gpd.GeoDataFrame(pd.DataFrame(recs, columns=list(model.NETWORK_COLUMNS)),
                            geometry=list(geoms), crs=settings.STORAGE_CRS)
