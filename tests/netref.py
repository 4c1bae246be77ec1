"""Independent references for the street-network tests: networkx graphs of street
segments (from osmnx, or from a compiled graph's geometry), points inserted by splitting
their nearest segment found by brute force, shortest paths by networkx."""
from __future__ import annotations

import networkx as nx
import numpy as np

from assetmap import settings

OSMNX_TAGS = ("foot", "access", "maxspeed", "oneway", "junction", "motor_vehicle", "motorcar",
              "service", "area", "highway")


def highway_extract(src, out) -> str:
    """The ways with a ``highway`` tag of ``src`` and the nodes they use, as OSM XML (all a
    walking or driving graph can keep; osmnx then reads a quarter of the file)."""
    import osmium
    with osmium.BackReferenceWriter(str(out), ref_src=str(src), overwrite=True) as w:
        for obj in osmium.FileProcessor(str(src), osmium.osm.WAY).with_filter(
                osmium.filter.KeyFilter("highway")):
            w.add(obj)
    return str(out)


def osmnx_parse(path):
    """osmnx's unsimplified, directed graph of an OSM XML file (one-way streets one way),
    every way kept, with the tags the mode rules read."""
    import osmnx as ox
    old = list(ox.settings.useful_tags_way)
    ox.settings.useful_tags_way = sorted(set(old) | set(OSMNX_TAGS))
    try:
        return ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    finally:
        ox.settings.useful_tags_way = old


def osmnx_mode(raw, mode: str):
    """The ``mode``'s graph from :func:`osmnx_parse`'s: its edges cut with the reader's tag
    rules (walking: both ways along every way, as ``bidirectional=True`` gives), projected,
    with straight BNG lengths (``length_bng``) and, driving, osmnx's own speeds
    (``add_edge_speeds``) and travel times in seconds (``travel_time``)."""
    import osmnx as ox

    from assetmap.io.osm_graph import drivable, walkable
    keep = walkable if mode == "walk" else drivable
    edges = [(a, b, d) for a, b, d in raw.edges(data=True) if keep(d)]
    if mode == "walk":                      # a one-way street is walked both ways
        edges += [(b, a, d) for a, b, d in edges if d.get("oneway")]
    G = nx.MultiDiGraph(**raw.graph)
    G.add_nodes_from((n, raw.nodes[n]) for n in {e[0] for e in edges} | {e[1] for e in edges})
    G.add_edges_from(edges)
    from pyproj import Transformer  # what ox.projection.project_graph does, minus
    tr = Transformer.from_crs(settings.STORAGE_CRS, settings.ANALYSIS_CRS, always_xy=True)
    nodes = list(G.nodes)                # the frames it builds and rebuilds
    x, y = tr.transform([G.nodes[n]["x"] for n in nodes], [G.nodes[n]["y"] for n in nodes])
    for n, a, b in zip(nodes, x, y):
        G.nodes[n]["lon"], G.nodes[n]["lat"] = G.nodes[n]["x"], G.nodes[n]["y"]
        G.nodes[n]["x"], G.nodes[n]["y"] = float(a), float(b)
    G.graph["crs"] = settings.ANALYSIS_CRS
    for a, b, d in G.edges(data=True):
        d["length_bng"] = float(np.hypot(G.nodes[a]["x"] - G.nodes[b]["x"],
                                         G.nodes[a]["y"] - G.nodes[b]["y"]))
    if mode == "drive":
        for _, _, d in G.edges(data=True):
            d["length"] = d["length_bng"]
        G = ox.routing.add_edge_speeds(G, fallback=settings.DRIVE_FALLBACK_SPEED_KMH)
        G = ox.routing.add_edge_travel_times(G)
    return G


class Reference:
    """A directed networkx graph of straight segments (parallel ones: the least cost) and
    the segments themselves, for brute-force snapping."""

    def __init__(self, xy: dict, segments, snap_cost=lambda d: d, min_nodes: int = 1):
        """``xy``: node -> (x, y); ``segments``: (a, b, cost a->b, cost b->a) with inf for
        a direction not allowed. Points snap only to components (weak) of at least
        ``min_nodes`` nodes."""
        self.snap_cost = snap_cost
        G = nx.DiGraph()
        for a, b, cab, cba in segments:
            for p, q, c in ((a, b, cab), (b, a, cba)):
                if np.isfinite(c) and (not G.has_edge(p, q) or G[p][q]["w"] > c):
                    G.add_edge(p, q, w=float(c))
        self.G = G
        big = set()
        for comp in nx.weakly_connected_components(G):
            if len(comp) >= min_nodes:
                big |= comp
        seg = [s for s in segments if s[0] in big]
        self.seg = seg
        self.ax = np.array([xy[s[0]][0] for s in seg])
        self.ay = np.array([xy[s[0]][1] for s in seg])
        self.bx = np.array([xy[s[1]][0] for s in seg])
        self.by = np.array([xy[s[1]][1] for s in seg])

    @classmethod
    def from_osmnx(cls, G, weight: str, snap_cost=lambda d: d, min_nodes: int = 1):
        xy = {n: (d["x"], d["y"]) for n, d in G.nodes(data=True)}
        best: dict = {}
        for a, b, d in G.edges(data=True):
            key = (a, b)
            best[key] = min(best.get(key, np.inf), float(d[weight]))
        segs, seen = [], set()
        for (a, b), c in best.items():
            if (b, a) in seen or (a, b) in seen:
                continue
            seen.add((a, b))
            segs.append((a, b, c, best.get((b, a), np.inf)))
        return cls(xy, segs, snap_cost, min_nodes)

    @classmethod
    def from_graph(cls, g, min_nodes: int = 1):
        """From a compiled graph's geometry: every bend a node again."""
        xy, segs = {}, []
        for e in range(g.n_edges):
            s, t = int(g.edge_ptr[e]), int(g.edge_ptr[e + 1])
            names = [("j", int(g.edge_u[e]))] + [("i", e, k) for k in range(s + 1, t - 1)] + \
                [("j", int(g.edge_v[e]))]
            for k, nm in zip(range(s, t), names):
                xy[nm] = (g.vx[k], g.vy[k])
            for k in range(s, t - 1):
                c = g.vcum[k + 1] - g.vcum[k]
                segs.append((names[k - s], names[k - s + 1],
                             c if g.edge_fwd[e] else np.inf, c if g.edge_bwd[e] else np.inf))
        return cls(xy, segs, g.snap_cost, min_nodes)

    def nearest_segment(self, x: float, y: float):
        """(segment index, fraction along it, distance, second-best distance)."""
        dx, dy = self.bx - self.ax, self.by - self.ay
        l2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.clip(np.where(l2 > 0, ((x - self.ax) * dx + (y - self.ay) * dy) / l2, 0), 0, 1)
        d = np.hypot(x - (self.ax + t * dx), y - (self.ay + t * dy))
        order = np.argsort(d)
        return order[0], t[order[0]], d[order[0]], d[order[1]] if len(d) > 1 else np.inf

    def costs(self, origins, dests, limit: float = np.inf, max_snap: float = np.inf):
        """Dense (origins, dests) least costs, each point joined to its nearest segment."""
        G = self._joined(origins, dests, max_snap)
        out = np.full((len(origins), len(dests)), np.inf)
        for i in range(len(origins)):
            if ("o", i) not in G:
                continue
            dist = nx.single_source_dijkstra_path_length(G, ("o", i), cutoff=limit, weight="w")
            for j in range(len(dests)):
                out[i, j] = dist.get(("d", j), np.inf)
        return out

    def nearest(self, origins, dests, max_snap: float = np.inf) -> np.ndarray:
        """Least cost from each origin to any destination (one search backwards from all)."""
        G = self._joined(origins, dests, max_snap)
        for j in range(len(dests)):
            if ("d", j) in G:
                G.add_edge(("d", j), "sink", w=0.0)
        if "sink" not in G:
            return np.full(len(origins), np.inf)
        dist = nx.single_source_dijkstra_path_length(G.reverse(copy=False), "sink", weight="w")
        return np.array([dist.get(("o", i), np.inf) for i in range(len(origins))])

    def _joined(self, origins, dests, max_snap):
        """The graph with every origin and destination joined to its nearest segment."""
        G = self.G.copy()
        ends = []
        for kind, pts in (("o", origins), ("d", dests)):
            for i, (x, y) in enumerate(np.asarray(pts, float).reshape(-1, 2)):
                s, t, d, _ = self.nearest_segment(x, y)
                ends.append((kind, i, s, t, d))
                if d > max_snap:
                    continue
                a, b, cab, cba = self.seg[s]
                sc = float(self.snap_cost(d))
                if t in (0.0, 1.0):          # at a node: joined to it, whatever the one-ways
                    n = a if t == 0.0 else b
                    G.add_edge(*(((kind, i), n) if kind == "o" else (n, (kind, i))), w=sc)
                    continue
                if kind == "o":
                    if np.isfinite(cab):
                        G.add_edge((kind, i), b, w=sc + (1 - t) * cab)
                    if np.isfinite(cba):
                        G.add_edge((kind, i), a, w=sc + t * cba)
                else:
                    if np.isfinite(cab):
                        G.add_edge(a, (kind, i), w=t * cab + sc)
                    if np.isfinite(cba):
                        G.add_edge(b, (kind, i), w=(1 - t) * cba + sc)
        self._same_segment(G, ends, max_snap)
        return G

    def _same_segment(self, G, ends, max_snap):
        by_seg: dict = {}
        for kind, i, s, t, d in ends:
            if d <= max_snap:
                by_seg.setdefault(s, []).append((kind, i, t, d))
        for s, pts in by_seg.items():
            a, b, cab, cba = self.seg[s]
            for ko, i, to, do in pts:
                for kd, j, td, dd in pts:
                    if ko != "o" or kd != "d":
                        continue
                    c = cab if td >= to else cba
                    if td == to or np.isfinite(c):
                        w = self.snap_cost(do) + abs(td - to) * (c if td != to else 0) + \
                            self.snap_cost(dd)
                        if not G.has_edge(("o", i), ("d", j)) or G[("o", i)][("d", j)]["w"] > w:
                            G.add_edge(("o", i), ("d", j), w=float(w))

    def untied(self, pts, gap: float = 1e-3):
        """The points whose nearest segment is unambiguous (or at a shared vertex)."""
        keep = []
        for k, (x, y) in enumerate(np.asarray(pts, float).reshape(-1, 2)):
            s, t, d, d2 = self.nearest_segment(x, y)
            if d2 - d > gap or t in (0.0, 1.0):
                keep.append(k)
        return np.asarray(pts, float).reshape(-1, 2)[keep]
