"""Rate-limit events and failed sign-ins (issue 13), kept in the store so limits hold across
restarts and across every process serving the app (SQLite file or PostgreSQL, the same
code). The policy (how many, how long, growing delays) is ``assetmap.accounts.limits``; these
methods only count, with times passed in (seconds since the epoch), and prune what has
expired. None of them changes the data version: they are not data the maps are built from.
"""
from __future__ import annotations

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from .schema import login_failures, rate_events

#: Longest keys stored (longer ones are cut: an address is at most 45 characters).
_KEY_MAX, _ACCOUNT_MAX, _ADDRESS_MAX = 200, 100, 64


def _lock(conn: Connection, *parts: str) -> None:
    """Serialise concurrent counters of one key. SQLite already serialises write
    transactions (each method below writes first); PostgreSQL takes a transaction-level
    advisory lock on the key's hash."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                     {"k": "assetmap-limit:" + "\x1f".join(parts)})


class LimitsMixin:
    """Sliding-window rate limits and per-(account, address) failed sign-ins (mixed into
    ``Store``)."""

    # --- sliding windows ---------------------------------------------------------------------
    @staticmethod
    def _rate_wait(conn: Connection, bucket: str, key: str, now: float, window: float,
                   limit: int) -> float:
        """Seconds until fewer than ``limit`` events of the key fall within the window."""
        recent = conn.execute(
            select(rate_events.c.at)
            .where(rate_events.c.bucket == bucket, rate_events.c.key == key,
                   rate_events.c.at > now - window)
            .order_by(rate_events.c.at.desc()).limit(max(int(limit), 1))).scalars().all()
        if len(recent) < limit:
            return 0.0
        return max(0.0, float(recent[-1]) + window - now) or 1e-3

    def rate_wait(self, bucket: str, key: str, *, now: float, window: float,
                  limit: int) -> float:
        """Seconds until ``key`` may act again in ``bucket`` (0.0: now)."""
        with self.engine.connect() as c:
            return self._rate_wait(c, bucket, str(key)[:_KEY_MAX], now, window, limit)

    def rate_hit(self, bucket: str, key: str, *, now: float, window: float,
                 limit: int) -> float:
        """Count one event unless the key is over its limit: 0.0 when counted, else the
        seconds to wait (nothing counted). Prunes the bucket's expired events."""
        key = str(key)[:_KEY_MAX]
        with self.engine.begin() as c:
            c.execute(delete(rate_events).where(rate_events.c.bucket == bucket,
                                                rate_events.c.at <= now - window))
            _lock(c, bucket, key)
            wait = self._rate_wait(c, bucket, key, now, window, limit)
            if not wait:
                c.execute(insert(rate_events).values(bucket=bucket, key=key, at=float(now)))
            return wait

    def rate_reset(self, bucket: str, key: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(rate_events).where(rate_events.c.bucket == bucket,
                                                rate_events.c.key == str(key)[:_KEY_MAX]))

    # --- failed sign-ins per (account, address) ----------------------------------------------
    @staticmethod
    def _pair(account: str, address: str):
        return (login_failures.c.account == str(account)[:_ACCOUNT_MAX],
                login_failures.c.address == str(address)[:_ADDRESS_MAX])

    def login_failures_of(self, account: str, address: str, *,
                          since: float) -> tuple[int, float | None]:
        """(failures, time of the last) for the pair, counting only a run of failures whose
        last came after ``since`` (older runs are forgotten); (0, None) if none."""
        with self.engine.connect() as c:
            r = c.execute(select(login_failures.c.failures, login_failures.c.last_at)
                          .where(*self._pair(account, address))).first()
        if r is None or r.last_at <= since:
            return 0, None
        return int(r.failures), float(r.last_at)

    def record_login_failure(self, account: str, address: str, *, now: float,
                             forget_before: float) -> int:
        """Count a failed sign-in for the pair (a run whose last failure is older than
        ``forget_before`` starts again at 1) and prune forgotten pairs. Returns the count."""
        acc, addr = str(account)[:_ACCOUNT_MAX], str(address)[:_ADDRESS_MAX]
        for _ in range(3):          # two first failures of one pair at once: one inserts
            try:
                with self.engine.begin() as c:
                    return self._count_failure(c, acc, addr, float(now), float(forget_before))
            except IntegrityError:
                continue
        raise RuntimeError("could not record a failed sign-in")  # pragma: no cover

    def _count_failure(self, c: Connection, acc: str, addr: str, now: float,
                       forget_before: float) -> int:
        c.execute(delete(login_failures).where(login_failures.c.last_at < forget_before))
        _lock(c, "login", acc, addr)
        n = c.execute(select(login_failures.c.failures)
                      .where(*self._pair(acc, addr))).scalar()
        if n is None:
            c.execute(insert(login_failures).values(account=acc, address=addr, failures=1,
                                                    first_at=now, last_at=now))
            return 1
        c.execute(update(login_failures).where(*self._pair(acc, addr))
                  .values(failures=login_failures.c.failures + 1, last_at=now))
        return int(n) + 1

    def clear_login_failures(self, account: str, address: str) -> None:
        with self.engine.begin() as c:
            c.execute(delete(login_failures).where(*self._pair(account, address)))

    def prune_limits(self, *, before: float) -> int:
        """Remove every rate event and failed-sign-in run older than ``before``; returns the
        rows removed (the methods above also prune as they go)."""
        with self.engine.begin() as c:
            n = c.execute(delete(rate_events).where(rate_events.c.at < before)).rowcount
            n += c.execute(delete(login_failures)
                           .where(login_failures.c.last_at < before)).rowcount
        return int(n or 0)

    def limit_counts(self) -> dict[str, int]:
        """Rows held per table (for tests and ``assetmap info``-like checks)."""
        with self.engine.connect() as c:
            return {t.name: int(c.execute(select(func.count()).select_from(t)).scalar())
                    for t in (rate_events, login_failures)}
