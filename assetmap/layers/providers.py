"""Micro-providers as clustered markers coloured by quality mark (with a letter, so colour
is not the only cue). Home-based providers arrive already moved to an approximate location
by privacy.public_assets; the popup says so."""
from __future__ import annotations

from .. import focus, trust
from ..analysis import capacity, reach
from ..model import CLIENT_GROUPS, SERVICE_TYPES, split_list
from ._legend import add_legend
from ._markers import cluster_layer, marker_rows, text_colour
from ._markers import popup_html as _popup
from ._style import esc

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
    """Popup text for one provider; every user-typed string escaped."""
    return _popup(esc(row.get("name")), SUBTITLE, POPUP_LABELS, popup_values(row),
                  esc(link) if link else "")


def legend_html() -> str:
    rows = []
    for q in ("gold", "silver", "bronze", "none"):
        col = QUALITY_COLOURS[q]
        rows.append(f'<div class="am-legend-row"><span class="am-pin am-pin-sm" '
                    f'style="background:{col};color:{text_colour(col)}">{QUALITY_SYMBOLS[q]}</span>'
                    f'{esc(QUALITY_LABELS[q])}</div>')
    return "".join(rows) + ('<div class="am-legend-note">Home-based providers are shown '
                            'only at an approximate location.</div>')


POPUP_LABELS = ("Where", "Services", "For", "Reach", "Price", "Quality mark", "CQC rating",
                "Capacity", "Vacancies", "Direct payments", "CQC registered",
                "Preferred list", "Community focus", "Contact")
MARKS = ("gold", "silver", "bronze", "none")
SUBTITLE = "Micro-provider"


def _capacity(row) -> str:
    """'40 hours a week' / '6 places' ('' when not given)."""
    unit = capacity.provider_unit(row)
    v = row.get("capacity_places" if unit == "places" else "capacity_hours")
    if v is None or v != v:
        return ""
    return capacity.amount(v, unit).removeprefix("about ")


def _price(row) -> str:
    """'£18.00 an hour (GBP 2.00 below the council rate)' (the comparison when the council
    set its rate, settings.COUNCIL_HOURLY_RATE)."""
    p = price_text(row.get("hourly_price"))
    against = trust.price_against_rate(row.get("hourly_price"))
    return f"{p} ({against})" if p and against else p


def _focus(row) -> str:
    """The vocabulary's terms, then the free text when it says more."""
    terms = focus.labels_text(row.get("community_tags"))
    text = row.get("community_focus")
    text = "" if text is None or text != text else str(text)
    parts = [terms] if terms else []
    if text and text.lower() != terms.lower():
        parts.append(text)
    return "; ".join(parts)


def _preferred(row) -> str:
    """Said only where the council publishes its list (the public frame holds the flag
    then: privacy.public_assets drops it otherwise)."""
    v = row.get("preferred_list")
    return "Yes" if trust.preferred_visible(False) and (v is True or v == 1) else ""


def popup_values(row) -> list[str]:
    return [f"<em>{esc(row['location_note'])}</em>" if row.get("location_note") else "",
            esc(labels(row.get("service_types"), SERVICE_TYPES)),
            esc(labels(row.get("client_groups"), CLIENT_GROUPS)),
            esc(reach.describe(row)), esc(_price(row)),
            esc(trust.quality_text(row.get("quality_mark"), row.get("quality_mark_by"))),
            esc(trust.cqc_text(row.get("cqc_rating")).removeprefix("CQC: ")),
            esc(_capacity(row)),
            esc(capacity.vacancy_text(row).removeprefix("Vacancies: ")),
            yes_no(row.get("direct_payments")), yes_no(row.get("cqc_registered")),
            _preferred(row), esc(_focus(row)), esc(row.get("contact"))]


def add_to(m, providers, *, name: str = "Micro-providers", show: bool = True,
           link_template: str | None = None, legend: bool = True, legend_open: bool = False):
    """Clustered markers for ``providers`` (already passed through privacy.public_assets)."""
    styles = [(QUALITY_COLOURS[q], QUALITY_SYMBOLS[q]) for q in MARKS]

    def style_of(row):
        q = row.get("quality_mark") or "none"
        return MARKS.index(q) if q in MARKS else MARKS.index("none")
    rows = marker_rows(providers, style_of=style_of, subtitle_of=lambda r: SUBTITLE,
                       values_of=popup_values, link_template=link_template)
    layer = cluster_layer(rows, styles=styles, labels=POPUP_LABELS, name=name, show=show)
    layer.add_to(m)
    if legend:
        add_legend(m, layer, name, legend_html(), open_=legend_open, method="supply")
    return layer
