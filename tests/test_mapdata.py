"""What the maps' area layers show (assetmap/mapdata.py): the need index's title."""
from types import SimpleNamespace

import numpy as np
import pandas as pd

from assetmap import mapdata


def _wd(used):
    areas = pd.DataFrame({"code": ["E01000001", "E01000002"], "need_index": [0.2, 0.7]})
    indicators = pd.DataFrame({"id": ["imd_score", "llti", "idaopi"],
                               "title": ["IMD score", "Long-term illness", "IDAOPI"],
                               "unit": ["score", "%", "%"]})
    run = None if used is None else {"summary": {"indicators_used": used}}
    return SimpleNamespace(areas=areas, indicators=indicators, run=run,
                           values=pd.DataFrame({"indicator_id": [], "area_code": [],
                                                "value": np.array([], dtype=float)}))


def test_need_index_is_an_older_peoples_index_only_when_made_from_one():
    assert mapdata.measures(_wd({"idaopi": 0.5, "llti": 0.5}))["need_index"][0] == \
        "Need index (older people)"
    assert mapdata.measures(_wd(None))["need_index"][0] == "Need index (older people)"
    only_imd = mapdata.measures(_wd({"imd_score": 1.0}))["need_index"]
    assert only_imd == ("Need index (from IMD score)", "score")
    assert mapdata.need_title(_wd({"imd_rank": 0.6, "llti": 0.4})) == \
        "Need index (from imd_rank, Long-term illness)"
