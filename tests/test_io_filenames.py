"""Download file names that carry their filters (assetmap.io.filenames, issue 12)."""
from __future__ import annotations

import re
from urllib.parse import unquote

from assetmap.io.filenames import content_disposition, download_name, slug


def test_names_carry_the_filters_in_order():
    assert download_name("assetmap-gaps", ["home_support", "dementia", "E01011229"], "csv") \
        == "assetmap-gaps-home_support-dementia-E01011229.csv"
    assert download_name("assetmap-gaps", ["", None, "dementia"], "csv") == \
        "assetmap-gaps-dementia.csv"


def test_hostile_parts_are_made_safe():
    for bad in ("../../etc/passwd", 'a"b\\c', "x\r\ny", "\x00\x1f", "...", "CON<>|?*",
                "名前", "<script>alert(1)</script>"):
        name = download_name("assetmap", [bad], "csv")
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", name), name
        assert ".." not in name and not name.startswith(".") and name.endswith(".csv")
    assert slug("Ynys Môn") == "Ynys-Mon"
    assert slug("Ynys Môn", keep_unicode=True) == "Ynys-Môn"


def test_long_names_are_capped_and_stay_distinct():
    a = download_name("assetmap-gaps", ["x" * 200, "one"], "csv", limit=60)
    b = download_name("assetmap-gaps", ["x" * 200, "two"], "csv", limit=60)
    assert a != b and len(a) <= 60 + len(".csv") and len(b) <= 64


def test_content_disposition_is_quoted_with_a_utf8_name_for_other_letters():
    assert content_disposition("assetmap-gaps.csv") == 'attachment; filename="assetmap-gaps.csv"'
    cd = content_disposition("outreach-Ynys Môn-dementia.csv")
    m = re.fullmatch(r'attachment; filename="([^"]+)"; filename\*=UTF-8\'\'(\S+)', cd)
    assert m and m.group(1) == "outreach-Ynys-Mon-dementia.csv"
    assert unquote(m.group(2)) == "outreach-Ynys-Môn-dementia.csv"
    assert '"' not in content_disposition('a"b.csv').split('filename="')[1][:-1]
