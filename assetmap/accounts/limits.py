"""Rate limits on sign-in and submissions, in memory per process: one waitress process
serves the app, so that is the whole server."""
from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (sliding window, thread-safe,
    in memory). ``max_keys`` bounds the memory a flood of distinct keys can take."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000):
        self.limit, self.window, self.max_keys = int(limit), float(window), max_keys
        self._events: dict[str, deque] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque:
        q = self._events.get(key)
        if q is None:
            if len(self._events) >= self.max_keys:
                self._events.clear()
            q = self._events[key] = deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` may act again (0 when it may act now)."""
        now = time.monotonic()
        with self._lock:
            q = self._prune(key, now)
            if len(q) < self.limit:
                return 0.0
            return max(0.0, q[0] + self.window - now)

    def hit(self, key: str) -> bool:
        """Record an event; False (and nothing recorded) when over the limit."""
        now = time.monotonic()
        with self._lock:
            q = self._prune(key, now)
            if len(q) >= self.limit:
                return False
            q.append(now)
            return True

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


def wait_message(seconds: float) -> str:
    minutes = int(seconds // 60) + 1
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"
