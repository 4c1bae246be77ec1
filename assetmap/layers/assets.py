"""Community assets by category as clustered markers, a coloured pin with a short symbol
per category (so colour is never the only cue); escaped popups and tooltips. Assets just
outside the stored areas (``cross_border``: kept as cross-border supply) are grey pins
with their category's symbol and say so in the popup. Outlines of assets imported as
polygons or lines (``footprints``) are drawn faintly beneath the markers."""
from __future__ import annotations

import folium
import numpy as np
import shapely
import shapely.geometry

from .. import settings
from ..model import ASSET_CATEGORIES
from ._legend import add_legend
from ._markers import cluster_layer, marker_rows, text_colour
from ._markers import popup_html as _popup
from ._style import esc

#: Colour-blind-safe (Okabe-Ito based) colours and symbols per category.
CATEGORY_COLOURS = {
    "community_centre": "#E69F00", "library": "#56B4E9", "faith_venue": "#009E73",
    "cafe_pub": "#F0E442", "park": "#66A61E", "sport_leisure": "#0072B2",
    "gp_practice": "#D55E00", "pharmacy": "#CC79A7", "neighbourhood_hub": "#000000",
    "micro_provider": "#7F3C8D", "other": "#999999",
    # Paul Tol's muted scheme for the later categories (symbols tell them apart too)
    "dentist": "#88CCEE", "food_shop": "#117733", "food_bank": "#882255",
    "hospital": "#AA4499", "post_office": "#DDCC77", "transport_stop": "#332288",
    "warm_space": "#CC6677",
}
CATEGORY_SYMBOLS = {
    "community_centre": "CC", "library": "Li", "faith_venue": "Fa", "cafe_pub": "Ca",
    "park": "Pk", "sport_leisure": "Sp", "gp_practice": "GP", "pharmacy": "Ph",
    "neighbourhood_hub": "NH", "micro_provider": "MP", "other": "?",
    "dentist": "De", "food_shop": "Fs", "food_bank": "Fb", "hospital": "H",
    "post_office": "PO", "transport_stop": "St", "warm_space": "Ws",
}
#: Pins of assets outside the stored areas (cross-border supply): light grey.
CROSS_BORDER_COLOUR = "#D9D9D9"
CROSS_BORDER_NOTE = "Just outside the area: counted as cross-border supply"
#: Outlines of assets mapped as buildings or areas.
FOOTPRINT_STYLE = {"color": "#555555", "weight": 1, "fillColor": "#888888",
                   "fillOpacity": 0.15, "interactive": False}


def popup_html(row, link: str | None = None) -> str:
    """Popup text for one asset; every user-typed string escaped."""
    return _popup(esc(row.get("name")), _subtitle(row), POPUP_LABELS, popup_values(row),
                  esc(link) if link else "")


def _subtitle(row) -> str:
    return esc(ASSET_CATEGORIES.get(row.get("category"), row.get("category")))


def _outside(row) -> bool:
    """True for an asset outside the stored areas (a missing flag, NaN, is inside)."""
    v = row.get("cross_border")
    return isinstance(v, (bool, np.bool_)) and bool(v)


def _short(text, n: int = 160):
    if not text:
        return None
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def legend_html(categories=None, cross_border: bool = False) -> str:
    cats = categories or list(ASSET_CATEGORIES)
    rows = []
    for c in cats:
        col = CATEGORY_COLOURS.get(c, "#999999")
        rows.append(f'<div class="am-legend-row"><span class="am-pin am-pin-sm" '
                    f'style="background:{col};'
                    f'color:{text_colour(col)}">{esc(CATEGORY_SYMBOLS.get(c, "?"))}</span>'
                    f'{esc(ASSET_CATEGORIES.get(c, c))}</div>')
    if cross_border:
        rows.append(f'<div class="am-legend-row"><span class="am-pin am-pin-sm" '
                    f'style="background:{CROSS_BORDER_COLOUR};color:#000">..</span>'
                    f'Grey: just outside the area (within '
                    f'{settings.CROSS_BORDER_BUFFER_KM:g} km), counted as cross-border '
                    'supply</div>')
    return "".join(rows) + ('<div class="am-legend-note">Numbers are clusters: zoom in or '
                            'click.</div>')


POPUP_LABELS = ("Where", "Address", "Postcode", "Opening hours", "Contact")


def popup_values(row) -> list[str]:
    """Escaped popup values aligned with POPUP_LABELS."""
    where = [esc(row["location_note"])] if row.get("location_note") else []
    if _outside(row):
        where.append(esc(CROSS_BORDER_NOTE))
    return ["<em>" + "; ".join(where) + "</em>" if where else "",
            esc(row.get("address")), esc(row.get("postcode")), esc(row.get("opening_hours")),
            esc(row.get("contact"))]


def _style_index(row, index: dict) -> int:
    """The pin style of a row: its category's, or (outside the area) the grey twin."""
    i = index.get(row.get("category"), index["other"])
    return i + len(index) if _outside(row) else i


def add_to(m, assets, *, name: str = "Community assets", show: bool = True,
           link_template: str | None = None, legend: bool = True, legend_open: bool = False,
           footprints=None):
    """Clustered markers for ``assets`` (already passed through privacy.public_assets),
    with the outlines in ``footprints`` (id, geometry; never a home) of those shown."""
    cats = list(ASSET_CATEGORIES)
    styles = [(CATEGORY_COLOURS.get(c, "#999999"), esc(CATEGORY_SYMBOLS.get(c, "?"))) for c in cats]
    styles += [(CROSS_BORDER_COLOUR, sym) for _c, sym in styles]
    index = {c: i for i, c in enumerate(cats)}
    rows = marker_rows(assets, style_of=lambda r: _style_index(r, index),
                       subtitle_of=_subtitle, values_of=popup_values,
                       link_template=link_template)
    layer = cluster_layer(rows, styles=styles, labels=POPUP_LABELS, name=name, show=show)
    if footprints is not None and len(footprints) and len(assets):
        _add_outlines(layer, footprints, assets)
    layer.add_to(m)
    if legend:
        present = [c for c in ASSET_CATEGORIES if c in set(assets.get("category", []))]
        outside = "cross_border" in assets and bool(assets["cross_border"].fillna(False).any())
        add_legend(m, layer, name, legend_html(present or None, cross_border=outside),
                   open_=legend_open)
    return layer


def _add_outlines(layer, footprints, assets) -> None:
    """The outlines of the shown, non-home assets, simplified and rounded, under the pins."""
    home = set(assets.loc[assets["home_based"].fillna(False).astype(bool), "id"]) \
        if "home_based" in assets else set()
    fp = footprints[footprints["id"].isin(set(assets["id"]) - home)]
    if fp.empty:
        return
    geoms = shapely.set_precision(fp.geometry.values, 10 ** -settings.MAP_COORD_DECIMALS)
    features = [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(g)}
                for g in geoms if g is not None and not g.is_empty]
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name="Outlines",
                   control=False, style_function=lambda _f: FOOTPRINT_STYLE).add_to(layer)
