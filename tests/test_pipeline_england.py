"""England's values file: written, read back, merged into a store; bad files name the entry."""
import json

import pytest

from assetmap.errors import InputError
from assetmap.pipeline import england


def test_values_round_trip_and_merge(tmp_path, demo_store_copy):
    path = england.write_benchmarks_file(tmp_path / "e" / "england.json", {"llti": 17.3})
    assert england.read_benchmarks_file(path) == {"llti": 17.3}
    demo_store_copy.set_meta("england_benchmarks", json.dumps({"imd": 21.0}))
    assert england.import_benchmarks(demo_store_copy, path) == {"llti": 17.3}
    assert json.loads(demo_store_copy.get_meta("england_benchmarks")) == {"imd": 21.0,
                                                                          "llti": 17.3}


@pytest.mark.parametrize("text, field", [('{"llti": "many"}', "llti"),
                                         ('{"llti": NaN}', "llti"), ("[1, 2]", None),
                                         ("{not json", None)])
def test_a_bad_file_names_the_file_and_entry(tmp_path, text, field):
    path = tmp_path / "england.json"
    path.write_text(text)
    with pytest.raises(InputError) as e:
        england.read_benchmarks_file(path)
    assert e.value.file == str(path) and e.value.field == field
