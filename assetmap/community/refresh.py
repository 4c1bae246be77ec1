"""The analysis refresh after approvals: ``settings.ANALYSIS_REFRESH`` says whether it runs
in the request (``sync``), in one debounced background worker per store (``background``:
a burst of approvals makes one run), or not at all (``off``)."""
from __future__ import annotations

import logging
import threading
import time

from .. import settings

log = logging.getLogger(__name__)


class _Refresher:
    """One background worker per store: approvals ask for a refresh; a burst of requests
    while a run is going yields exactly one more run afterwards."""

    def __init__(self, store) -> None:
        self.store = store
        self.cond = threading.Condition()
        self.wanted = 0
        self.done = 0
        self.running = False
        self.last_error: str | None = None
        self.last_run_id = None
        self.thread: threading.Thread | None = None
        self.delay = settings.ANALYSIS_REFRESH_DELAY_S
        self.max_delay = 10 * settings.ANALYSIS_REFRESH_DELAY_S

    def request(self) -> None:
        with self.cond:
            self.wanted += 1
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._loop, daemon=True,
                                               name="assetmap-refresh")
                self.thread.start()
            self.cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self.cond:
                if self.done >= self.wanted:
                    self.running = False
                    self.thread = None
                    self.cond.notify_all()
                    return
                # debounce: wait for a quiet moment (bounded) so a burst makes one run
                start = time.monotonic()
                while True:
                    seen = self.wanted
                    self.cond.wait(self.delay)
                    if self.wanted == seen or time.monotonic() - start > self.max_delay:
                        break
                target = self.wanted
                self.running = True
            run_now(self.store, self)
            with self.cond:
                self.done = target
                self.cond.notify_all()

    def wait(self, timeout: float = 60.0) -> bool:
        end = time.monotonic() + timeout
        with self.cond:
            while self.done < self.wanted:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


_refreshers: dict[str, _Refresher] = {}
_refreshers_lock = threading.Lock()


def run_now(store, state: _Refresher | None = None):
    """Run the analysis pipeline on ``store`` now; returns the run id or None. Robust to the
    pipeline being absent or failing (logged; the approval itself stands)."""
    try:
        from .. import pipeline
    except ImportError:
        log.info("analysis pipeline not installed; nothing to refresh")
        return None
    try:
        latest = store.latest_run()
        if latest is not None and latest["data_version"] == store.data_version():
            # another process (or an earlier refresh) already analysed this data version
            if state is not None:
                state.last_run_id, state.last_error = latest["id"], None
            return latest["id"]
        result = pipeline.run(store)
        run = store.latest_run()
        run_id = run["id"] if run else getattr(result, "run_id", None)
        if state is not None:
            state.last_run_id, state.last_error = run_id, None
        return run_id
    except Exception as e:  # noqa: BLE001 - a failed refresh must not fail an approval
        log.exception("analysis refresh failed")
        if state is not None:
            state.last_error = f"{type(e).__name__}: {e}"
        return None


def refresher(store) -> _Refresher:
    with _refreshers_lock:
        r = _refreshers.get(store.url)
        if r is None or r.store is not store and r.thread is None:
            r = _refreshers[store.url] = _Refresher(store)
        return r


def request_refresh(store, mode: str | None = None):
    """Refresh the gap analysis after an approval (``settings.ANALYSIS_REFRESH`` mode)."""
    mode = mode or settings.ANALYSIS_REFRESH
    if mode == "off":
        return None
    if mode == "sync":
        return run_now(store)
    refresher(store).request()
    return None
