"""Opening hours: the form's grid of days <-> OSM ``opening_hours`` text.

:func:`compose_opening_hours` writes the subset of the OSM syntax the form produces
(``Mo-Fr 09:00-17:00; Sa 10:00-12:00 || "by appointment"``); :func:`parse_opening_hours`
reads that subset back, so a stored record can fill the form again. Other syntax is kept
as free text.
"""
from __future__ import annotations

import re

DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                            "Saturday", "Sunday")))

#: A time of day as the form takes it: hours and minutes, 00:00 to 23:59.
TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def compose_opening_hours(times: dict, notes: str = "") -> str | None:
    """{'Mo': ('09:00', '17:00'), ...} + notes -> OSM opening_hours ('Mo-Fr 09:00-17:00;
    Sa 10:00-12:00 || "by appointment"'); consecutive days with equal hours are joined."""
    rules, i = [], 0
    while i < len(DAYS):
        d = DAYS[i]
        if d not in times:
            i += 1
            continue
        j = i
        while j + 1 < len(DAYS) and times.get(DAYS[j + 1]) == times[d]:
            j += 1
        span = d if j == i else (f"{d},{DAYS[j]}" if j == i + 1 else f"{d}-{DAYS[j]}")
        rules.append(f"{span} {times[d][0]}-{times[d][1]}")
        i = j + 1
    out = "; ".join(rules)
    notes = (notes or "").replace('"', "'").strip()
    if notes:
        out = f'{out} || "{notes}"' if out else f'"{notes}"'
    return out or None


def _rule_days(spec: str) -> list[str] | None:
    """'Mo-We,Fr' -> ['Mo', 'Tu', 'We', 'Fr']; None for anything else."""
    days: list[str] = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            if a not in DAYS or b not in DAYS:
                return None
            days += list(DAYS[DAYS.index(a):DAYS.index(b) + 1])
        elif part in DAYS:
            days.append(part)
        else:
            return None
    return days


def parse_opening_hours(text: str | None) -> tuple[dict, str] | None:
    """The inverse of :func:`compose_opening_hours` for the subset it writes; None when the
    text uses other syntax (it is then kept as free text)."""
    if not text or not str(text).strip():
        return {}, ""
    text = str(text).strip()
    notes = ""
    m = re.search(r'(?:^|\s*\|\|\s*)"([^"]*)"\s*$', text)
    if m:
        notes = m.group(1)
        text = text[:m.start()].strip()
    times: dict = {}
    if not text:
        return times, notes
    for rule in text.split(";"):
        m = re.fullmatch(r"([A-Za-z,\-]+)\s+(\d\d:\d\d)-(\d\d:\d\d)", rule.strip())
        days = _rule_days(m.group(1)) if m else None
        if m is None or days is None:
            return None
        for d in days:
            times[d] = (m.group(2), m.group(3))
    return times, notes


def opening_form_values(text: str | None) -> dict:
    """Form field values (oh_mo_open, ..., opening_notes) for stored opening hours."""
    parsed = parse_opening_hours(text)
    if parsed is None:
        return {"opening_notes": str(text)[:200]}
    times, notes = parsed
    out = {"opening_notes": notes}
    for d, (a, b) in times.items():
        out[f"oh_{d.lower()}_open"], out[f"oh_{d.lower()}_close"] = a, b
    return out
