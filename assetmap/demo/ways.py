"""Road classes (radial primaries, tertiaries to the bridges, estates and villages;
residential, service, track) and street names; edges chained into OSM ways.
"""
from __future__ import annotations

import math

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry import LineString

from .geography import BRIDGES, CENTRE, GAP, HOTSPOT, VILLAGES, dist

RADIALS = ((95.0, "Nottingham Road"), (25.0, "Melton Road"), (-40.0, "Leicester Road"),
           (-115.0, "Hinckley Road"), (185.0, "Ashby Road"), (140.0, "Derby Road"))
STEMS = (
    "Mill", "Church", "Chapel", "Station", "Park", "Victoria", "Albert", "Queen", "King",
    "Oak", "Ash", "Elm", "Willow", "Beech", "Cedar", "Hawthorn", "Rowan", "Holly", "Larch",
    "Poplar", "Birch", "Maple", "Linden", "Chestnut", "Sycamore", "Meadow", "Brook", "Wharf",
    "Canal", "Orchard", "Granby", "Clarence", "Cromwell", "Nelson", "Wellington", "Gladstone",
    "Tennyson", "Byron", "Milton", "Shelley", "Wordsworth", "Keats", "Dickens", "Hardy",
    "Austen", "Bronte", "Eliot", "Kipling", "Chaucer", "Spencer", "Howard", "Russell",
    "Cavendish", "Grosvenor", "Stanley", "Windsor", "York", "Lancaster", "Tudor", "Stuart",
    "Hanover", "Coronation", "Jubilee", "Empire", "Forest", "Heath", "Moor", "Field", "Dale",
    "Vale", "Hill", "Ridge", "Spring", "Well", "Pond", "Lake", "Bridge", "Ferry", "Tanner",
    "Weaver", "Dyer", "Cooper", "Fletcher", "Mason", "Carter", "Baker", "Foundry", "Hosiery",
    "Lace", "Bell", "Abbey", "Priory", "Manor", "Grange", "Hall", "Castle", "Market", "Cross",
    "Swan", "Falcon", "Kestrel", "Heron", "Wren", "Lark", "Thrush", "Robin", "Finch", "Linnet",
    "Foxglove", "Primrose", "Bluebell", "Cowslip", "Harebell", "Clover", "Heather", "Bramble",
    "Juniper", "Laurel", "Lavender", "Magnolia", "Sorrel", "Thistle", "Yew", "Alder", "Hazel",
    "Rosemary", "Saxon", "Danes", "Norman", "Roman", "Beaumont", "Ferrers", "Hastings",
    "Burleigh", "Fairfield", "Greenacre", "Brookfield", "Southfield", "Westfield", "Northcote",
    "Ashfield", "Oakley", "Ashby", "Thorpe", "Barrow", "Quorn", "Kirby", "Sileby", "Hathern",
)
SUFFIX = {
    "grid": ("Street", "Street", "Road", "Terrace", "Place", "Lane", "Row"),
    "suburb": ("Road", "Avenue", "Drive", "Way", "Crescent", "Grove", "Gardens", "Road"),
    "culdesac": ("Close", "Court", "Mews", "Rise", "Close", "View", "Croft"),
    "rural": ("Lane", "Lane", "Road"),
}


def classify_and_name(rng, nodes, edges, bnd, river):
    n = len(nodes)
    P = np.asarray(nodes)
    lengths = np.array([float(np.hypot(*np.diff(ed["coords"], axis=0).T).sum()) for ed in edges])
    u = np.array([ed["u"] for ed in edges])
    v = np.array([ed["v"] for ed in edges])
    motor = np.array([ed["cls"] != "footway" for ed in edges])
    rows_ = np.r_[u[motor], v[motor]]
    cols_ = np.r_[v[motor], u[motor]]
    G = coo_matrix((np.r_[lengths[motor], lengths[motor]], (rows_, cols_)), shape=(n, n)).tocsr()
    kd = cKDTree(P)
    centre_node = int(kd.query(CENTRE)[1])
    _, pred = dijkstra(G, indices=centre_node, return_predecessors=True)
    emap = {}
    for k in range(len(edges)):
        if motor[k]:
            key = (min(u[k], v[k]), max(u[k], v[k]))
            if key not in emap or lengths[k] < lengths[emap[key]]:
                emap[key] = k

    def claim(target_node, cls, name):
        t = int(target_node)
        while t != centre_node and pred[t] >= 0:
            s = int(pred[t])
            k = emap[(min(s, t), max(s, t))]
            ed = edges[k]
            if ed["cls"] is None:
                ed["cls"], ed["name"] = cls, name
            t = s

    for ang, name in RADIALS:
        d = np.array([math.cos(math.radians(ang)), math.sin(math.radians(ang))])
        ray = LineString([CENTRE, np.asarray(CENTRE) + 9000 * d])
        hit = ray.intersection(bnd.exterior)
        far = shapely.get_coordinates(hit)
        far = far[np.argmin(dist(far, CENTRE))] - 120 * d
        claim(kd.query(far)[1], "primary", name)
    for bx, bname, bcls in BRIDGES:
        if bcls == "tertiary":
            by = float(np.interp(bx, river.xs, river.ys))
            claim(kd.query((bx, by - 400.0))[1], "tertiary", f"{bname.split()[0]} Road")
    targets = [(HOTSPOT, "Ferry Road"), (GAP, "Eastgate Road")]
    targets += [(c, f"{name.split()[0]} Road") for name, c in VILLAGES.items()]
    for c, name in targets:
        claim(kd.query(c)[1], "tertiary", name)
    for ed in edges:
        if ed["cls"] is None:
            z = ed["zone"]
            if z == "rural":
                ed["cls"] = "track" if rng.random() < 0.3 else "unclassified"
            elif z == "culdesac":
                ed["cls"] = "service" if rng.random() < 0.15 else "residential"
            else:
                ed["cls"] = "residential"
    return _chain_ways(rng, edges)


def _chain_ways(rng, edges):
    """Group edges into OSM ways by straight continuation; name them."""
    return _name_ways(rng, edges, _chains(edges, _links(edges)))


def _chain_key(ed):
    """Edges chain only with edges of the same key (class, and name for named roads)."""
    if ed["cls"] in ("primary", "tertiary"):
        return (ed["cls"], ed["name"])
    if ed["cls"] == "residential" and ed["zone"] == "culdesac":
        return ("culdesac", None)
    return (ed["cls"], None)


def _links(edges) -> dict[tuple[int, int], tuple[int, int]]:
    """At every node, pair the edge ends that continue each other most straightly: (edge,
    end) -> (edge, end); end 0 is the edge's ``u``, 1 its ``v``. Bridges stay alone."""
    ends: dict[int, list[tuple[int, int]]] = {}
    for k, ed in enumerate(edges):
        if ed.get("bridge"):
            continue
        ends.setdefault(ed["u"], []).append((k, 0))
        ends.setdefault(ed["v"], []).append((k, 1))
    link: dict[tuple[int, int], tuple[int, int]] = {}
    for node in sorted(ends):
        items = ends[node]
        if len(items) < 2:
            continue
        dirs = []
        for k, side in items:
            c = edges[k]["coords"]
            d = (c[1] - c[0]) if side == 0 else (c[-2] - c[-1])
            dirs.append(d / (np.hypot(*d) + 1e-9))
        pairs = []
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                if (_chain_key(edges[items[a][0]]) != _chain_key(edges[items[b][0]])
                        or items[a][0] == items[b][0]):
                    continue
                dev = math.degrees(math.acos(max(-1.0, min(1.0, -float(dirs[a] @ dirs[b])))))
                named = edges[items[a][0]]["cls"] in ("primary", "tertiary")
                if dev < (150.0 if named else 40.0):
                    pairs.append((dev, a, b))
        used = set()
        for dev, a, b in sorted(pairs):
            if a in used or b in used:
                continue
            used |= {a, b}
            link[items[a]] = items[b]
            link[items[b]] = items[a]
    return link


def _chains(edges, link) -> list[list[tuple[int, int]]]:
    """The ways as sequences of (edge, end entered by): open chains from their ends first,
    then closed loops, and each bridge on its own."""
    seen = [False] * len(edges)
    ways = []

    def walk(k, enter_side):
        seq = []
        while True:
            seen[k] = True
            seq.append((k, enter_side))
            exit_end = (k, 1 - enter_side)
            nxt = link.get(exit_end)
            if nxt is None or seen[nxt[0]]:
                return seq
            k, enter_side = nxt

    order = list(range(len(edges)))
    for k in order:                      # start at chain ends first
        if seen[k] or edges[k].get("bridge"):
            continue
        if (k, 0) not in link:
            ways.append(walk(k, 0))
        elif (k, 1) not in link:
            ways.append(walk(k, 1))
    for k in order:                      # closed loops, and bridges
        if not seen[k]:
            ways.append(walk(k, 0) if not edges[k].get("bridge") else [(k, 0)])
            seen[k] = True
    return ways


def _name_ways(rng, edges, ways) -> list[dict]:
    """Name the unnamed residential and unclassified ways (stem + suffix by zone, no name
    twice while the combinations last); returns the ways as dicts."""
    combos = {z: [(s, x) for s in STEMS for x in sorted(set(suf))] for z, suf in SUFFIX.items()}
    for z in combos:
        order_ = rng.permutation(len(combos[z]))
        combos[z] = [combos[z][i] for i in order_]
    used_names: set[str] = set()
    pos = {z: 0 for z in combos}
    out = []
    for seq in ways:
        ed0 = edges[seq[0][0]]
        cls = ed0["cls"]
        name = ed0["name"]
        if name is None and cls in ("residential", "unclassified"):
            zone = ed0["zone"] if ed0["zone"] in SUFFIX else "suburb"
            if cls == "unclassified":
                zone = "rural"
            total = sum(edges[k]["n"] for k, _ in seq)
            if cls == "residential" and total < 2 and zone != "culdesac":
                zone = "grid"
            while True:
                s, x = combos[zone][pos[zone] % len(combos[zone])]
                pos[zone] += 1
                cand = f"{s} {x}"
                if cand not in used_names or pos[zone] > len(combos[zone]):
                    break
            name = cand
            used_names.add(name)
        out.append(_way(edges, seq, cls, name))
    return out


def _way(edges, seq, cls, name) -> dict:
    parts = []
    for k, enter in seq:
        ed = edges[k]
        c = ed["coords"] if enter == 0 else ed["coords"][::-1]
        a, b = (ed["u"], ed["v"]) if enter == 0 else (ed["v"], ed["u"])
        parts.append((a, b, c))
    ed0 = edges[seq[0][0]]
    return {"cls": cls, "name": name, "parts": parts, "bridge": bool(ed0.get("bridge")),
            "zone": ed0["zone"], "edges": [k for k, _ in seq]}
