"""Outreach plan layers: the patch, its ranked areas, suggested assets, the walking route
(folium), the draw control that fills the patch form, and a static SVG map for print.

Layers get a plan dict (``assetmap.outreach.build_plan``) and frames; they never touch the
database. Every user-typed string is escaped.
"""
from __future__ import annotations

import json
import math

import folium
from branca.element import MacroElement
from folium.plugins import Draw
from folium.template import Template

from ._legend import add_legend, swatch_rows
from ._style import esc, js_json

PATCH_COLOUR = "#12355b"
ROUTE_COLOUR = "#D55E00"      # Okabe-Ito vermillion: stands out on the blues
PROVIDER_COLOUR = "#7F3C8D"
VENUE_COLOUR = "#009E73"
#: Priority shading of the ranked areas (top first), colour-blind safe (YlOrRd-like).
RANK_COLOURS = ["#bd0026", "#f03b20", "#fd8d3c", "#feb24c", "#fed976", "#ffffb2"]


def rank_colour(rank: int | None, top: int) -> str:
    if rank is None or rank > top:
        return "#dddddd"
    k = min(len(RANK_COLOURS) - 1, int((rank - 1) * len(RANK_COLOURS) / max(top, 1)))
    return RANK_COLOURS[k]


def _stop_icon(n: int) -> folium.DivIcon:
    return folium.DivIcon(
        html=(f'<div class="am-stop" style="background:{ROUTE_COLOUR};color:#fff;border:2px solid '
              f'#fff;border-radius:50%;width:24px;height:24px;line-height:20px;text-align:center;'
              f'font:bold 12px sans-serif;box-shadow:0 0 2px #000">{int(n)}</div>'),
        icon_size=(24, 24), icon_anchor=(12, 12), class_name="am-stop-icon")


def add_patch(m, plan: dict, areas=None, *, name: str = "Patch and priority areas",
              show: bool = True) -> folium.FeatureGroup:
    """The patch outline and, given the areas frame (WGS84; code, name), the patch's areas
    shaded by plan rank (the top areas darkest)."""
    group = folium.FeatureGroup(name=name, show=show)
    patch = plan["patch"]
    ranks = {code: k + 1 for k, code in enumerate(patch.get("ranked", []))}
    top = len(plan["areas"])
    if areas is not None and len(areas):
        sub = areas[areas["code"].isin(set(patch["area_codes"]))][["code", "name",
                                                                     areas.geometry.name]].copy()
        sub["rank"] = [ranks.get(c) for c in sub["code"]]
        sub["label"] = [f"{esc(n)} — priority {r}" for n, r in zip(sub["name"], sub["rank"])]
        folium.GeoJson(
            sub.to_json(), name="Areas by priority",
            style_function=lambda f: {
                "color": "#555555", "weight": 1, "fillOpacity": 0.55,
                "fillColor": rank_colour(f["properties"].get("rank"), top)},
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(group)
    folium.GeoJson(
        {"type": "Feature", "properties": {"label": esc(patch["label"])},
         "geometry": patch["geometry"]},
        name="Patch",
        style_function=lambda _f: {"color": PATCH_COLOUR, "weight": 3, "fill": False,
                                   "dashArray": "6 4"},
        tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
    ).add_to(group)
    for r in plan["areas"]:
        folium.CircleMarker(
            [r["lat"], r["lon"]], radius=5, color="#000", weight=1, fill=True,
            fill_color=rank_colour(r["rank"], top), fill_opacity=1,
            tooltip=f"{r['rank']}. {esc(r['name'])}",
        ).add_to(group)
    group.add_to(m)
    add_legend(m, group, "Priority", swatch_rows(
        [(RANK_COLOURS[0], "first"), (RANK_COLOURS[2], "next"), (RANK_COLOURS[-1], "later"),
         ("#dddddd", "rest of the patch")]), method="isolation")
    return group


def add_suggestions(m, plan: dict, *, name: str = "Suggested assets and providers",
                    show: bool = True) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=name, show=show)
    for a in plan["assets"].values():
        prov = a["is_provider"]
        bits = [f"<strong>{esc(a['name'])}</strong>", esc(a["category_label"])]
        if a.get("location_note"):
            bits.append(f"<em>{esc(a['location_note'])}</em>")
        if prov:
            bits.append(esc(a.get("vacancy_text") or "Vacancies not confirmed"))
        for label, key in (("Address", "address"), ("Opening hours", "opening_hours"),
                           ("Contact", "contact")):
            if a.get(key):
                bits.append(f"{label}: {esc(a[key])}")
        folium.CircleMarker(
            [a["lat"], a["lon"]], radius=7 if prov else 6, color="#222", weight=1, fill=True,
            fill_color=PROVIDER_COLOUR if prov else VENUE_COLOUR, fill_opacity=0.9,
            popup=folium.Popup("<br>".join(bits), max_width=280), tooltip=esc(a["name"]),
        ).add_to(group)
    group.add_to(m)
    add_legend(m, group, "Connect people to", swatch_rows(
        [(PROVIDER_COLOUR, "micro-provider (matching)"), (VENUE_COLOUR, "community venue")]),
               method="isolation")
    return group


def add_route(m, plan: dict, *, name: str = "Walking route", show: bool = True):
    route = plan["route"]
    group = folium.FeatureGroup(name=name, show=show)
    if len(route["geometry"]) > 1:
        folium.PolyLine([[lat, lon] for lon, lat in route["geometry"]], color=ROUTE_COLOUR,
                        weight=4, opacity=0.9,
                        tooltip=f"Walking route: {route['total_minutes']:g} minutes").add_to(group)
    for s in route["stops"]:
        folium.Marker([s["lat"], s["lon"]], icon=_stop_icon(s["n"]),
                      tooltip=f"{s['n']}. {esc(s['label'])}").add_to(group)
    group.add_to(m)
    return group


def add_to(m, plan: dict, areas=None, *, show: bool = True):
    """Patch, priority areas, suggestions and route; returns the route group."""
    add_patch(m, plan, areas, show=show)
    add_suggestions(m, plan, show=show)
    return add_route(m, plan, show=show)


# --- drawing a patch -----------------------------------------------------------------------------
class _DrawToField(MacroElement):
    """Keeps the latest drawn shape only and writes it (GeoJSON) into a form field."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var fg = {{ this.group.get_name() }};
            function save() {
                var field = document.getElementById({{ this.field_js }});
                if (!field) { return; }
                var layers = fg.getLayers();
                field.value = layers.length
                    ? JSON.stringify(layers[layers.length - 1].toGeoJSON().geometry) : "";
                field.dispatchEvent(new Event('change'));
            }
            map.on('draw:created', function (e) {
                fg.eachLayer(function (l) { if (l !== e.layer) { fg.removeLayer(l); } });
                if (!fg.hasLayer(e.layer)) { fg.addLayer(e.layer); }
                save();
            });
            map.on('draw:edited draw:deleted', save);
            var field = document.getElementById({{ this.field_js }});
            if (field && field.value) {
                try {
                    var gj = JSON.parse(field.value);
                    L.geoJSON(gj).eachLayer(function (l) {
                        var shape = l.getLatLngs ? L.polygon(l.getLatLngs(), l.options) : l;
                        fg.addLayer(shape);
                    });
                } catch (err) { field.value = ""; }
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, group, field: str):
        super().__init__()
        self._name = "DrawToField"
        self.group = group
        self.field = field
        self.field_js = js_json(field)


def add_draw_control(m, field_id: str = "patch-polygon"):
    """Leaflet.draw polygon/rectangle tools whose shape fills the form field ``field_id``."""
    group = folium.FeatureGroup(name="Drawn patch", control=False).add_to(m)
    shape = {"color": PATCH_COLOUR, "weight": 3, "fillOpacity": 0.08}
    Draw(export=False, feature_group=group, position="topleft", show_geometry_on_click=False,
         draw_options={"polyline": False, "circle": False, "marker": False,
                       "circlemarker": False,
                       "polygon": {"allowIntersection": False, "showArea": False,
                                   "shapeOptions": shape},
                       "rectangle": {"shapeOptions": shape}},
         edit_options={"edit": True, "remove": True}).add_to(m)
    m.add_child(_DrawToField(group, field_id))
    return group


# --- a static map for paper -----------------------------------------------------------------------
def svg_map(plan: dict, areas=None, width: int = 680, height: int = 440) -> str:
    """An SVG map of the patch, its ranked areas, suggested assets and the numbered route, in
    a local equirectangular projection (no tiles: sharp on paper, nothing to load)."""
    proj = _Projection(plan, width, height)
    height = proj.height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="print-map" role="img" '
           f'aria-label="Map of the patch and walking route" viewBox="0 0 {width} {height}" '
           f'width="100%" preserveAspectRatio="xMidYMid meet">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>']
    out += _svg_areas(plan, areas, proj)
    d = proj.path(plan["patch"]["geometry"])
    if d:
        out.append(f'<path d="{d}" fill="none" stroke="{PATCH_COLOUR}" stroke-width="2.5" '
                   f'stroke-dasharray="6 4"/>')
    out += _svg_route(plan, proj)
    out.append(_svg_scale_bar(proj.s, width, height))
    out.append("</svg>")
    return "".join(out)


class _Projection:
    """Lon/lat -> SVG pixels: the bounds of the patch, its assets and route, scaled into the
    drawing (as wide as asked, as tall as the patch needs)."""

    def __init__(self, plan: dict, width: int, height: int, pad: int = 14):
        minx, miny, maxx, maxy = plan["patch"]["bounds"]
        pts = [(a["lon"], a["lat"]) for a in plan["assets"].values()] + \
            [tuple(p) for p in plan["route"]["geometry"]]
        for x, y in pts:
            minx, maxx = min(minx, x), max(maxx, x)
            miny, maxy = min(miny, y), max(maxy, y)
        self.minx, self.maxy = minx, maxy
        self.kx = math.cos(math.radians((miny + maxy) / 2))
        w = max((maxx - minx) * self.kx, 1e-6)
        h = max(maxy - miny, 1e-6)
        # the drawing takes the patch's shape: as wide as asked, as tall as the patch needs
        self.height = int(max(min(height, (width - 2 * pad) * h / w + 2 * pad), 160))
        self.s = min((width - 2 * pad) / w, (self.height - 2 * pad) / h)
        self.ox = pad + ((width - 2 * pad) - w * self.s) / 2
        self.oy = pad + ((self.height - 2 * pad) - h * self.s) / 2

    def __call__(self, x, y) -> tuple[float, float]:
        return (round(self.ox + (x - self.minx) * self.kx * self.s, 1),
                round(self.oy + (self.maxy - y) * self.s, 1))

    def path(self, geom) -> str:
        """An SVG path of a GeoJSON (Multi)Polygon ("" for anything else)."""
        polys = []
        if geom["type"] == "Polygon":
            polys = [geom["coordinates"]]
        elif geom["type"] == "MultiPolygon":
            polys = geom["coordinates"]
        d = []
        for poly in polys:
            for ring in poly:
                if len(ring) < 3:
                    continue
                xy = [self(x, y) for x, y in ring]
                d.append("M" + " L".join(f"{a},{b}" for a, b in xy) + " Z")
        return " ".join(d)


def _svg_areas(plan: dict, areas, proj: _Projection) -> list[str]:
    """The patch's areas shaded by their rank (none without ``areas``)."""
    if areas is None or not len(areas):
        return []
    patch = plan["patch"]
    top = len(plan["areas"])
    ranks = {code: k + 1 for k, code in enumerate(patch.get("ranked", []))}
    sub = areas[areas["code"].isin(set(patch["area_codes"]))]
    out = []
    for code, geom in zip(sub["code"], sub.geometry):
        d = proj.path(json.loads(json.dumps(geom.__geo_interface__)))
        if d:
            out.append(f'<path d="{d}" fill="{rank_colour(ranks.get(code), top)}" '
                       f'fill-opacity="0.6" stroke="#777" stroke-width="0.6"/>')
    return out


def _svg_route(plan: dict, proj: _Projection) -> list[str]:
    """The walking route, the suggested assets and the numbered stops."""
    out = []
    geo = plan["route"]["geometry"]
    if len(geo) > 1:
        pl = " ".join(f"{a},{b}" for a, b in (proj(x, y) for x, y in geo))
        out.append(f'<polyline points="{pl}" fill="none" stroke="{ROUTE_COLOUR}" '
                   f'stroke-width="3" stroke-linejoin="round" stroke-linecap="round"/>')
    for a in plan["assets"].values():
        x, y = proj(a["lon"], a["lat"])
        colour = PROVIDER_COLOUR if a["is_provider"] else VENUE_COLOUR
        out.append(f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}" stroke="#222" '
                   f'stroke-width="0.6"><title>{esc(a["name"])}</title></circle>')
    for st in plan["route"]["stops"]:
        x, y = proj(st["lon"], st["lat"])
        out.append(f'<g class="stop"><circle cx="{x}" cy="{y}" r="9" fill="{ROUTE_COLOUR}" '
                   f'stroke="#fff" stroke-width="1.5"/><text x="{x}" y="{y + 3.5}" '
                   f'text-anchor="middle" font-size="10" font-weight="bold" fill="#fff" '
                   f'font-family="sans-serif">{int(st["n"])}</text></g>')
    return out


def _svg_scale_bar(s: float, width: int, height: int) -> str:
    """A scale bar of about 500 m (100 m when that would cross half the map)."""
    m_per_deg = 111_320.0
    bar_m = 500.0
    bar_px = bar_m / m_per_deg * s
    if bar_px > width / 2:
        bar_m, bar_px = 100.0, 100.0 / m_per_deg * s
    y0 = height - 10
    return (f'<g class="scale"><line x1="12" y1="{y0}" x2="{12 + bar_px:.1f}" y2="{y0}" '
            f'stroke="#000" stroke-width="2"/><text x="12" y="{y0 - 4}" font-size="10" '
            f'font-family="sans-serif">{bar_m:g} m</text></g>')
