"""User accounts (roles, password hashes, active or not, the session version that voids
older sessions) and coordinators' saved outreach plans (issue 7). Neither changes the data
version: they are not data the maps are built from."""
from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from .. import model
from ..errors import InputError, NotFound
from .core import StoreCore, _int, now_iso
from .schema import outreach_plans, users

#: The columns ``list_outreach_plans`` returns, in order.
PLAN_LIST_COLUMNS = ["id", "name", "created_at", "created_by", "run_id", "data_version"]


def _check_role(role: str) -> None:
    if role not in model.ROLES:
        raise InputError(f"role must be one of {', '.join(model.ROLES)}", field="role")


class AccountsMixin(StoreCore):
    """Users and saved outreach plans (mixed into ``Store``)."""

    # --- users -----------------------------------------------------------------------
    def add_user(self, name: str, role: str, password_hash: str,
                 conn: Connection | None = None) -> int:
        _check_role(role)
        with self._begin(conn) as c:
            if c.execute(select(users.c.id).where(users.c.name == name)).first():
                raise InputError(f"a user called '{name}' already exists", field="name")
            return int(c.execute(insert(users).values(
                name=name, role=role, password_hash=password_hash, active=True,
                created_at=now_iso())).inserted_primary_key[0])

    def get_user(self, name: str | None = None, user_id: int | None = None) -> dict | None:
        q = select(users)
        q = q.where(users.c.name == name) if name is not None else \
            q.where(users.c.id == _int(user_id))
        with self.engine.connect() as c:
            r = c.execute(q).first()
        return None if r is None else dict(r._mapping)

    def list_users(self) -> pd.DataFrame:
        with self.engine.connect() as c:
            rows = [dict(r._mapping) for r in c.execute(select(users).order_by(users.c.id))]
        return pd.DataFrame(rows, columns=[c.name for c in users.columns]).drop(
            columns="password_hash")

    def update_user(self, user_id: int, *, role: str | None = None, active: bool | None = None,
                    password_hash: str | None = None, conn: Connection | None = None) -> None:
        """Change a user's role, active flag or password hash; any of them also bumps the
        session version, so every session signed in before is void."""
        vals: dict = {}
        if role is not None:
            _check_role(role)
            vals["role"] = role
        if active is not None:
            vals["active"] = bool(active)
        if password_hash is not None:
            vals["password_hash"] = password_hash
        if not vals:
            return
        vals["session_version"] = users.c.session_version + 1
        with self._begin(conn) as c:
            if c.execute(update(users).where(users.c.id == _int(user_id))
                         .values(**vals)).rowcount != 1:
                raise NotFound(f"no user {user_id}")

    def end_sessions(self, user_id: int, conn: Connection | None = None) -> None:
        """Void every session of the user (sign-out): bump their session version."""
        with self._begin(conn) as c:
            c.execute(update(users).where(users.c.id == _int(user_id))
                      .values(session_version=users.c.session_version + 1))

    # --- outreach plans --------------------------------------------------------------
    def save_outreach_plan(self, name: str, plan: dict, *, created_by: str | None = None,
                           conn: Connection | None = None) -> int:
        """Store a coordinator's outreach plan (the whole plan as JSON, its parameters and the
        analysis run it came from). Does not change the data version."""
        with self._begin(conn) as c:
            return int(c.execute(insert(outreach_plans).values(
                name=(name or "Outreach plan")[:200], created_at=now_iso(),
                created_by=created_by, run_id=plan.get("run_id"),
                data_version=plan.get("data_version"),
                params=json.dumps(plan.get("params", {}), sort_keys=True),
                plan=json.dumps(plan, sort_keys=True))).inserted_primary_key[0])

    def get_outreach_plan(self, plan_id: int, conn: Connection | None = None) -> dict:
        d = self._row_by_id(outreach_plans, plan_id, f"no saved outreach plan {plan_id}", conn)
        d["params"] = json.loads(d["params"])
        d["plan"] = json.loads(d["plan"])
        return d

    def list_outreach_plans(self, conn: Connection | None = None) -> pd.DataFrame:
        """Saved plans without their content, newest first."""
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(
                select(*[outreach_plans.c[k] for k in PLAN_LIST_COLUMNS])
                .order_by(outreach_plans.c.id.desc()))]
        return pd.DataFrame(rows, columns=PLAN_LIST_COLUMNS)

    def delete_outreach_plan(self, plan_id: int, conn: Connection | None = None) -> None:
        with self._begin(conn) as c:
            c.execute(delete(outreach_plans).where(outreach_plans.c.id == int(plan_id)))
