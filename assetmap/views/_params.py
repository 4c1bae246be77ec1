"""Numbers from a request, parsed in one place: finite, bounded, never an exception.

Every view that reads a number from a query string or form uses these, so ``1e309``,
``nan``, ``inf``, ``-1`` or a 5,000-digit id gives the page's own "bad input" answer (an
:class:`~assetmap.errors.InputError`: 400 with a message) or a clamped value, never an
``OverflowError`` or a 500. :class:`BoundedIntConverter` replaces Flask's ``<int:...>``
converter so ids past 64 bits are simply not found (404).
"""
from __future__ import annotations

import json
import math

from werkzeug.routing import IntegerConverter

from .. import settings
from ..errors import InputError

#: Longer "numbers" are refused before parsing (no real parameter is this long).
MAX_CHARS = 40


def _text(value, name: str) -> str:
    text = str(value).replace("£", "").strip()
    if len(text) > MAX_CHARS:
        raise InputError("is not a number", field=name)
    return text


def _parse(value, name: str) -> float:
    text = _text(value, name)
    try:
        f = float(text)
    except (TypeError, ValueError):
        raise InputError(f"'{text}' is not a number", field=name) from None
    if not math.isfinite(f):
        raise InputError(f"'{text}' is not a finite number", field=name)
    return f


def number(value, name: str = "value", *, default=None, lo: float | None = None,
           hi: float | None = None, integer: bool = False, clamp: bool = False):
    """``value`` (text from a request) as a finite float, or an int with ``integer``.

    Blank or missing gives ``default``. Outside ``lo``..``hi`` the value is clamped with
    ``clamp``, else refused. Refusals are :class:`InputError` naming ``name``."""
    if value is None or str(value).strip() == "":
        return default
    f: float | int = _whole(value, name) if integer else _parse(value, name)
    kind = int if integer else float
    if lo is not None and f < lo:
        if not clamp:
            raise InputError(f"must be at least {_show(lo)}", field=name)
        f = kind(lo)
    if hi is not None and f > hi:
        if not clamp:
            raise InputError(f"must be at most {_show(hi)}", field=name)
        f = kind(hi)
    return f


def _show(x) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def _whole(value, name: str) -> int:
    try:
        return int(_text(value, name))        # exact, however long (up to MAX_CHARS)
    except ValueError:
        pass
    f = _parse(value, name)                   # "5.0", "1e3"
    if f != int(f):
        raise InputError(f"'{value}' is not a whole number", field=name)
    return int(f)


def lenient(value, name: str = "value", *, default=None, **kw):
    """Like :func:`number`, but bad input gives ``default`` (optional filters that a page
    simply ignores when they are not numbers)."""
    try:
        return number(value, name, default=default, **kw)
    except InputError:
        return default


def integers(value, name: str = "value", *, lo: float, hi: float, max_items: int,
             clamp: bool = True) -> list[int] | None:
    """A comma-separated list of whole numbers (at most ``max_items``), each bounded."""
    if value is None or str(value).strip() == "":
        return None
    parts = [p for p in str(value).split(",") if p.strip()][:max_items]
    return [number(p, name, lo=lo, hi=hi, integer=True, clamp=clamp) for p in parts] or None


def record_id(value, name: str = "id") -> int:
    """A store id or version from a form: a whole number from 0 to 2**63 - 1."""
    if value is None or str(value).strip() == "":
        raise InputError("the form is incomplete; reload the page and try again", field=name)
    return number(value, name, lo=0, hi=settings.MAX_ID, integer=True)


def _finite_float(text: str) -> float:
    f = float(text)
    if not math.isfinite(f):
        raise ValueError(f"{text} is not a finite number")
    return f


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            escaped = ch == "\\" and not escaped
            in_string = escaped or ch != '"'
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def json_value(text, name: str, *, message: str, max_chars: int = 200_000,
               max_depth: int = 8):
    """JSON from a request (a drawn polygon): at most ``max_chars`` long and ``max_depth``
    deep, every number finite; otherwise :class:`InputError` with ``message``. Blank: None."""
    if text is None or str(text).strip() == "":
        return None
    text = str(text).strip()
    if len(text) > max_chars or _depth(text) > max_depth:
        raise InputError(message, field=name)
    try:
        return json.loads(text, parse_float=_finite_float, parse_int=_finite_float,
                          parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InputError(message, field=name) from None


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` limited to the store's 64-bit ids: a longer id does not match the
    route, so it is a plain 404 instead of "int too large" from the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", settings.MAX_ID)
        super().__init__(map, *args, **kwargs)
