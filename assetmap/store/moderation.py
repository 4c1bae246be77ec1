"""The contribution and moderation workflow (issue 6): submissions of new assets and of
proposed changes, amended by their contributor, edited, approved or rejected by a planner,
every step under optimistic locking; and a planner's "still true" review of an asset."""
from __future__ import annotations

import json
import uuid

import shapely
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from ..errors import ConflictError, InputError, NotFound
from .assets import AssetsMixin
from .core import _int, inserted_id, now_iso
from .schema import assets, providers, submissions


def _as_json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, default=str)


class ModerationMixin(AssetsMixin):
    """Submissions and their review (mixed into ``Store``; uses the ``AssetsMixin`` helpers
    for every change to an asset)."""

    # --- new submissions -------------------------------------------------------------
    def create_submission(self, data: dict, *, token_hash: str | None,
                          submitted_by: str | None, asset_id: str | None = None,
                          conn: Connection | None = None) -> dict:
        """Store a new contributed asset as ``pending`` (invisible to public reads) with its
        service record, a first version and a submission row. ``data`` is
        ``submissions.Contribution.as_data()``. Returns {"id", "asset_id"}."""
        stamp = now_iso()
        asset_id = asset_id or f"community-{uuid.uuid4().hex[:16]}"
        who = submitted_by or "community (anonymous)"
        row = {**{k: data["asset"].get(k) for k in self.EDITABLE_ASSET_FIELDS},
               "id": asset_id, "source": "community", "status": "pending", "version": 1,
               "created_by": who, "created_at": stamp, "updated_by": who, "updated_at": stamp,
               "last_reviewed": None}
        clean = self._clean_asset(row, shapely.Point(data["lon"], data["lat"]), "submission")
        prov = None if not data.get("provider") else \
            self._clean_provider(asset_id, data["provider"], "submission")
        with self._use(conn, write=True) as c:
            c.execute(insert(assets).values(**clean))
            if prov:
                c.execute(insert(providers).values(**prov))
            self._record_version(c, asset_id, "submitted", who, stamp)
            sid = inserted_id(c.execute(insert(submissions).values(
                asset_id=asset_id, kind="new", status="pending",
                data=_as_json(data), base_version=1,
                token_hash=token_hash, submitted_by=submitted_by, created_at=stamp,
                updated_at=stamp, version=1)))
        return {"id": int(sid), "asset_id": asset_id}

    def propose_update(self, asset_id: str, data: dict, *, token_hash: str | None,
                       submitted_by: str | None, conn: Connection | None = None) -> dict:
        """A proposed change to an existing asset; the asset is untouched until approved."""
        stamp = now_iso()
        with self._begin(conn) as c:
            row, _ = self._asset_and_provider(c, asset_id)
            sid = inserted_id(c.execute(insert(submissions).values(
                asset_id=asset_id, kind="update", status="pending",
                data=_as_json(data),
                base_version=row["version"], token_hash=token_hash,
                submitted_by=submitted_by, created_at=stamp, updated_at=stamp, version=1)))
        return {"id": int(sid), "asset_id": asset_id}

    # --- reading submissions ---------------------------------------------------------
    def _submission_query(self):
        return (select(submissions, assets.c.name.label("asset_name"),
                       assets.c.status.label("asset_status"),
                       assets.c.version.label("asset_version"),
                       assets.c.category.label("asset_category"),
                       assets.c.home_based.label("asset_home_based"))
                .join(assets, assets.c.id == submissions.c.asset_id))

    @staticmethod
    def _submission_dict(r) -> dict:
        d = dict(r._mapping)
        d["data"] = json.loads(d["data"])
        return d

    def get_submission(self, submission_id: int, conn: Connection | None = None) -> dict:
        with self._use(conn) as c:
            r = c.execute(self._submission_query().where(submissions.c.id == _int(submission_id))
                          ).first()
        if r is None:
            raise NotFound(f"no submission {submission_id}")
        return self._submission_dict(r)

    def submission_by_token(self, token_hash: str, conn: Connection | None = None) -> dict:
        """The latest submission made through one private link."""
        with self._use(conn) as c:
            r = c.execute(self._submission_query().where(submissions.c.token_hash == token_hash)
                          .order_by(submissions.c.id.desc()).limit(1)).first()
        if r is None:
            raise NotFound("this link does not match any submission")
        return self._submission_dict(r)

    def list_submissions(self, statuses=("pending",), *, submitted_by: str | None = None,
                         asset_id: str | None = None, limit: int | None = None,
                         conn: Connection | None = None) -> list[dict]:
        q = self._submission_query().order_by(submissions.c.id)
        if statuses is not None:
            q = q.where(submissions.c.status.in_(list(statuses)))
        if submitted_by is not None:
            q = q.where(submissions.c.submitted_by == submitted_by)
        if asset_id is not None:
            q = q.where(submissions.c.asset_id == asset_id)
        if limit:
            q = q.limit(limit)
        with self._use(conn) as c:
            return [self._submission_dict(r) for r in c.execute(q)]

    def count_submissions(self, conn: Connection | None = None) -> dict:
        with self._use(conn) as c:
            return {k: int(v) for k, v in c.execute(
                select(submissions.c.status, func.count()).group_by(submissions.c.status))}

    # --- changing submissions --------------------------------------------------------
    def _bump_submission(self, c: Connection, sub: dict, expected_version: int | None,
                         **values) -> None:
        q = update(submissions).where(submissions.c.id == sub["id"])
        if expected_version is not None:
            q = q.where(submissions.c.version == _int(expected_version))
        res = c.execute(q.values(version=submissions.c.version + 1, updated_at=now_iso(),
                                 **values))
        if res.rowcount != 1:
            raise ConflictError(
                f"submission {sub['id']} ('{sub.get('asset_name')}') was changed by someone "
                "else while you were working on it (amended by its contributor or handled by "
                "another planner); nothing was overwritten. Reload the page and check again.")

    def amend_submission(self, submission_id: int, data: dict, *, expected_version: int | None,
                         changed_by: str | None, conn: Connection | None = None) -> dict:
        """The contributor (or a planner) changes a submission. A pending or rejected new
        asset is edited in place (and is pending again); an approved asset gets a new
        ``update`` proposal (its public record changes only when a planner approves)."""
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if expected_version is not None and sub["version"] != expected_version:
                self._bump_submission(c, sub, expected_version)  # raises ConflictError
            if sub["kind"] == "new" and sub["asset_status"] in ("pending", "rejected"):
                self.update_asset(sub["asset_id"], data, expected_version=sub["asset_version"],
                                  changed_by=changed_by, action="amended", status="pending",
                                  conn=c)
                self._bump_submission(c, sub, sub["version"], status="pending",
                                      data=_as_json(data),
                                      reason=None, reviewed_by=None, reviewed_at=None)
                return {"id": sub["id"], "asset_id": sub["asset_id"], "kind": "new"}
            if sub["kind"] == "update" and sub["status"] in ("pending", "rejected"):
                self._bump_submission(c, sub, sub["version"], status="pending",
                                      data=_as_json(data),
                                      base_version=sub["asset_version"], reason=None,
                                      reviewed_by=None, reviewed_at=None)
                return {"id": sub["id"], "asset_id": sub["asset_id"], "kind": "update"}
            if sub["asset_status"] == "retired":
                raise ConflictError("this asset has been retired; it can no longer be changed "
                                    "here (ask a planner)")
            return self._new_proposal(c, sub, data)

    def _new_proposal(self, c: Connection, sub: dict, data: dict) -> dict:
        """An approved asset's change: a fresh proposal through the same private link."""
        stamp = now_iso()
        sid = inserted_id(c.execute(insert(submissions).values(
            asset_id=sub["asset_id"], kind="update", status="pending",
            data=_as_json(data),
            base_version=sub["asset_version"], token_hash=sub["token_hash"],
            submitted_by=sub["submitted_by"], created_at=stamp, updated_at=stamp,
            version=1)))
        return {"id": int(sid), "asset_id": sub["asset_id"], "kind": "update"}

    def edit_submission(self, submission_id: int, data: dict, *, expected_version: int,
                        expected_asset_version: int, changed_by: str,
                        conn: Connection | None = None) -> None:
        """A planner corrects a pending submission before deciding on it."""
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if sub["status"] != "pending":
                raise ConflictError(f"submission {submission_id} is already {sub['status']}")
            self._bump_submission(c, sub, expected_version, data=_as_json(data))
            if sub["kind"] == "new":
                self.update_asset(sub["asset_id"], data, expected_version=expected_asset_version,
                                  changed_by=changed_by, action="edit", conn=c)

    # --- decisions -------------------------------------------------------------------
    def approve_submission(self, submission_id: int, *, expected_version: int,
                           expected_asset_version: int, reviewer: str,
                           conn: Connection | None = None) -> int:
        """Publish a submission: a new asset becomes ``approved``; an update is applied to
        the asset. Both versions must be the ones the reviewer saw (else ConflictError).
        Returns the asset's new version."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if sub["status"] != "pending":
                raise ConflictError(f"submission {submission_id} was already {sub['status']} "
                                    f"by {sub['reviewed_by'] or 'someone else'}")
            self._bump_submission(c, sub, expected_version, status="approved",
                                  reviewed_by=reviewer, reviewed_at=stamp)
            if sub["kind"] == "new":
                return self._set_status_locked(
                    c, sub["asset_id"], "approved", expected_version=expected_asset_version,
                    changed_by=reviewer, action="approved", reason=None, stamp=stamp)
            return self.update_asset(sub["asset_id"], sub["data"],
                                     expected_version=expected_asset_version,
                                     changed_by=reviewer, action="approved update",
                                     reviewed=True, conn=c)

    def reject_submission(self, submission_id: int, *, reason: str, expected_version: int,
                          expected_asset_version: int | None, reviewer: str,
                          conn: Connection | None = None) -> None:
        """Turn a submission down with a reason (shown to its contributor). A new asset
        becomes ``rejected`` (kept, never deleted)."""
        if not (reason or "").strip():
            raise InputError("give a reason for rejecting (the contributor sees it)",
                             field="reason")
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            sub = self.get_submission(submission_id, conn=c)
            if sub["status"] != "pending":
                raise ConflictError(f"submission {submission_id} was already {sub['status']}")
            self._bump_submission(c, sub, expected_version, status="rejected",
                                  reviewed_by=reviewer, reviewed_at=stamp, reason=reason)
            if sub["kind"] == "new":
                self._set_status_locked(
                    c, sub["asset_id"], "rejected",
                    expected_version=sub["asset_version"] if expected_asset_version is None
                    else expected_asset_version,
                    changed_by=reviewer, action="rejected", reason=reason, stamp=stamp)

    def mark_reviewed(self, asset_id: str, *, expected_version: int, changed_by: str,
                      conn: Connection | None = None) -> int:
        """Record that a planner checked the record is still true (resets its review date)."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            res = c.execute(update(assets).where((assets.c.id == asset_id)
                                                 & (assets.c.version == _int(expected_version)))
                            .values(version=assets.c.version + 1, last_reviewed=stamp,
                                    updated_by=changed_by, updated_at=stamp))
            if res.rowcount != 1:
                raise self._conflict(c, asset_id)
            return self._record_version(c, asset_id, "reviewed", changed_by, stamp)
