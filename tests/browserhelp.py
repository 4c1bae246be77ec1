"""Helpers for the browser tests: a page that works offline (every request off loopback is
refused, so no tile or CDN is ever fetched) and records its JavaScript errors."""
from __future__ import annotations


def offline_page(browser, width: int = 1366, height: int = 900):
    """A new page in its own context, ``width`` x ``height``, with ``page.js_errors``."""
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    pg.js_errors = []
    pg.on("pageerror", lambda e: pg.js_errors.append(str(e)))
    pg.route("**/*", lambda route: route.abort()
             if not route.request.url.startswith("http://127.0.0.1") else route.continue_())
    return pg
