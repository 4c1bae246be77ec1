"""Community assets by category as clustered markers, a coloured pin with a short symbol
per category (so colour is never the only cue); escaped popups and tooltips."""
from __future__ import annotations

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
}
CATEGORY_SYMBOLS = {
    "community_centre": "CC", "library": "Li", "faith_venue": "Fa", "cafe_pub": "Ca",
    "park": "Pk", "sport_leisure": "Sp", "gp_practice": "GP", "pharmacy": "Ph",
    "neighbourhood_hub": "NH", "micro_provider": "MP", "other": "?",
}


def popup_html(row, link: str | None = None) -> str:
    """Popup text for one asset; every user-typed string escaped."""
    return _popup(esc(row.get("name")), _subtitle(row), POPUP_LABELS, popup_values(row),
                  esc(link) if link else "")


def _subtitle(row) -> str:
    return esc(ASSET_CATEGORIES.get(row.get("category"), row.get("category")))


def _short(text, n: int = 160):
    if not text:
        return None
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def legend_html(categories=None) -> str:
    cats = categories or list(ASSET_CATEGORIES)
    rows = []
    for c in cats:
        col = CATEGORY_COLOURS.get(c, "#999999")
        rows.append(f'<div class="am-legend-row"><span class="am-pin am-pin-sm" '
                    f'style="background:{col};'
                    f'color:{text_colour(col)}">{esc(CATEGORY_SYMBOLS.get(c, "?"))}</span>'
                    f'{esc(ASSET_CATEGORIES.get(c, c))}</div>')
    return "".join(rows) + ('<div class="am-legend-note">Numbers are clusters: zoom in or '
                            'click.</div>')


POPUP_LABELS = ("Where", "Address", "Postcode", "Opening hours", "Contact")


def popup_values(row) -> list[str]:
    """Escaped popup values aligned with POPUP_LABELS."""
    return [f"<em>{esc(row['location_note'])}</em>" if row.get("location_note") else "",
            esc(row.get("address")), esc(row.get("postcode")), esc(row.get("opening_hours")),
            esc(row.get("contact"))]


def add_to(m, assets, *, name: str = "Community assets", show: bool = True,
           link_template: str | None = None, legend: bool = True, legend_open: bool = False):
    """Clustered markers for ``assets`` (already passed through privacy.public_assets)."""
    cats = list(ASSET_CATEGORIES)
    styles = [(CATEGORY_COLOURS.get(c, "#999999"), esc(CATEGORY_SYMBOLS.get(c, "?"))) for c in cats]
    index = {c: i for i, c in enumerate(cats)}
    rows = marker_rows(assets, style_of=lambda r: index.get(r.get("category"), index["other"]),
                       subtitle_of=_subtitle, values_of=popup_values,
                       link_template=link_template)
    layer = cluster_layer(rows, styles=styles, labels=POPUP_LABELS, name=name, show=show)
    layer.add_to(m)
    if legend:
        present = [c for c in ASSET_CATEGORIES if c in set(assets.get("category", []))]
        add_legend(m, layer, name, legend_html(present or None), open_=legend_open)
    return layer
