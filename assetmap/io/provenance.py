"""What every download says about itself so people can cite it (issue 12): the analysis run
and data version it came from, when it was made, the filters it was made with, its licence
line (``settings.DATA_LICENCE``) and who publishes it.

The run id, its date and the data version it analysed are the store's own records
(``Store.latest_run()``: the runs table), and the data version is the store's counter
(``Store.data_version()``); nothing here invents another notion of either.

A :class:`Provenance` is written, without ever breaking a file's own format:

* into the **data dictionary** as rows of type ``provenance`` after the column rows
  (``file.run_id``, ``file.licence``...: :meth:`Provenance.dictionary_rows`), so a reader who
  wants only the columns drops ``type == "provenance"``;
* as **HTTP headers** (``X-AssetMap-Run``, ``X-AssetMap-Data-Version``, ``X-AssetMap-Made``,
  ``X-AssetMap-Licence``...; ASCII, as headers must be);
* into **GeoJSON** as the top-level foreign member ``metadata`` (RFC 7946 section 6.1), with
  the dictionary's columns and units;
* into the **GeoPackage**'s metadata (``gpkg_metadata``, read back by GDAL, fiona and
  pyogrio as the layer's and the dataset's metadata items);
* into the README.txt of the "with notes" zip bundle (:func:`readme`).

CSV files keep a plain header row (no comment lines a parser would trip over): their
provenance is in the headers, the dictionary linked from the ``Link`` header and the bundle.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

import pandas as pd

from .. import settings

#: The dictionary type of provenance rows, and the prefix of their ``column``.
PROVENANCE_TYPE = "provenance"
PREFIX = "file."


def now_utc() -> str:
    """The time now, UTC, to the second (ISO 8601)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class Provenance:
    """Where a downloaded file comes from (see the module notes)."""

    title: str
    run_id: int | None = None
    run_made: str | None = None
    run_data_version: int | None = None
    data_version: int | None = None
    filters: dict = field(default_factory=dict)
    made: str = field(default_factory=now_utc)
    licence: str = field(default_factory=lambda: settings.DATA_LICENCE)
    publisher: str = field(default_factory=lambda: settings.DATA_PUBLISHER)
    dictionary_url: str | None = None
    method_url: str | None = None

    @classmethod
    def of(cls, title: str, run: dict | None, data_version: int | None,
           filters: dict | None = None, **kw) -> "Provenance":
        """From a run as the store gives it (``Store.latest_run()``, or None) and the store's
        data version; ``filters`` the choices the file was made with (empty ones dropped)."""
        run = run or {}
        return cls(title=title, run_id=run.get("id"), run_made=run.get("created_at"),
                   run_data_version=run.get("data_version"), data_version=data_version,
                   filters={str(k): str(v) for k, v in (filters or {}).items()
                            if v not in (None, "")}, **kw)

    def run_text(self) -> str:
        """'analysis run 3 of 2026-12-01T16:07:49+00:00 on data version 5' (or 'no analysis
        run yet')."""
        if self.run_id is None:
            return "no analysis run yet"
        text = f"analysis run {self.run_id}"
        if self.run_made:
            text += f" of {self.run_made}"
        if self.run_data_version is not None:
            text += f" on data version {self.run_data_version}"
        return text

    def filter_text(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.filters.items()) or "none (everything)"

    def as_dict(self) -> dict:
        """Plain JSON (the GeoJSON ``metadata`` member, without the columns)."""
        return {"title": self.title, "run_id": self.run_id, "run_made": self.run_made,
                "run_data_version": self.run_data_version, "data_version": self.data_version,
                "made": self.made, "filters": dict(self.filters), "licence": self.licence,
                "publisher": self.publisher, "dictionary": self.dictionary_url,
                "method": self.method_url,
                "cite_as": self.citation()}

    def citation(self) -> str:
        """'AssetMap: Gaps ... (analysis run 3 ..., data version 5), made 2026-...'."""
        return (f"AssetMap: {self.title} ({self.run_text()}; data version "
                f"{self.data_version}), made {self.made}, published by {self.publisher}. "
                f"{self.licence}")

    def dictionary_rows(self) -> list[dict]:
        """Rows of type ``provenance`` for the data dictionary (after its column rows)."""
        items = [("title", self.title), ("run_id", "" if self.run_id is None else self.run_id),
                 ("run_made", self.run_made or ""),
                 ("run_data_version", "" if self.run_data_version is None
                  else self.run_data_version),
                 ("data_version", "" if self.data_version is None else self.data_version),
                 ("made", self.made), ("filters", self.filter_text()),
                 ("licence", self.licence), ("publisher", self.publisher),
                 ("units", "each column's unit is in the unit column of its row above"),
                 ("method", self.method_url or "")]
        return [{"column": PREFIX + k, "type": PROVENANCE_TYPE, "unit": "", "meaning": str(v)}
                for k, v in items]

    def headers(self) -> dict[str, str]:
        """HTTP headers (ASCII): run, data version, date made, licence, filters."""
        h = {"X-AssetMap-Run": "" if self.run_id is None else str(self.run_id),
             "X-AssetMap-Run-Made": self.run_made or "",
             "X-AssetMap-Data-Version": "" if self.data_version is None
             else str(self.data_version),
             "X-AssetMap-Made": self.made, "X-AssetMap-Licence": ascii_text(self.licence),
             "X-AssetMap-Filters": ascii_text(self.filter_text())}
        return {k: v for k, v in h.items() if v}

    def gpkg_metadata(self) -> dict[str, str]:
        """GeoPackage metadata items (upper-case keys, as GDAL writes them)."""
        return {"TITLE": self.title, "RUN_ID": "" if self.run_id is None else str(self.run_id),
                "RUN_MADE": self.run_made or "",
                "RUN_DATA_VERSION": "" if self.run_data_version is None
                else str(self.run_data_version),
                "DATA_VERSION": "" if self.data_version is None else str(self.data_version),
                "MADE": self.made, "FILTERS": self.filter_text(), "LICENCE": self.licence,
                "PUBLISHER": self.publisher, "CITE_AS": self.citation()}


def ascii_text(text: str) -> str:
    """``text`` with '(c)' for the copyright sign and any other non-ASCII letter folded."""
    import unicodedata
    text = str(text).replace("\u00a9", "(c)")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(text.split())


def with_provenance(dictionary: pd.DataFrame, prov: Provenance | None) -> pd.DataFrame:
    """The dictionary with its provenance rows after the column rows."""
    if prov is None:
        return dictionary
    return pd.concat([dictionary, pd.DataFrame(prov.dictionary_rows())], ignore_index=True)


def columns_only(dictionary: pd.DataFrame) -> pd.DataFrame:
    """The dictionary's column rows (without provenance rows)."""
    if "type" not in dictionary:
        return dictionary
    return dictionary[dictionary["type"] != PROVENANCE_TYPE]


def geojson_metadata(prov: Provenance, dictionary: pd.DataFrame | None = None) -> dict:
    """The GeoJSON ``metadata`` member: provenance plus each property's type, unit and
    meaning."""
    out = prov.as_dict()
    if dictionary is not None:
        out["columns"] = [{k: str(v) for k, v in r.items()}
                          for r in columns_only(dictionary).to_dict("records")]
    return out


def readme(prov: Provenance, files: dict[str, str]) -> str:
    """The README.txt of a bundle: what it is, where it comes from, the licence, the files."""
    lines = [f"AssetMap download: {prov.title}", "",
             f"Made:            {prov.made} (UTC)",
             f"From:            {prov.run_text()}",
             f"Data version:    {prov.data_version}",
             f"Filters:         {prov.filter_text()}",
             f"Published by:    {prov.publisher}", "",
             "Licence:", f"  {prov.licence}", "",
             "Cite as:", f"  {prov.citation()}", "", "Files:"]
    lines += [f"  {name}: {what}" for name, what in files.items()]
    if prov.method_url:
        lines += ["", f"How the numbers are made: {prov.method_url}"]
    lines += ["", "Units: every column's unit is in the data dictionary (the unit column)."]
    return "\n".join(lines) + "\n"


def bundle(files: dict[str, bytes], prov: Provenance, described: dict[str, str]) -> bytes:
    """A zip of ``files`` (name -> bytes) and README.txt (``described``: name -> what it
    holds)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(name, body)
        z.writestr("README.txt", readme(prov, {**described, "README.txt": "this file"}))
    return buf.getvalue()
