"""CSV sniffing: the encoding and delimiter of every CSV the importers read, detected and
said; semicolon, tab and UTF-16 files of the same assets import identically."""
from __future__ import annotations

import bz2
import gzip

import pandas as pd
import pytest
from test_io_common import area_store, centre, io_store, snapshot  # noqa: F401

from assetmap.errors import InputError
from assetmap.io import sniff
from assetmap.io.assets_csv import import_assets
from assetmap.io.common import read_table

HEADER = ["name", "category", "address", "lat", "lon", "opening_hours"]


def rows():
    """Three assets in the test areas; text with commas, quotes, accents and a pound sign."""
    out = []
    for i, (name, cat, addr) in enumerate([
            ("Café Ñandú", "cafe_pub", "1 High St, Testborough"),
            ('The "Old" School Hall', "community centre", "School Lane; rear entrance"),
            ("Book Nook £1 swaps", "library", "Market Place")]):
        lon, lat = centre(i)
        out.append([name, cat, addr, f"{lat:.6f}", f"{lon:.6f}", "Mo-Fr 09:00-17:00"])
    return out


def write(path, *, sep=",", encoding="utf-8", decimal_comma=False):
    df = pd.DataFrame(rows(), columns=HEADER)
    if decimal_comma:
        df["lat"] = df["lat"].str.replace(".", ",")
        df["lon"] = df["lon"].str.replace(".", ",")
    df.to_csv(path, sep=sep, index=False, encoding=encoding)
    return path


VARIANTS = {
    "comma-utf8": dict(sep=",", encoding="utf-8"),
    "semicolon": dict(sep=";", encoding="utf-8"),
    "tab": dict(sep="\t", encoding="utf-8"),
    "pipe": dict(sep="|", encoding="utf-8"),
    "utf16-bom": dict(sep=",", encoding="utf-16"),
    "utf16le-tab": dict(sep="\t", encoding="utf-16-le"),
    "utf8-bom-semicolon": dict(sep=";", encoding="utf-8-sig"),
}


@pytest.mark.parametrize("kind", sorted(VARIANTS))
def test_every_variant_reads_the_same(tmp_path, kind):
    ref = read_table(write(tmp_path / "ref.csv"))
    df = read_table(write(tmp_path / f"{kind}.csv", **VARIANTS[kind]))
    pd.testing.assert_frame_equal(df, ref)
    sep = VARIANTS[kind]["sep"]
    assert df.attrs["read_as"].endswith(f"{sniff.DELIMITER_NAMES[sep]}-separated")
    want = "UTF-16" if "utf16" in kind else "UTF-8"
    assert df.attrs["read_as"].startswith(want)


def test_what_was_detected_is_said(tmp_path):
    f = sniff.sniff_csv(write(tmp_path / "a.csv", sep="\t", encoding="utf-16"))
    assert (f.encoding, f.delimiter) == ("utf-16", "\t")
    assert f.describe() == "UTF-16 (byte-order mark), tab-separated"
    f = sniff.sniff_csv(write(tmp_path / "b.csv", sep=";", encoding="utf-16-be"))
    assert f.describe() == "UTF-16 (UTF-16 without a byte-order mark), semicolon-separated"
    f = sniff.sniff_csv(write(tmp_path / "c.csv", sep=";", encoding="cp1252"))
    assert f.describe() == "Windows-1252 (not UTF-8), semicolon-separated"
    assert not f.plain and sniff.sniff_csv(write(tmp_path / "d.csv")).plain


def test_windows_1252_keeps_pound_and_accents(tmp_path):
    df = read_table(write(tmp_path / "w.csv", sep=";", encoding="cp1252"))
    assert df["name"].tolist()[0] == "Café Ñandú" and "£1" in df["name"].tolist()[2]


def test_compressed_files_are_sniffed_inside(tmp_path):
    raw = write(tmp_path / "raw.csv", sep=";").read_bytes()
    (tmp_path / "a.csv.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "a.csv.bz2").write_bytes(bz2.compress(raw))
    ref = read_table(tmp_path / "raw.csv")
    for name in ("a.csv.gz", "a.csv.bz2"):
        pd.testing.assert_frame_equal(read_table(tmp_path / name), ref)


def test_delimiters_inside_quotes_and_one_column_files(tmp_path):
    # semicolons inside quoted fields do not make a comma file semicolon-separated
    (tmp_path / "q.csv").write_text('name,note\n"a; b",x\n"c; d",y\n')
    assert read_table(tmp_path / "q.csv").columns.tolist() == ["name", "note"]
    # one column: nothing splits it, comma
    (tmp_path / "one.csv").write_text("postcode\nM1 1AA\nM1 1AB\n")
    assert sniff.sniff_csv(tmp_path / "one.csv").delimiter == ","
    assert read_table(tmp_path / "one.csv")["postcode"].tolist() == ["M1 1AA", "M1 1AB"]
    # decimal commas in a semicolon file are not delimiters: the header decides
    path = write(tmp_path / "dec.csv", sep=";", decimal_comma=True)
    assert sniff.sniff_csv(path).delimiter == ";"


def test_truncated_semicolon_file_and_real_binary_still_refused(tmp_path):
    (tmp_path / "cut.csv").write_text("name;lat;lon\na;53.4;-2.3\nb;53.4")
    with pytest.raises(InputError, match="truncated"):
        read_table(tmp_path / "cut.csv")
    (tmp_path / "img.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(InputError, match="PNG"):
        read_table(tmp_path / "img.csv")
    (tmp_path / "nul.csv").write_bytes(b"name,lat\nab\x00\x01cd,1\n" * 3)
    with pytest.raises(InputError):
        read_table(tmp_path / "nul.csv")


def _stored(store) -> pd.DataFrame:
    a = store.read_assets().drop(columns=["created_at", "updated_at", "version"])
    a["xy"] = [(round(g.x, 7), round(g.y, 7)) for g in a.geometry]
    return pd.DataFrame(a.drop(columns=a.geometry.name)).reset_index(drop=True)


@pytest.mark.parametrize("kind", ["semicolon", "tab", "utf16-bom", "decimal-comma"])
def test_same_assets_import_identically(area_store, tmp_path, kind):
    from assetmap.store import Store
    ref_store = Store(f"sqlite:///{tmp_path / 'ref.sqlite'}")
    ref_store.write_areas(area_store.read_areas())
    import_assets(ref_store, write(tmp_path / "ref.csv"))
    kw = dict(sep=";", decimal_comma=True) if kind == "decimal-comma" else VARIANTS[kind]
    rep = import_assets(area_store, write(tmp_path / f"{kind}.csv", **kw))
    pd.testing.assert_frame_equal(_stored(area_store), _stored(ref_store))
    assert len(_stored(area_store)) == 3
    assert any(n.startswith("read as ") for n in rep.notes)
    ref_store.dispose()


def test_missing_column_message_says_how_the_file_was_read(area_store, tmp_path):
    path = write(tmp_path / "s.csv", sep=";", encoding="utf-16")
    before = snapshot(area_store)
    with pytest.raises(InputError) as e:
        import_assets(area_store, path, name_column="title")
    assert "read as UTF-16 (byte-order mark), semicolon-separated" in e.value.message
    assert "name, category, address" in e.value.message
    assert snapshot(area_store) == before


def test_readers_calling_pandas_themselves_get_the_options(tmp_path):
    path = write(tmp_path / "services.csv", sep=";", encoding="utf-16")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, **sniff.read_options(path))
    assert df.columns.tolist() == HEADER and len(df) == 3


def test_title_lines_above_the_header(tmp_path):
    body = pd.DataFrame(rows(), columns=HEADER).to_csv(sep=";", index=False)
    (tmp_path / "t.csv").write_text("Care directory with ratings\nas of 1 March 2026, all\n"
                                    + body)
    assert sniff.sniff_csv(tmp_path / "t.csv").delimiter == ";"
    df = read_table(tmp_path / "t.csv", skiprows=2)
    assert df.columns.tolist() == HEADER and len(df) == 3
