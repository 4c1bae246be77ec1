"""Micro-providers as clustered markers coloured by quality mark (with a letter, so colour
is not the only cue). Home-based providers arrive already moved to an approximate location
by privacy.public_assets; the popup says so."""
from __future__ import annotations

from ..model import CLIENT_GROUPS, SERVICE_TYPES, split_list
from ._legend import add_legend
from ._markers import cluster_layer, text_colour
from ._style import esc, fmt, table_html

QUALITY_COLOURS = {"gold": "#E69F00", "silver": "#8A8A8A", "bronze": "#8C510A", "none": "#FFFFFF"}
QUALITY_SYMBOLS = {"gold": "G", "silver": "S", "bronze": "B", "none": "–"}
QUALITY_LABELS = {"gold": "Gold quality mark", "silver": "Silver quality mark",
                  "bronze": "Bronze quality mark", "none": "No quality mark"}


def labels(value, vocabulary) -> str:
    return ", ".join(vocabulary.get(v, v) for v in split_list(value))


def yes_no(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return "Yes" if bool(v) else "No"


def price_text(p) -> str:
    try:
        f = float(p)
    except (TypeError, ValueError):
        return ""
    return "" if f != f else f"£{f:,.2f} an hour"


def popup_html(row, link: str | None = None) -> str:
    q = row.get("quality_mark") or "none"
    rows = [
        ("Where", f"<em>{esc(row['location_note'])}</em>" if row.get("location_note") else ""),
        ("Services", esc(labels(row.get("service_types"), SERVICE_TYPES))),
        ("For", esc(labels(row.get("client_groups"), CLIENT_GROUPS))),
        ("Price", price_text(row.get("hourly_price"))),
        ("Quality mark", esc(QUALITY_LABELS.get(q, q))),
        ("CQC registered", yes_no(row.get("cqc_registered"))),
        ("Direct payments", yes_no(row.get("direct_payments"))),
        ("Vacancies", fmt(row.get("vacancies"), 0) if row.get("vacancies") is not None else ""),
        ("Community focus", esc(row.get("community_focus"))),
        ("Contact", esc(row.get("contact"))),
    ]
    out = f"<strong>{esc(row.get('name'))}</strong>" + table_html(rows)
    if link:
        out += f'<a href="{esc(link)}">More</a>'
    return out


def legend_html() -> str:
    rows = []
    for q in ("gold", "silver", "bronze", "none"):
        col = QUALITY_COLOURS[q]
        rows.append(f'<div class="am-legend-row"><span class="am-pin am-pin-sm" style="background:{col};'
                    f'color:{text_colour(col)}">{QUALITY_SYMBOLS[q]}</span>{esc(QUALITY_LABELS[q])}</div>')
    return "".join(rows) + ('<div class="am-legend-note">Home-based providers are shown '
                            'only at an approximate location.</div>')


POPUP_LABELS = ("Where", "Services", "For", "Price", "Quality mark", "Vacancies",
                "Direct payments", "CQC registered", "Community focus", "Contact")
MARKS = ("gold", "silver", "bronze", "none")


def popup_values(row) -> list[str]:
    q = row.get("quality_mark") or "none"
    vac = row.get("vacancies")
    return [f"<em>{esc(row['location_note'])}</em>" if row.get("location_note") else "",
            esc(labels(row.get("service_types"), SERVICE_TYPES)),
            esc(labels(row.get("client_groups"), CLIENT_GROUPS)),
            esc(price_text(row.get("hourly_price"))), esc(QUALITY_LABELS.get(q, q)),
            fmt(vac, 0) if vac is not None and vac == vac else "",
            yes_no(row.get("direct_payments")), yes_no(row.get("cqc_registered")),
            esc(row.get("community_focus")), esc(row.get("contact"))]


def add_to(m, providers, *, name: str = "Micro-providers", show: bool = True,
           link_template: str | None = None, legend: bool = True, legend_open: bool = False):
    styles = [(QUALITY_COLOURS[q], QUALITY_SYMBOLS[q]) for q in MARKS]
    rows = []
    geom = providers.geometry.name
    for row in providers.to_dict("records"):
        g = row[geom]
        if g is None or g.is_empty:
            continue
        q = row.get("quality_mark") or "none"
        link = esc(link_template.format(id=row["id"])) if link_template and row.get("id") else ""
        rows.append((g.y, g.x, MARKS.index(q) if q in MARKS else 3, esc(row.get("name")),
                     "Micro-provider", str(row.get("name") or ""), popup_values(row), link))
    layer = cluster_layer(rows, styles=styles, labels=POPUP_LABELS, name=name, show=show)
    layer.add_to(m)
    if legend:
        add_legend(m, layer, name, legend_html(), open_=legend_open)
    return layer
