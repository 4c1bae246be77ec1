"""Referrals (issue 11): records of a referrer sending a person to a provider, every status
change in ``referral_events``, providers' private links, and providers confirming their
vacancies without moderation.

The moves a referral may make are checked by ``assetmap.referrals.workflow`` inside the
transaction that makes them (optimistic locking on ``version``). Case references and notes
pass ``assetmap.referrals.identifiers`` here, so nothing that names a person is ever
stored. Referrals do not change the data version (maps are not built from them); a
provider's vacancies do (the directory shows them).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from .. import model, settings
from ..errors import ConflictError, InputError, NotFound
from ..referrals import identifiers, workflow
from .assets import AssetsMixin
from .core import _int, inserted_id, now_iso
from .schema import (
    areas,
    assets,
    meta_table,
    provider_links,
    providers,
    referral_events,
    referrals,
)

#: Columns of ``referral_counts``: the grouping keys, then the count.
COUNT_KEYS = ("service_type", "client_group", "area_code", "status", "answer",
              "decline_reason")


class ReferralsMixin(AssetsMixin):
    """Referrals, their audit trail, provider links and vacancy confirmations (mixed into
    ``Store``)."""

    # --- checks -------------------------------------------------------------------------
    def _place_words(self, c: Connection) -> set[str]:
        """Capitalised words that are places here, not names: area and ward names, the
        borough's name."""
        words: set[str] = set()
        for name, parent in c.execute(select(areas.c.name, areas.c.parent_name)):
            words.update(str(v) for v in (name, parent) if v)
        borough = c.execute(select(meta_table.c.value).where(meta_table.c.key == "area_name")
                            ).scalar()
        words.update([str(borough or settings.DEMO_LA_NAME)])
        return words

    def _referable(self, c: Connection, asset_id: str, service_type: str) -> dict:
        """The approved provider a referral goes to (else NotFound / InputError)."""
        row = c.execute(select(assets.c.id, assets.c.name, assets.c.status,
                               providers.c.service_types)
                        .join(providers, providers.c.asset_id == assets.c.id)
                        .where(assets.c.id == str(asset_id))).first()
        if row is None or row.status != "approved":
            raise NotFound("there is no published provider with that id")
        if service_type not in model.split_list(row.service_types):
            raise InputError(f"{row.name} does not offer "
                             f"{model.SERVICE_TYPES.get(service_type, service_type).lower()}",
                             field="service_type")
        return dict(row._mapping)

    def _check_referral(self, c: Connection, asset_id, service_type, client_group, area_code,
                        case_ref, notes) -> dict:
        if service_type not in model.SERVICE_TYPES:
            raise InputError("choose the support needed", field="service_type")
        if client_group not in model.CLIENT_GROUPS:
            raise InputError("choose the client group", field="client_group")
        prov = self._referable(c, asset_id, service_type)
        if not area_code or c.execute(select(areas.c.code).where(
                areas.c.code == str(area_code))).first() is None:
            raise InputError("choose the area the person lives in", field="area_code")
        words = self._place_words(c) | {prov["name"]}
        return {"asset_id": prov["id"], "service_type": service_type,
                "client_group": client_group, "area_code": str(area_code),
                "case_ref": identifiers.check_case_ref(case_ref, words),
                "notes": identifiers.check_notes(notes, words) or None}

    def referable_provider(self, asset_id: str, *, approved_only: bool = True,
                           conn: Connection | None = None) -> dict:
        """What the referral pages show of a provider (never its address or location): id,
        name, status, home_based, service_types, client_groups, vacancies,
        vacancies_confirmed, capacity_places. NotFound unless it has a service record and
        (``approved_only``) is published."""
        q = (select(assets.c.id, assets.c.name, assets.c.status, assets.c.home_based,
                    providers.c.service_types, providers.c.client_groups, providers.c.vacancies,
                    providers.c.vacancies_confirmed, providers.c.capacity_places)
             .join(providers, providers.c.asset_id == assets.c.id)
             .where(assets.c.id == str(asset_id)[:64]))
        if approved_only:
            q = q.where(assets.c.status == "approved")
        with self._use(conn) as c:
            r = c.execute(q).first()
        if r is None:
            raise NotFound("there is no published provider with that id")
        return dict(r._mapping)

    def area_choices(self, conn: Connection | None = None) -> list[tuple[str, str, str]]:
        """(ward name, code, name) of every small area (LSOAs; every area if there are
        none), by ward then name: where a referral's person may live."""
        with self._use(conn) as c:
            q = select(areas.c.parent_name, areas.c.code, areas.c.name)
            rows = c.execute(q.where(areas.c.level == "lsoa")).all() or c.execute(q).all()
        return sorted((str(w or ""), str(code), str(name)) for w, code, name in rows)

    # --- referrals ----------------------------------------------------------------------
    def create_referral(self, *, asset_id: str, service_type: str, client_group: str,
                        area_code: str, case_ref: str, notes: str | None, created_by: str,
                        request_key: str | None = None, conn: Connection | None = None) -> dict:
        """Send a referral (status ``sent``, its first event). A ``request_key`` already
        used by the same referrer returns that referral instead (a form posted twice).
        Returns the referral with ``created`` True when this call made it."""
        key = (str(request_key)[:64] or None) if request_key else None
        args = dict(asset_id=asset_id, service_type=service_type, client_group=client_group,
                    area_code=area_code, case_ref=case_ref, notes=notes, created_by=created_by)
        try:
            return self._create_referral(key, args, conn)
        except IntegrityError:
            if key is None or conn is not None:
                raise
            return self._create_referral(key, args, None)     # a twin post won: return it

    def _create_referral(self, key: str | None, args: dict, conn: Connection | None) -> dict:
        stamp = now_iso()
        created_by = args["created_by"]
        with self._begin(conn) as c:
            if key is not None:
                old = c.execute(select(referrals).where(referrals.c.request_key == key)).first()
                if old is not None:
                    if old.created_by != created_by:
                        raise ConflictError("this form was already used; reload the page")
                    return dict(self._referral_row(c, old.id), created=False)
            row = self._check_referral(c, args["asset_id"], args["service_type"],
                                       args["client_group"], args["area_code"],
                                       args["case_ref"], args["notes"])
            rid = inserted_id(c.execute(insert(referrals).values(
                **row, status="sent", created_by=created_by, created_at=stamp,
                updated_at=stamp, version=1, request_key=key)))
            c.execute(insert(referral_events).values(referral_id=rid, from_status=None,
                                                     to_status="sent", by=created_by, at=stamp))
            return dict(self._referral_row(c, rid), created=True)

    def _referral_query(self):
        return (select(referrals, assets.c.name.label("provider_name"),
                       assets.c.home_based.label("provider_home_based"),
                       areas.c.name.label("area_name"))
                .join(assets, assets.c.id == referrals.c.asset_id)
                .outerjoin(areas, areas.c.code == referrals.c.area_code))

    def _referral_row(self, c: Connection, referral_id) -> dict:
        r = c.execute(self._referral_query().where(referrals.c.id == _int(referral_id))).first()
        if r is None:
            raise NotFound(f"no referral {referral_id}")
        return dict(r._mapping)

    def get_referral(self, referral_id: int, *, created_by: str | None = None,
                     asset_id: str | None = None, conn: Connection | None = None) -> dict:
        """One referral (with ``provider_name`` and ``area_name``). With ``created_by`` or
        ``asset_id``, only if it is that referrer's or sent to that provider: anyone else
        gets NotFound, so nobody learns that someone else's referral exists."""
        with self._use(conn) as c:
            r = self._referral_row(c, referral_id)
        if (created_by is not None and r["created_by"] != created_by) or \
                (asset_id is not None and r["asset_id"] != asset_id):
            raise NotFound(f"no referral {referral_id}")
        return r

    def list_referrals(self, *, created_by: str | None = None, asset_id: str | None = None,
                       statuses=None, limit: int | None = None,
                       conn: Connection | None = None) -> list[dict]:
        """Referrals, newest first, of one referrer and/or to one provider."""
        q = self._referral_query().order_by(referrals.c.id.desc())
        if created_by is not None:
            q = q.where(referrals.c.created_by == created_by)
        if asset_id is not None:
            q = q.where(referrals.c.asset_id == asset_id)
        if statuses is not None:
            q = q.where(referrals.c.status.in_(list(statuses)))
        if limit:
            q = q.limit(int(limit))
        with self._use(conn) as c:
            return [dict(r._mapping) for r in c.execute(q)]

    def referral_history(self, referral_id: int, conn: Connection | None = None) -> list[dict]:
        """Every status change of one referral, oldest first."""
        with self._use(conn) as c:
            return [dict(r._mapping) for r in c.execute(
                select(referral_events).where(referral_events.c.referral_id == _int(referral_id))
                .order_by(referral_events.c.id))]

    def referral_events_for(self, *, created_by: str | None = None, asset_id: str | None = None,
                            since_id: int = 0, limit: int = 20,
                            conn: Connection | None = None) -> list[dict]:
        """The latest status changes of one referrer's referrals (or one provider's), made by
        someone else: the page's notices. Newest first."""
        q = (select(referral_events, referrals.c.service_type, referrals.c.case_ref,
                    assets.c.name.label("provider_name"))
             .join(referrals, referrals.c.id == referral_events.c.referral_id)
             .join(assets, assets.c.id == referrals.c.asset_id)
             .where(referral_events.c.id > int(since_id))
             .order_by(referral_events.c.id.desc()).limit(int(limit)))
        if created_by is not None:
            q = q.where(referrals.c.created_by == created_by,
                        referral_events.c.by != created_by)
        if asset_id is not None:
            q = q.where(referrals.c.asset_id == asset_id,
                        referral_events.c.by == referrals.c.created_by)
        with self._use(conn) as c:
            return [dict(r._mapping) for r in c.execute(q)]

    def change_referral(self, referral_id: int, new_status: str, *, actor: str, by: str,
                        reason: str | None = None, expected_version: int | None = None,
                        created_by: str | None = None, asset_id: str | None = None,
                        conn: Connection | None = None) -> dict:
        """Move a referral to ``new_status`` as ``actor`` ("referrer" or "provider",
        ``by`` names them in the audit trail), if ``workflow`` allows it from where it is
        now. ``created_by`` / ``asset_id`` restrict it to that referrer's / provider's
        referrals (NotFound otherwise). ``expected_version``: the version the page showed
        (ConflictError if it moved on). Returns the referral as it is now."""
        stamp = now_iso()
        with self._begin(conn) as c:
            cur = self.get_referral(referral_id, created_by=created_by, asset_id=asset_id,
                                    conn=c)
            if expected_version is not None and cur["version"] != _int(expected_version):
                raise ConflictError(f"referral {cur['id']} was changed while you were looking "
                                    f"at it (it is now {cur['status']}); reload the page")
            why = workflow.check_transition(cur["status"], new_status, actor, reason)
            values: dict = {"status": new_status, "updated_at": stamp,
                            "version": referrals.c.version + 1}
            if new_status in ("accepted", "declined"):
                values.update(answer=new_status, decline_reason=why, answered_at=stamp)
            res = c.execute(update(referrals).where((referrals.c.id == cur["id"])
                                                    & (referrals.c.version == cur["version"]))
                            .values(**values))
            if res.rowcount != 1:
                raise ConflictError(f"referral {cur['id']} was changed by someone else at the "
                                    "same moment; reload the page")
            c.execute(insert(referral_events).values(
                referral_id=cur["id"], from_status=cur["status"], to_status=new_status,
                reason=why, by=str(by)[:100], at=stamp))
            return self._referral_row(c, cur["id"])

    def referral_counts(self, *, since: str | None = None, service_type: str | None = None,
                        client_group: str | None = None, area_codes=None,
                        conn: Connection | None = None) -> pd.DataFrame:
        """Referrals made since ``since`` (ISO date) counted per COUNT_KEYS (column ``n``):
        what the JSNA evidence is made from; never a case reference or a referrer."""
        keys = [referrals.c[k] for k in COUNT_KEYS]
        q = select(*keys, func.count().label("n")).group_by(*keys)
        if since:
            q = q.where(referrals.c.created_at >= since)
        if service_type:
            q = q.where(referrals.c.service_type == service_type)
        if client_group:
            q = q.where(referrals.c.client_group == client_group)
        if area_codes is not None:
            q = q.where(referrals.c.area_code.in_([str(a) for a in area_codes]))
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(q)]
        df = pd.DataFrame(rows, columns=[*COUNT_KEYS, "n"])
        keys = df[list(COUNT_KEYS)].astype(object)
        df[list(COUNT_KEYS)] = keys.where(keys.notna(), None)    # blanks stay None, not NaN
        return df

    # --- provider links -----------------------------------------------------------------
    def issue_provider_link(self, asset_id: str, token_hash: str, *, email: str | None,
                            by: str, conn: Connection | None = None) -> int:
        """A provider's new private link (only the token's hash is kept); any link it had
        before stops working. Returns the link's id."""
        stamp = now_iso()
        with self._begin(conn) as c:
            self._referable_any(c, asset_id)
            self._revoke(c, asset_id, by, stamp)
            return inserted_id(c.execute(insert(provider_links).values(
                asset_id=asset_id, token_hash=token_hash, email=email or None, created_by=by,
                created_at=stamp)))

    def _referable_any(self, c: Connection, asset_id: str) -> None:
        if c.execute(select(providers.c.asset_id).where(providers.c.asset_id == str(asset_id))
                     ).first() is None:
            raise NotFound(f"'{asset_id}' has no service record, so it cannot take referrals")

    @staticmethod
    def _revoke(c: Connection, asset_id: str, by: str, stamp: str) -> int:
        return c.execute(update(provider_links).where(
            (provider_links.c.asset_id == asset_id) & provider_links.c.revoked_at.is_(None))
            .values(revoked_at=stamp, revoked_by=by)).rowcount

    def revoke_provider_links(self, asset_id: str, *, by: str,
                              conn: Connection | None = None) -> int:
        """Stop every private link of a provider; returns how many were live."""
        with self._begin(conn) as c:
            return self._revoke(c, asset_id, by, now_iso())

    def provider_by_link(self, token_hash: str, conn: Connection | None = None) -> dict:
        """The live link with this token hash and its provider (NotFound if unknown or
        revoked)."""
        with self._use(conn) as c:
            r = c.execute(select(provider_links, assets.c.name.label("provider_name"))
                          .join(assets, assets.c.id == provider_links.c.asset_id)
                          .where((provider_links.c.token_hash == str(token_hash))
                                 & provider_links.c.revoked_at.is_(None))).first()
        if r is None:
            raise NotFound("this link is not (or no longer) valid; ask the council for a new "
                           "one")
        return dict(r._mapping)

    def provider_link_status(self, asset_id: str, conn: Connection | None = None) -> dict | None:
        """The provider's live link (without its hash), or None."""
        with self._use(conn) as c:
            r = c.execute(select(provider_links.c.id, provider_links.c.email,
                                 provider_links.c.created_by, provider_links.c.created_at,
                                 provider_links.c.last_used_at)
                          .where((provider_links.c.asset_id == asset_id)
                                 & provider_links.c.revoked_at.is_(None))).first()
        return None if r is None else dict(r._mapping)

    def touch_provider_link(self, link_id: int, conn: Connection | None = None) -> None:
        """Record that the provider used its link (on an answer, not on every view)."""
        with self._begin(conn) as c:
            c.execute(update(provider_links).where(provider_links.c.id == _int(link_id))
                      .values(last_used_at=now_iso()))

    # --- capacity -----------------------------------------------------------------------
    def confirm_vacancies(self, asset_id: str, vacancies: float, *, by: str,
                          today: dt.date | None = None, conn: Connection | None = None) -> int:
        """The provider says how many vacancies it has now: sets ``vacancies`` and
        ``vacancies_confirmed`` (today) at once, without moderation, as a new asset version
        ("vacancies confirmed" in its history). Returns the new version."""
        try:
            v = float(vacancies)
        except (TypeError, ValueError):
            raise InputError("give the number of vacancies (0 if you are full)",
                             field="vacancies") from None
        if not (0 <= v <= settings.MAX_CAPACITY_HOURS) or v != v:
            raise InputError(f"vacancies are between 0 and {settings.MAX_CAPACITY_HOURS:g}",
                             field="vacancies")
        stamp = now_iso()
        day = (today or dt.date.today()).isoformat()
        with self._use(conn, write=True) as c:
            self._referable_any(c, asset_id)
            c.execute(update(providers).where(providers.c.asset_id == asset_id)
                      .values(vacancies=v, vacancies_confirmed=day))
            c.execute(update(assets).where(assets.c.id == asset_id)
                      .values(version=assets.c.version + 1, updated_by=by, updated_at=stamp))
            return self._record_version(c, asset_id, "vacancies confirmed", by, stamp,
                                        reason=f"{v:g} vacancies on {day}")

    def capacity_confirmations(self, conn: Connection | None = None) -> pd.DataFrame:
        """Every provider's vacancies and the date they were last confirmed."""
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(
                select(providers.c.asset_id, providers.c.vacancies,
                       providers.c.vacancies_confirmed))]
        return pd.DataFrame(rows, columns=["asset_id", "vacancies", "vacancies_confirmed"])
