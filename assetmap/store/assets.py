"""Assets and their service records (providers), every asset version (history, edits,
status changes, restoring an earlier version, all with optimistic locking), and
neighbourhood networks."""
from __future__ import annotations

import json
import threading

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from .. import model
from ..errors import ConflictError, InputError, NotFound
from ..settings import STORAGE_CRS
from .core import StoreCore, _frame, _int, _records, now_iso
from .cover import AreaCover
from .schema import areas, asset_versions, assets, networks, providers

#: Area levels, finest first: the cover is the finest level stored.
_COVER_LEVELS = ("lsoa", "msoa", "ward", "la")
_cover_cache: dict = {}
_cover_lock = threading.Lock()


def _location(cur: dict, data: dict):
    """The point ``data`` moves the asset to (lon/lat), or its current one."""
    if data.get("lon") is None:
        return cur["geometry"]
    return shapely.Point(data["lon"], data["lat"])


def _footprints(gdf: gpd.GeoDataFrame, clean: gpd.GeoDataFrame) -> list:
    """Each row's footprint to store (a geometry or None), or False where the frame has
    no ``footprint`` column (the stored one is kept); None for home-based rows."""
    if "footprint" not in gdf:
        return [False] * len(clean)
    out = []
    for fp, home in zip(list(gdf["footprint"]), clean["home_based"]):
        ok = fp is not None and not (isinstance(fp, float)) and not bool(home)
        out.append(fp if ok and not fp.is_empty else None)
    return out


def _version_json(asset_row: dict, provider_row: dict | None) -> str:
    data = {k: v for k, v in asset_row.items() if k != "geometry"}
    geom = asset_row.get("geometry")
    if geom is not None:
        data["lon"], data["lat"] = round(geom.x, 7), round(geom.y, 7)
    if provider_row:
        data["provider"] = {k: v for k, v in provider_row.items() if k != "asset_id"}
    return json.dumps(data, sort_keys=True, default=str)


class AssetsMixin(StoreCore):
    """Assets, providers, asset versions and networks (mixed into ``Store``)."""

    #: Asset columns a contribution or an edit may change.
    EDITABLE_ASSET_FIELDS = ("name", "category", "description", "address", "postcode",
                             "opening_hours", "contact", "contact_public", "website",
                             "home_based")

    # --- assets and providers ------------------------------------------------------------
    def write_assets(self, gdf: gpd.GeoDataFrame, providers_df: pd.DataFrame | None = None, *,
                     conn: Connection | None = None, file: str = "assets",
                     changed_by: str | None = None, action: str = "import") -> int:
        """Insert or update assets (and their provider records) by id, recording a version.
        An optional ``footprint`` column (polygons or lines, EPSG:4326) is stored for display
        beside the point; never for a home-based record."""
        clean = model.validate_assets(gdf, file=file)
        footprints = _footprints(gdf, clean)
        prov = None
        if providers_df is not None and len(providers_df):
            prov = model.validate_providers(providers_df, file=file)
            missing = ~prov["asset_id"].isin(set(clean["id"]))
            if missing.any():
                i = int(np.flatnonzero(missing.to_numpy())[0])
                raise InputError(f"provider record for unknown asset '{prov['asset_id'].iloc[i]}'",
                                 file=file, row=i + 1, field="asset_id")
        stamp = now_iso()
        rows = _records(clean, model.ASSET_COLUMNS)
        for r, geom, fp in zip(rows, clean.geometry, footprints):
            r["geometry"] = geom
            if fp is not False:
                r["footprint"] = fp
            r["created_at"] = r.get("created_at") or stamp
            r["updated_at"] = r.get("updated_at") or stamp
        prov_rows = {} if prov is None else {r["asset_id"]: r for r in
                                             _records(prov, model.PROVIDER_COLUMNS)}
        with self._use(conn, write=True) as c:
            existing = {r.id: r.version for r in c.execute(
                select(assets.c.id, assets.c.version)
                .where(assets.c.id.in_([r["id"] for r in rows])))}
            for r in rows:
                if r["id"] in existing:
                    r["version"] = existing[r["id"]] + 1
            self._upsert(c, assets, rows, ["id"])
            if prov_rows:
                self._upsert(c, providers, list(prov_rows.values()), ["asset_id"])
            c.execute(insert(asset_versions), [
                {"asset_id": r["id"], "version": r["version"], "action": action,
                 "data": _version_json(r, prov_rows.get(r["id"])), "changed_by": changed_by,
                 "changed_at": stamp} for r in rows])
        return len(rows)

    def read_assets(self, statuses=("approved",), *, with_providers: bool = True,
                    categories=None, ids=None, cross_border: bool = True,
                    conn: Connection | None = None) -> gpd.GeoDataFrame:
        """Assets (with provider columns joined where they have a service record), and
        ``cross_border``: True for an asset outside the stored areas (kept as cross-border
        supply, see ``settings.CROSS_BORDER_BUFFER_KM``), computed from the areas as read
        (``cross_border=False`` leaves it out, for reads that do not need it)."""
        q = select(*[c for c in assets.c if c.name != "footprint"]).order_by(assets.c.id)
        if statuses is not None:
            q = q.where(assets.c.status.in_(list(statuses)))
        if categories is not None:
            q = q.where(assets.c.category.in_(list(categories)))
        if ids is not None:
            q = q.where(assets.c.id.in_(list(ids)))
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(q)]
            geoms = [r["geometry"] for r in rows]
            df = _frame(rows, model.ASSET_COLUMNS)
            if with_providers:
                p = self.read_providers(conn=c)
                p = p[p["asset_id"].isin(set(df["id"]))]
                df = df.merge(p, how="left", left_on="id", right_on="asset_id").drop(
                    columns="asset_id")
                df["is_provider"] = df["service_types"].notna()
        if cross_border:
            df["cross_border"] = self._cross_border(geoms, conn)
        return gpd.GeoDataFrame(df, geometry=geoms, crs=STORAGE_CRS)

    def read_footprints(self, ids=None, conn: Connection | None = None) -> gpd.GeoDataFrame:
        """(id, geometry) of the assets stored with a footprint (never home-based ones)."""
        q = select(assets.c.id, assets.c.footprint).where(
            assets.c.footprint.is_not(None) & assets.c.home_based.is_(False))
        if ids is not None:
            q = q.where(assets.c.id.in_(list(ids)))
        with self._use(conn) as c:
            rows = [(r.id, r.footprint) for r in c.execute(q.order_by(assets.c.id))]
        return gpd.GeoDataFrame({"id": [r[0] for r in rows]},
                                geometry=[r[1] for r in rows], crs=STORAGE_CRS)

    def area_cover(self, conn: Connection | None = None) -> AreaCover | None:
        """The stored areas (the finest level present) as a point test, None without
        areas; cached per data version (inside a transaction, ``conn``, read afresh)."""
        key = None if conn is not None else (self.url, self.data_version())
        if key is not None:
            with _cover_lock:
                if key in _cover_cache:
                    return _cover_cache[key]
        with self._use(conn) as c:
            rows = c.execute(select(areas.c.level, areas.c.geometry)).all()
        cover = None
        for level in _COVER_LEVELS:
            geoms = [r.geometry for r in rows if r.level == level and r.geometry is not None]
            if geoms:
                cover = AreaCover(geoms)
                break
        if key is not None:
            with _cover_lock:
                for k in [k for k in _cover_cache if k[0] == self.url]:
                    del _cover_cache[k]
                _cover_cache[key] = cover
        return cover

    def _cross_border(self, geoms: list, conn: Connection | None) -> np.ndarray:
        """For each point: outside the stored areas (beyond the edge tolerance)?"""
        out = np.zeros(len(geoms), dtype=bool)
        if not geoms:
            return out
        cover = self.area_cover(conn=conn)
        if cover is None:
            return out
        ok = np.array([g is not None and not g.is_empty for g in geoms])
        if ok.any():
            xy = np.array([(g.x, g.y) for g, k in zip(geoms, ok) if k])
            out[ok] = cover.outside(xy[:, 0], xy[:, 1])
        return out

    def read_providers(self, conn: Connection | None = None) -> pd.DataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping)
                    for r in c.execute(select(providers).order_by(providers.c.asset_id))]
        return _frame(rows, model.PROVIDER_COLUMNS)

    def get_asset(self, asset_id: str, conn: Connection | None = None) -> dict:
        df = self.read_assets(statuses=None, ids=[asset_id], conn=conn)
        if df.empty:
            raise NotFound(f"no asset with id '{asset_id}'")
        return df.iloc[0].to_dict()

    # --- status changes ------------------------------------------------------------------
    def set_asset_status(self, asset_id: str, status: str, *, expected_version: int | None,
                         changed_by: str | None, reason: str | None = None,
                         conn: Connection | None = None) -> int:
        """Change status with optimistic locking; returns the new version."""
        if status not in model.ASSET_STATUSES:
            raise InputError(f"'{status}' is not a status", field="status")
        with self._use(conn, write=True) as c:
            cur = c.execute(select(assets).where(assets.c.id == asset_id)).first()
            if cur is None:
                raise NotFound(f"no asset with id '{asset_id}'")
            q = update(assets).where(assets.c.id == asset_id)
            if expected_version is not None:
                q = q.where(assets.c.version == _int(expected_version))
            stamp = now_iso()
            res = c.execute(q.values(status=status, version=assets.c.version + 1,
                                     updated_by=changed_by, updated_at=stamp,
                                     last_reviewed=stamp))
            if res.rowcount != 1:
                raise ConflictError(
                    f"'{cur.name}' was changed by someone else (now version {cur.version}); "
                    "reload it and try again")
            row = dict(c.execute(select(assets).where(assets.c.id == asset_id)).one()._mapping)
            prov = c.execute(select(providers).where(providers.c.asset_id == asset_id)).first()
            c.execute(insert(asset_versions).values(
                asset_id=asset_id, version=row["version"], action=status,
                data=_version_json(row, dict(prov._mapping) if prov else None),
                changed_by=changed_by, changed_at=stamp, reason=reason))
            return row["version"]

    def _set_status_locked(self, c: Connection, asset_id: str, status: str, *,
                           expected_version: int, changed_by: str | None, action: str,
                           reason: str | None, stamp: str) -> int:
        """Set the status inside ``c`` if the asset is still at ``expected_version`` (else
        ConflictError), recording the new version as ``action``."""
        res = c.execute(update(assets).where((assets.c.id == asset_id)
                                             & (assets.c.version == _int(expected_version)))
                        .values(status=status, version=assets.c.version + 1,
                                updated_by=changed_by, updated_at=stamp, last_reviewed=stamp))
        if res.rowcount != 1:
            raise self._conflict(c, asset_id)
        return self._record_version(c, asset_id, action, changed_by, stamp, reason)

    # --- versions --------------------------------------------------------------------
    def asset_history(self, asset_id: str, conn: Connection | None = None) -> pd.DataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(
                select(asset_versions).where(asset_versions.c.asset_id == asset_id)
                .order_by(asset_versions.c.id))]
        return pd.DataFrame(rows, columns=[c.name for c in asset_versions.columns])

    def get_version(self, version_id: int, conn: Connection | None = None) -> dict:
        d = self._row_by_id(asset_versions, version_id, f"no stored version {version_id}", conn)
        d["data"] = json.loads(d["data"])
        return d

    def _asset_and_provider(self, c: Connection, asset_id: str):
        row = c.execute(select(assets).where(assets.c.id == asset_id)).first()
        if row is None:
            raise NotFound(f"no asset with id '{asset_id}'")
        prov = c.execute(select(providers).where(providers.c.asset_id == asset_id)).first()
        return dict(row._mapping), (dict(prov._mapping) if prov else None)

    def _record_version(self, c: Connection, asset_id: str, action: str,
                        changed_by: str | None, stamp: str, reason: str | None = None) -> int:
        row, prov = self._asset_and_provider(c, asset_id)
        c.execute(insert(asset_versions).values(
            asset_id=asset_id, version=row["version"], action=action,
            data=_version_json(row, prov), changed_by=changed_by, changed_at=stamp,
            reason=reason))
        return row["version"]

    def _conflict(self, c: Connection, asset_id: str) -> ConflictError | NotFound:
        cur = c.execute(select(assets.c.name, assets.c.version, assets.c.updated_by)
                        .where(assets.c.id == asset_id)).first()
        if cur is None:
            return NotFound(f"no asset with id '{asset_id}'")
        who = f" by {cur.updated_by}" if cur.updated_by else ""
        return ConflictError(
            f"'{cur.name}' was changed{who} while you were working on it (it is now version "
            f"{cur.version}); nothing was overwritten. Reload the page, check the changes "
            "and try again.")

    # --- edits and restores ------------------------------------------------------------
    @staticmethod
    def _clean_asset(row: dict, geometry, file: str) -> dict:
        """One asset row through ``model.validate_assets`` (the same rules as imports)."""
        cols = {k: [row.get(k)] for k in model.ASSET_COLUMNS}
        clean = model.validate_assets(gpd.GeoDataFrame(cols, geometry=[geometry],
                                                       crs=STORAGE_CRS), file=file)
        out = _records(clean, model.ASSET_COLUMNS)[0]
        out["geometry"] = clean.geometry.iloc[0]
        return out

    @staticmethod
    def _clean_provider(asset_id: str, prov: dict, file: str) -> dict:
        cols = {k: [prov.get(k)] for k in model.PROVIDER_COLUMNS}
        cols["asset_id"] = [asset_id]
        clean = model.validate_providers(pd.DataFrame(cols), file=file)
        return _records(clean, model.PROVIDER_COLUMNS)[0]

    def update_asset(self, asset_id: str, data: dict, *, expected_version: int | None,
                     changed_by: str | None, action: str = "edit", reason: str | None = None,
                     status: str | None = None, reviewed: bool = False,
                     conn: Connection | None = None) -> int:
        """Apply edited fields (``Contribution.as_data()``: asset fields, optional service
        record, lon/lat or None to keep the location) with optimistic locking: raises
        ConflictError when the asset is no longer at ``expected_version``. Returns the new
        version. A missing service record leaves any existing one as it is."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            cur, cur_prov = self._asset_and_provider(c, asset_id)
            if expected_version is None:
                expected_version = cur["version"]
            if cur["version"] != expected_version:
                raise self._conflict(c, asset_id)
            row = dict(cur)
            row.update({k: data["asset"].get(k) for k in self.EDITABLE_ASSET_FIELDS
                        if k in data["asset"]})
            if status is not None:
                row["status"] = status
            self._write_next_version(
                c, asset_id, cur, cur_prov, row, _location(cur, data), data.get("provider"),
                mode="edit", expected_version=expected_version, changed_by=changed_by,
                stamp=stamp, extra={"last_reviewed": stamp} if reviewed else None)
            return self._record_version(c, asset_id, action, changed_by, stamp, reason)

    def restore_version(self, asset_id: str, version_id: int, *, expected_version: int,
                        changed_by: str, conn: Connection | None = None) -> int:
        """Make an earlier version's content current again (as a new version: history only
        grows). The status is kept: retire or reinstate separately."""
        stamp = now_iso()
        with self._use(conn, write=True) as c:
            old = self.get_version(version_id, conn=c)
            if old["asset_id"] != asset_id:
                raise NotFound(f"version {version_id} is not a version of '{asset_id}'")
            data = old["data"]
            cur, cur_prov = self._asset_and_provider(c, asset_id)
            if cur["version"] != expected_version:
                raise self._conflict(c, asset_id)
            row = dict(cur)
            row.update({k: data.get(k) for k in (*self.EDITABLE_ASSET_FIELDS,
                                                 "source", "source_ref")
                        if k in data})
            # a restored version without a service record removes the current one (which
            # stays in the history, asset_versions, and can itself be restored)
            self._write_next_version(
                c, asset_id, cur, cur_prov, row, _location(cur, data), data.get("provider"),
                mode="restore", expected_version=expected_version, changed_by=changed_by,
                stamp=stamp, drop_missing_provider=True)
            return self._record_version(c, asset_id, f"restored v{old['version']}", changed_by,
                                        stamp, reason=f"restored version {old['version']}")

    def _write_next_version(self, c: Connection, asset_id: str, cur: dict, cur_prov,
                            row: dict, geom, provider: dict | None, *, mode: str,
                            expected_version: int, changed_by: str | None, stamp: str,
                            extra: dict | None = None,
                            drop_missing_provider: bool = False) -> None:
        """Write ``row`` (and ``provider``) over the asset as its next version, refusing with
        ConflictError unless the asset is still at ``expected_version``. Without a
        ``provider`` the service record is kept, or removed if ``drop_missing_provider``."""
        clean = self._clean_asset(row, geom, mode)
        vals = {k: clean[k] for k in clean if k not in ("id", "version", "created_by",
                                                         "created_at")}
        vals.update(updated_by=changed_by, updated_at=stamp, version=cur["version"] + 1,
                    **(extra or {}))
        res = c.execute(update(assets).where((assets.c.id == asset_id)
                                             & (assets.c.version == _int(expected_version)))
                        .values(**vals))
        if res.rowcount != 1:
            raise self._conflict(c, asset_id)
        if provider:
            clean_p = self._clean_provider(asset_id, provider, mode)
            if cur_prov:
                c.execute(update(providers).where(providers.c.asset_id == asset_id)
                          .values(**{k: v for k, v in clean_p.items() if k != "asset_id"}))
            else:
                c.execute(insert(providers).values(**clean_p))
        elif drop_missing_provider and cur_prov:
            c.execute(delete(providers).where(providers.c.asset_id == asset_id))

    # --- networks --------------------------------------------------------------------
    def write_networks(self, gdf: gpd.GeoDataFrame, conn: Connection | None = None,
                       file: str = "networks") -> int:
        clean = model.validate_networks(gdf, file=file)
        rows = _records(clean, model.NETWORK_COLUMNS)
        for r, geom in zip(rows, clean.geometry):
            r["geometry"] = geom
        with self._use(conn, write=True) as c:
            self._upsert(c, networks, rows, ["id"])
        return len(rows)

    def read_networks(self, conn: Connection | None = None) -> gpd.GeoDataFrame:
        with self._use(conn) as c:
            rows = [dict(r._mapping) for r in c.execute(select(networks).order_by(networks.c.id))]
        df = _frame(rows, model.NETWORK_COLUMNS)
        return gpd.GeoDataFrame(df, geometry=[r["geometry"] for r in rows], crs=STORAGE_CRS)
