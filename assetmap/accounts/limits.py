"""Rate limits and sign-in delays (issue 13). The policy lives here; the counts live in a
*backend*: the store (``assetmap.store.limits``: shared by every process, kept across
restarts) for the web app, or :class:`MemoryLimits` (this process only) when there is no
store. Both offer the same methods; times are seconds since the epoch from :func:`now`.

* :class:`RateLimiter` at most ``limit`` events per ``window`` seconds per key (sliding
  window): submissions and postcode lookups per address, failed sign-ins per address;
* :class:`LoginThrottle` failed sign-ins per (account, address) pair with growing delays:
  never a lock on an account, so guesses from one address cannot keep its owner out.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque

from .. import settings


def now() -> float:
    """The clock limits are timed by (tests replace it)."""
    return time.time()


class MemoryLimits:
    """The backend methods of ``Store`` (rate_* and *login_failure*), in this process's
    memory: thread-safe, bounded to ``max_keys`` keys."""

    def __init__(self, max_keys: int = 100_000):
        self.max_keys = max_keys
        self._events: dict[tuple, deque] = {}
        self._failures: dict[tuple, list] = {}
        self._lock = threading.Lock()

    def _queue(self, bucket, key, now, window) -> deque:
        q = self._events.get((bucket, key))
        if q is None:
            if len(self._events) >= self.max_keys:
                self._events.clear()
            q = self._events[(bucket, key)] = deque()
        while q and q[0] <= now - window:
            q.popleft()
        return q

    @staticmethod
    def _wait(q: deque, now, window, limit) -> float:
        return 0.0 if len(q) < limit else max(1e-3, q[-limit] + window - now)

    def rate_wait(self, bucket, key, *, now, window, limit) -> float:
        with self._lock:
            return self._wait(self._queue(bucket, key, now, window), now, window, limit)

    def rate_hit(self, bucket, key, *, now, window, limit) -> float:
        with self._lock:
            q = self._queue(bucket, key, now, window)
            wait = self._wait(q, now, window, limit)
            if not wait:
                q.append(now)
            return wait

    def rate_reset(self, bucket, key) -> None:
        with self._lock:
            self._events.pop((bucket, key), None)

    def login_failures_of(self, account, address, *, since) -> tuple[int, float | None]:
        with self._lock:
            n, last = self._failures.get((account, address), (0, None))
        return (0, None) if last is None or last <= since else (n, last)

    def record_login_failure(self, account, address, *, now, forget_before) -> int:
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._failures = {k: v for k, v in self._failures.items()
                                  if v[1] >= forget_before}
            n, last = self._failures.get((account, address), (0, None))
            n = 1 if last is None or last < forget_before else n + 1
            self._failures[(account, address)] = [n, now]
            return n

    def clear_login_failures(self, account, address) -> None:
        with self._lock:
            self._failures.pop((account, address), None)


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key (sliding window), counted
    under ``bucket`` in ``backend`` (default: a private :class:`MemoryLimits`)."""

    def __init__(self, limit: int, window: float, backend=None, bucket: str = "default"):
        self.limit, self.window = int(limit), float(window)
        self.backend = backend if backend is not None else MemoryLimits()
        self.bucket = bucket

    def blocked(self, key: str) -> float:
        """Seconds until ``key`` may act again (0 when it may act now)."""
        return self.backend.rate_wait(self.bucket, key, now=now(), window=self.window,
                                      limit=self.limit)

    def hit(self, key: str) -> bool:
        """Record an event; False (and nothing recorded) when over the limit."""
        return not self.backend.rate_hit(self.bucket, key, now=now(), window=self.window,
                                         limit=self.limit)

    def reset(self, key: str) -> None:
        self.backend.rate_reset(self.bucket, key)


def login_delay(failures: int, free: int, first: float, cap: float) -> float:
    """Seconds a pair with ``failures`` recent failed sign-ins waits after its last one: none
    for the first ``free``, then ``first``, doubling with each further failure, at most
    ``cap``."""
    if failures < max(int(free), 1):
        return 0.0
    return float(min(cap, first * 2.0 ** min(failures - free, 60)))


class LoginThrottle:
    """Failed sign-ins per (account, address) pair with growing delays (settings
    LOGIN_MAX_FAILURES, LOGIN_FIRST_DELAY_S, LOGIN_MAX_DELAY_S, LOGIN_FAILURE_MEMORY_S unless
    given). ``account`` is the name as typed, known or not (no enumeration)."""

    def __init__(self, backend, *, free: int | None = None, first: float | None = None,
                 cap: float | None = None, memory: float | None = None):
        self.backend = backend
        self.free = settings.LOGIN_MAX_FAILURES if free is None else int(free)
        self.first = settings.LOGIN_FIRST_DELAY_S if first is None else float(first)
        self.cap = settings.LOGIN_MAX_DELAY_S if cap is None else float(cap)
        self.memory = settings.LOGIN_FAILURE_MEMORY_S if memory is None else float(memory)

    @staticmethod
    def _key(account: str) -> str:
        return (account or "").strip().lower()[:100]

    def wait(self, account: str, address: str) -> float:
        """Seconds before the pair may try again (0: now)."""
        t = now()
        n, last = self.backend.login_failures_of(self._key(account), address,
                                                 since=t - self.memory)
        if not n:
            return 0.0
        return max(0.0, last + login_delay(n, self.free, self.first, self.cap) - t)

    def failed(self, account: str, address: str) -> int:
        t = now()
        return self.backend.record_login_failure(self._key(account), address, now=t,
                                                 forget_before=t - self.memory)

    def succeeded(self, account: str, address: str) -> None:
        self.backend.clear_login_failures(self._key(account), address)


def wait_message(seconds: float) -> str:
    """"about 3 minutes", "12 seconds"."""
    if seconds < 60:
        s = max(1, math.ceil(seconds))
        return f"{s} second{'s' if s != 1 else ''}"
    minutes = int(seconds // 60) + 1
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"
