import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from assetmap import model
from assetmap.errors import InputError


def test_split_and_join_lists():
    assert model.split_list("a| b ,c;") == ["a", "b", "c"]
    assert model.split_list(None) == [] and model.split_list(float("nan")) == []
    assert model.join_list(["a", "b"]) == "a|b"


def test_normalise_postcode():
    assert model.normalise_postcode(" m154ab ") == "M15 4AB"
    assert model.normalise_postcode("") is None


def _assets(**over):
    row = {"id": "a1", "name": "Hall", "category": "community_centre",
           "geometry": Point(-1.2, 52.8)}
    row.update(over)
    return gpd.GeoDataFrame([row], crs="EPSG:4326")


def test_validate_assets_defaults_and_coercion():
    out = model.validate_assets(_assets(contact_public="yes", postcode="ab12cd"))
    r = out.iloc[0]
    assert r["status"] == "approved" and r["version"] == 1 and bool(r["contact_public"])
    assert r["postcode"] == "AB1 2CD"


@pytest.mark.parametrize("over,field", [
    ({"category": "casino"}, "category"),
    ({"name": None}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"status": "maybe"}, "status"),
    ({"contact_public": "perhaps"}, "contact_public"),
])
def test_validate_assets_names_the_field(over, field):
    with pytest.raises(InputError) as e:
        model.validate_assets(_assets(**over), file="f.csv")
    assert e.value.field == field and e.value.file == "f.csv" and e.value.row == 1


def test_validate_assets_rejects_projected_coordinates_without_crs():
    g = gpd.GeoDataFrame([{"id": "a", "name": "n", "category": "library",
                           "geometry": Point(452000, 318000)}])
    with pytest.raises(InputError, match="coordinate reference system"):
        model.validate_assets(g)


def test_validate_providers_ranges_and_vocabulary():
    base = {"asset_id": "a1", "service_types": "home_support", "client_groups": "older_people",
            "hourly_price": 18}
    assert model.validate_providers(pd.DataFrame([base]))["quality_mark"].iloc[0] == "none"
    with pytest.raises(InputError) as e:
        model.validate_providers(pd.DataFrame([{**base, "hourly_price": -1}]))
    assert e.value.field == "hourly_price"
    with pytest.raises(InputError) as e:
        model.validate_providers(pd.DataFrame([{**base, "client_groups": "older_people|pets"}]))
    assert e.value.field == "client_groups" and "pets" in str(e.value)


def test_validate_areas_duplicate_code():
    g = gpd.GeoDataFrame([{"code": "E01000001", "name": "a", "geometry": box(0, 50, 0.01, 50.01)},
                          {"code": "E01000001", "name": "b", "geometry": box(0, 50, 0.01, 50.01)}],
                         crs="EPSG:4326")
    with pytest.raises(InputError) as e:
        model.validate_areas(g)
    assert e.value.row == 2 and e.value.field == "code"
