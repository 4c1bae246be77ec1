"""Plan parameters (assetmap.outreach.params): what a coordinator may ask for."""
from __future__ import annotations

import pytest

from assetmap.errors import InputError


def test_bad_params_are_refused():
    from assetmap import outreach
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "polygon", "polygon": "{not json"})
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "wards", "ids": []})
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "wards", "ids": ["x"], "client_group": "cats"})
    with pytest.raises(InputError):
        outreach.PlanParams.from_dict({"patch": "wards", "ids": ["x"], "walk_minutes": "500"})


def test_params_from_form_text():
    """Form and query-string text parses to the same parameters as typed values."""
    from assetmap import outreach, settings
    p = outreach.PlanParams.from_dict({
        "patch": "wards", "ids": "E05990001, E05990002", "walk_minutes": "", "top": "7",
        "closed": "open", "stop_ids": "area:E01,asset:3,", "polygon": ""})
    assert p.ids == ["E05990001", "E05990002"] and p.stop_ids == ["area:E01", "asset:3"]
    assert p.walk_minutes == settings.OUTREACH_WALK_MINUTES and p.top == 7 and p.closed is False
    assert p.polygon is None
    again = outreach.PlanParams.from_dict(p.to_dict())
    assert again == p and again.key() == p.key()
