"""The analyse step end to end: a synthetic borough with a planted hotspot and gap, the demo
borough's planted features, stored runs read back, reproducibility, parameters, the CLI."""
import json

import numpy as np
import pandas as pd
import pytest

from assetmap import pipeline, results, settings
from assetmap.analysis import routing
from assetmap.errors import InputError, NoData
from assetmap.store import Store

import netref
import synthetic


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    store = Store(f"sqlite:///{d / 'a.sqlite'}")
    b = synthetic.build_store(store, seed=1)
    routing.clear()
    result = pipeline.run(store)
    return store, b, result


def test_planted_hotspot_and_gap_found(synth):
    store, b, a = synth
    areas = a.areas.set_index("code")
    planted = b["planted"]["hotspot_areas"]
    hot = areas.loc[planted, "gi_class"]
    assert (hot == "hot").mean() >= 0.75
    assert (areas.loc[planted, "lisa_class"] == "HH").mean() >= 0.6
    # nothing hot far from the planted corner
    hot_codes = set(areas.index[areas["gi_class"] == "hot"])
    rows = {c: int(c[-6:]) - 990000 for c in areas.index}
    assert all(rows[c] // 12 <= 4 and rows[c] % 12 <= 4 for c in hot_codes)
    gaps = set(areas.index[areas["is_gap"]])
    assert set(b["planted"]["gap_areas"]) <= gaps
    top = a.summary["top_gaps"][:5]
    assert set(top) <= set(b["planted"]["gap_areas"])
    # the planted corner is missing social assets within reach
    assert "library" in areas.loc[planted[0], "missing_within_reach"]


def test_frames_and_columns(synth):
    _, b, a = synth
    assert set(a.frames()) == set(pipeline.FRAMES)
    assert a.areas.crs.to_epsg() == 4326 and len(a.areas) == len(b["areas"])
    for col in ("need_index", "need_rank", "need_decile", "loneliness_risk", "min_library",
                "social_min", "n15_social", "supply_all", "is_gap", "bivariate_class",
                "isolation", "gi_z", "gi_q", "gi_class", "lisa_i", "lisa_class"):
        assert col in a.areas.columns, col
    assert set(a.access.columns) == {"area_code", "category", "minutes", "beyond_cap",
                                     "off_network", "within_10", "within_15", "within_20"}
    assert {"essential_min", "off_network"} <= set(a.areas.columns)
    assert set(a.e2sfca["group_kind"]) == {"all", "service_type", "client_group",
                                           "service_client"}
    assert {"home_support", "dementia"} <= set(a.e2sfca["group"])
    assert a.indicators["comparison"].isin(["better", "similar", "worse", "higher", "lower",
                                            "not compared"]).all()
    assert len(a.isochrones) == 3 * (b["assets"]["category"] == "neighbourhood_hub").sum()
    assert a.isochrones.crs.to_epsg() == 4326
    assert (a.access["minutes"] <= settings.ACCESS_MAX_MINUTES).all()
    assert a.summary["router"] == "network" and a.summary["missing_indicators"] == []


def _provider_pairs(store):
    """Expected service type x client group pairs: provider capacity summed per pair (missing
    capacity = the median of the known ones, as the pipeline fills it)."""
    from assetmap import model
    a = store.read_assets(statuses=("approved",))
    prov = a[a["is_provider"]]
    cap = prov["capacity_hours"].to_numpy(dtype=float)
    cap = np.where(np.isnan(cap), np.nanmedian(cap), cap)
    out = {}
    for sts, cgs, c in zip(prov["service_types"], prov["client_groups"], cap):
        for st in model.split_list(sts):
            for cg in model.split_list(cgs):
                out[(st, cg)] = out.get((st, cg), 0.0) + c
    return out


def test_service_type_client_group_pairs(synth):
    """Every service type x client group pair offered by a provider has its own E2SFCA and gap
    rows, with the service_type and client_group columns filled, and a pair's supply is only
    its own providers'."""
    store, _, a = synth
    e, g = a.e2sfca, a.gaps
    n = len(a.areas)
    for frame in (e, g):
        assert {"service_type", "client_group"} <= set(frame.columns)
        kind = frame["group_kind"]
        assert (frame.loc[kind == "all", ["service_type", "client_group"]] == "").all().all()
        st_rows = frame[kind == "service_type"]
        assert (st_rows["service_type"] == st_rows["group"]).all()
        assert (st_rows["client_group"] == "").all()
        cg_rows = frame[kind == "client_group"]
        assert (cg_rows["client_group"] == cg_rows["group"]).all()
        assert (cg_rows["service_type"] == "").all()
        pair = frame[kind == "service_client"]
        assert (pair["group"] == pair["service_type"] + "+" + pair["client_group"]).all()
        assert (pair["service_type"] != "").all() and (pair["client_group"] != "").all()
    expected = _provider_pairs(store)
    pair = e[e["group_kind"] == "service_client"]
    got = pair.groupby(["service_type", "client_group"])["supply_total"].first().to_dict()
    assert set(got) == set(expected) and len(expected) >= 4
    for k, v in expected.items():
        assert got[k] == pytest.approx(v), k
    assert (pair.groupby("group").size() == n).all()
    keys = ["group_kind", "group", "service_type", "client_group", "unit"]
    assert set(map(tuple, g[keys].drop_duplicates().to_numpy())) == \
        set(map(tuple, e[keys].drop_duplicates().to_numpy()))
    assert a.summary["e2sfca_groups"].count("service_client:home_support+dementia:hours") == \
        int(("home_support", "dementia") in expected)
    # a pair's access never exceeds its client group's (its supply is a subset of theirs,
    # over the same demand) and equals it where they share the same providers (here: the
    # same capacity). The service type's parent group is measured against everyone's demand
    # (client group ""), so it is compared only where the two demands are the same.
    acc = e.set_index(["group_kind", "group", "area_code"])["supply"].sort_index()
    total = e.groupby(["group_kind", "group"])["supply_total"].first()
    dem = {c: rows.groupby("area_code")["demand"].first() for c, rows in e.groupby("client_group")}
    same = 0
    for (st, cg) in expected:
        p_acc = acc.loc[("service_client", f"{st}+{cg}")]
        parents = [("client_group", cg)] + ([("service_type", st)] if np.allclose(
            dem[cg], dem[""].reindex(dem[cg].index)) else [])
        for kind, parent in parents:
            q_acc = acc.loc[(kind, parent)].reindex(p_acc.index)
            assert (p_acc <= q_acc + 1e-12).all(), (st, cg, kind)
            if total[(kind, parent)] == total[("service_client", f"{st}+{cg}")]:
                np.testing.assert_allclose(p_acc, q_acc, rtol=1e-12)
                same += 1
    assert same > 0
    # each pair's gaps are classed on its own supply
    from assetmap.analysis import gaps as gaps_mod
    st, cg = sorted(expected)[0]
    rows = g[(g["service_type"] == st) & (g["client_group"] == cg)]
    ref = gaps_mod.classify(rows["need"].to_numpy(), rows["supply"].to_numpy())
    np.testing.assert_array_equal(rows["bivariate_class"].to_numpy(), ref["bivariate_class"])
    np.testing.assert_array_equal(rows["gap_rank"].to_numpy(), ref["gap_rank"])


def test_provider_groups_by_hand():
    prov = pd.DataFrame({"service_types": ["day_activities|befriending", "befriending", ""],
                         "client_groups": ["learning_disability", "carers|dementia", "carers"]})
    keys, masks = pipeline.provider_groups(prov)
    got = {k: m.tolist() for k, m in zip(keys, masks)}
    assert got[("all", "all", "", "", "hours")] == [True, True, True]
    assert got[("service_type", "befriending", "befriending", "", "hours")] == [True, True, False]
    assert got[("client_group", "carers", "", "carers", "hours")] == [False, True, True]
    pairs = {k[1]: m for k, m in got.items() if k[0] == "service_client"}
    assert pairs == {"day_activities+learning_disability": [True, False, False],
                     "befriending+learning_disability": [True, False, False],
                     "befriending+carers": [False, True, False],
                     "befriending+dementia": [False, True, False]}
    assert {k[4] for k in keys} == {"hours"}            # nobody counts in places here
    keys, masks = pipeline.provider_groups(prov.iloc[0:0])
    assert keys == [("all", "all", "", "", "hours")] and len(masks[0]) == 0


def test_provider_groups_keep_hours_and_places_apart():
    """A provider of accommodation (or with capacity_places) counts in places, the others in
    hours; a group with both has a row per unit and no row mixes them."""
    prov = pd.DataFrame({"service_types": ["day_activities", "day_activities|accommodation",
                                           "day_activities"],
                         "client_groups": ["dementia", "dementia", "dementia"],
                         "capacity_places": [np.nan, 4.0, 3.0]})
    keys, masks = pipeline.provider_groups(prov)
    got = {k: m.tolist() for k, m in zip(keys, masks)}
    assert got[("service_type", "day_activities", "day_activities", "", "hours")] == \
        [True, False, False]
    assert got[("service_type", "day_activities", "day_activities", "", "places")] == \
        [False, True, True]
    assert got[("service_type", "accommodation", "accommodation", "", "places")] == \
        [False, True, False]
    assert ("service_type", "accommodation", "accommodation", "", "hours") not in got
    units = ["hours", "places", "places"]
    for k, m in got.items():                    # a group holds providers of its unit only
        assert all(units[i] == k[4] for i, inside in enumerate(m) if inside), k


def test_access_matches_direct_network_distance(synth):
    """An area's nearest-library minutes equal the mean over its origins of the walk to the
    nearest library found by networkx on the street segments, every point joined to its
    nearest segment by brute force (netref)."""
    store, _, a = synth
    from assetmap.analysis import network, origins
    graph = pipeline.load_graph(store)
    areas = store.read_areas()
    areas_p = areas.to_crs(settings.ANALYSIS_CRS)
    o_area, o_xy, o_w = origins.area_origins(areas_p.geometry.values, pipeline._pwc_xy(areas),
                                             graph, settings.ORIGINS_PER_AREA,
                                             settings.ORIGIN_SEED)
    lib = store.read_assets(categories=["library"])
    l_xy = pipeline._xy(lib.geometry)
    ref = netref.Reference.from_graph(graph, settings.MIN_COMPONENT_NODES)
    d = ref.nearest(o_xy, l_xy, max_snap=settings.MAX_SNAP_DISTANCE_M)
    mins = np.minimum(d / network.metres_per_minute(settings.WALK_SPEED_KMH),
                      settings.ACCESS_MAX_MINUTES)
    expected = np.bincount(o_area, weights=mins * o_w) / np.bincount(o_area, weights=o_w)
    got = a.areas["min_library"].to_numpy()
    np.testing.assert_allclose(got, expected, atol=0.05 + 1e-9)      # published to 0.1 min
    assert (np.round(got, 1) == got).all()


def test_stored_run_reads_back(synth):
    store, _, a = synth
    b = pipeline.load(store, a.run_id)
    assert b.run_id == a.run_id and b.data_version == store.data_version()
    assert b.params["walk_speed_kmh"] == settings.WALK_SPEED_KMH
    assert b.summary["gaps"] == a.summary["gaps"]
    for name in pipeline.FRAMES:
        pd.testing.assert_frame_equal(pd.DataFrame(b.frame(name)), pd.DataFrame(a.frame(name)),
                                      check_dtype=False)
    assert pipeline.load(store).run_id >= a.run_id


def test_reproducible(synth):
    store, _, a = synth
    b = pipeline.run(store, save=False)
    for name in pipeline.FRAMES:
        pd.testing.assert_frame_equal(pd.DataFrame(b.frame(name)), pd.DataFrame(a.frame(name)))
    assert results.to_bytes(b.areas) == results.to_bytes(a.areas)


def test_params_override_and_validate(synth):
    store, _, a = synth
    slow = pipeline.run(store, {"slow_walk": True, "permutations": 99,
                                "isochrone_categories": []}, save=False)
    assert slow.params["walk_speed_kmh"] == settings.SLOW_WALK_SPEED_KMH
    fast_min = a.areas["min_pharmacy"].to_numpy()
    slow_min = slow.areas["min_pharmacy"].to_numpy()
    ok = slow_min < settings.ACCESS_MAX_MINUTES
    np.testing.assert_allclose(slow_min[ok], fast_min[ok] * 1.5, atol=0.1 + 1e-9)  # 0.1 min
    assert len(slow.isochrones) == 0
    with pytest.raises(InputError):
        pipeline.run(store, {"walk_sped": 3}, save=False)
    with pytest.raises(InputError):
        pipeline.run(store, {"walk_speed_kmh": 0}, save=False)
    w = pipeline.run(store, {"need_weights": {"llti": 1.0, "no_such": 1.0},
                             "isochrone_categories": []}, save=False)
    assert w.summary["indicators_used"] == {"llti": 1.0}
    assert w.summary["missing_indicators"] == ["no_such"]
    e = pipeline.run(store, {"england_benchmarks": {"llti": 17.3}, "permutations": 9,
                             "isochrone_categories": []}, save=False)
    eng = e.indicators[e.indicators["benchmark_name"] == "England"]
    assert set(eng["indicator_id"]) == {"llti"} and (eng["benchmark"] == 17.3).all()
    assert len(e.indicators) == len(a.indicators) + len(eng)


def test_isochrone_on_demand(synth):
    store, b, _ = synth
    c = b["areas"].geometry.iloc[70].centroid
    iso = pipeline.isochrone(store, c.x, c.y, [5, 10])
    assert iso.crs.to_epsg() == 4326 and iso["minutes"].tolist() == [5.0, 10.0]
    assert iso.geometry.iloc[1].contains(iso.geometry.iloc[0].representative_point())
    assert iso.geometry.iloc[0].contains(c)


def test_without_street_network_falls_back_to_crow_fly(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    b = synthetic.borough(seed=2, n=6)
    store.write_areas(b["areas"])
    store.write_indicators(b["indicators"])
    store.write_values(b["values"][b["values"]["indicator_id"] != "idaopi"])
    store.write_assets(b["assets"], b["providers"])
    a = pipeline.run(store, {"permutations": 99})
    assert a.summary["router"] == "crow-fly" and a.summary["graph"] is None
    assert a.summary["missing_indicators"] == ["idaopi"]
    assert np.isfinite(a.areas["min_library"]).all()
    assert len(a.isochrones) == 0
    with pytest.raises(NoData):
        pipeline.isochrone(store, 0.0, 52.0)


def test_loneliness_with_a_missing_census_input(tmp_path):
    """No marital status in the data: the model still runs with the widowed share held at
    its reference value, ranks areas as the model on the other inputs does, and the run
    says which input it assumed. A loneliness_risk indicator given directly wins over an
    incomplete model; with no input at all the risk is missing."""
    from assetmap.analysis import loneliness
    b = synthetic.borough(seed=2, n=6)
    vals = b["values"]

    def run_with(values):
        store = Store(f"sqlite:///{tmp_path / f'l{len(list(tmp_path.iterdir()))}.sqlite'}")
        store.write_areas(b["areas"])
        meta = b["indicators"]
        if "loneliness_risk" in set(values["indicator_id"]):
            meta = pd.concat([meta, pd.DataFrame([{
                "id": "loneliness_risk", "title": "Loneliness risk", "unit": "%",
                "polarity": "high_bad", "ci_method": "none"}])], ignore_index=True)
        store.write_indicators(meta)
        store.write_values(values)
        store.write_assets(b["assets"], b["providers"])
        return pipeline.run(store, {"permutations": 9, "isochrone_categories": []}, save=False)

    full = run_with(vals)
    assert full.summary["loneliness_assumed_inputs"] == []
    part = run_with(vals[vals["indicator_id"] != "lon_widowed"])
    assert part.summary["loneliness_source"] == "model"
    assert part.summary["loneliness_assumed_inputs"] == ["lon_widowed"]
    assert part.summary["loneliness_assumed_values"] == {"lon_widowed": 0.2826}
    assert "loneliness_risk" in part.summary["indicators_used"]
    assert "loneliness_risk" not in part.summary["missing_indicators"]
    lo = part.areas["loneliness_logodds"].to_numpy()
    assert np.isfinite(lo).all()
    wide = vals.pivot(index="area_code", columns="indicator_id", values="value") \
        .reindex(part.areas["code"])
    ref = loneliness.loneliness_risk(wide.assign(lon_widowed=0.2826))["loneliness_logodds"]
    np.testing.assert_allclose(lo, ref.to_numpy(), atol=1e-12)
    no_w = loneliness.loneliness_risk(wide.assign(lon_widowed=0.0))["loneliness_logodds"]
    assert (pd.Series(lo).rank().to_numpy() == no_w.rank().to_numpy()).all()
    lon_ids = [c for c in vals["indicator_id"].unique() if c.startswith("lon_")]
    no_inputs = vals[~vals["indicator_id"].isin(lon_ids)]
    direct = pd.DataFrame({"indicator_id": "loneliness_risk", "area_code": part.areas["code"],
                           "value": np.linspace(10, 30, len(part.areas))})
    mixed = run_with(pd.concat([vals[vals["indicator_id"] != "lon_widowed"], direct]))
    assert mixed.summary["loneliness_source"] == "indicator"
    assert mixed.summary["loneliness_assumed_inputs"] == []
    none = run_with(no_inputs)
    assert none.summary["loneliness_source"] == "missing"
    assert none.summary["loneliness_assumed_inputs"] == []
    assert none.areas["loneliness_risk"].isna().all()


def test_empty_store_is_no_data(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'c.sqlite'}")
    with pytest.raises(NoData):
        pipeline.run(store)
    with pytest.raises(NoData):
        pipeline.load(store)


def test_cli_analyse_json(synth):
    from click.testing import CliRunner

    from assetmap.cli import main
    store, _, _ = synth
    res = CliRunner().invoke(main, ["--db", store.url, "analyse", "--json", "-p",
                                    "permutations=99", "-p", "isochrone_categories=[]"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout[res.stdout.index("{"):])
    assert out["run_id"] == store.latest_run()["id"] and out["areas"] == 144
    res = CliRunner().invoke(main, ["--db", store.url, "analyse", "-p", "nope=1"])
    assert res.exit_code == 2


# --- the demo borough -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_run(demo_copy):
    """The demo borough as analysed once per session (the cached analysed copy)."""
    store = demo_copy(analysed=True)
    return json.loads(store.get_meta("planted")), pipeline.load(store), None


def test_demo_planted_hotspot_found(demo_run):
    planted, a, _ = demo_run
    areas = a.areas.set_index("code")
    hot = areas.loc[planted["hotspot_areas"], "gi_class"]
    assert (hot == "hot").mean() >= 0.7, hot
    assert (areas.loc[planted["hotspot_areas"], "lisa_class"] == "HH").mean() >= 0.5
    # the planted estate dominates the hot spots
    hot_all = areas.index[areas["gi_class"] == "hot"]
    assert len(set(hot_all) & set(planted["hotspot_areas"])) >= len(hot_all) / 2


def test_demo_planted_gap_found(demo_run):
    planted, a, _ = demo_run
    areas = a.areas.set_index("code")
    assert areas.loc[planted["gap_areas"], "is_gap"].mean() >= 0.8
    ranked = areas[areas["is_gap"]].sort_values("gap_rank").index[:10]
    assert len(set(ranked) & set(planted["gap_areas"])) >= 3
    assert areas.loc[planted["gap_areas"], "need_decile"].min() >= 8
    assert (areas.loc[planted["gap_areas"], "min_micro_provider"] > 15).all()


def test_json_fallback_round_trip(synth, monkeypatch):
    """Without pyarrow, runs are stored as (Geo)JSON and read back the same."""
    _, _, a = synth
    monkeypatch.setattr(results, "_has_pyarrow", lambda: False)
    for name in ("areas", "access", "isochrones"):
        frame = a.frame(name)
        data = results.to_bytes(frame)
        assert data[:1] == b"{"
        back = results.from_bytes(data)
        assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
        num = frame.select_dtypes("number").columns
        np.testing.assert_allclose(back[num].to_numpy(float), frame[num].to_numpy(float))
    areas = results.from_bytes(results.to_bytes(a.areas))
    assert areas.crs.to_epsg() == 4326
    assert areas.geometry.iloc[0].equals_exact(a.areas.geometry.iloc[0], 1e-9)


# --- the result contract --------------------------------------------------------------------------
def test_every_frame_meets_the_result_contract(synth):
    """What run() returns and what load() reads back are exactly the declared columns and
    dtypes of assetmap.results (no consumer needs an alias or a fallback)."""
    store, _, a = synth
    b = pipeline.load(store, a.run_id)
    for name in pipeline.FRAMES:
        for frame in (a.frame(name), b.frame(name)):
            results.validate(name, frame)
        declared = [c.name for c in results.columns(name) if c.pattern is None]
        assert [c for c in a.frame(name).columns if c in declared] == declared, name


def test_a_renamed_result_column_fails_the_contract(synth, monkeypatch):
    """A column renamed in the pipeline (is_gap -> gap) is a named error, not a blank page."""
    store, _, _ = synth
    real = pipeline.gaps_step

    def renamed(*args, **kw):
        df, g_all, missing = real(*args, **kw)
        return df.rename(columns={"is_gap": "gap"}), g_all, missing
    monkeypatch.setattr(pipeline, "gaps_step", renamed)
    with pytest.raises(results.ContractError, match="result 'gaps'.*missing column 'is_gap'"):
        pipeline.run(store, {"permutations": 9, "isochrone_categories": []}, save=False)


def test_an_outdated_stored_run_is_refused_clearly(synth):
    """A run stored by a version whose frames differ is OutdatedRun (pages say so)."""
    store, _, a = synth
    old = a.gaps.rename(columns={"is_gap": "gap"})
    blobs = {name: results.to_bytes(f) for name, f in a.frames().items()}
    blobs["gaps"] = results.to_bytes(old)
    rid = store.save_run(a.params, a.data_version, blobs, a.summary)
    with pytest.raises(pipeline.OutdatedRun, match="older version"):
        pipeline.load(store, rid)


def test_areas_without_indicators_are_not_ranked(tmp_path):
    """An area with no indicator value has an empty need rank and decile, never rank 0
    (which pages would sort before rank 1)."""
    store = Store(f"sqlite:///{tmp_path / 'u.sqlite'}")
    b = synthetic.borough(seed=2, n=6)
    lost = b["areas"]["code"].iloc[3]
    store.write_areas(b["areas"])
    store.write_indicators(b["indicators"])
    store.write_values(b["values"][b["values"]["area_code"] != lost])
    store.write_assets(b["assets"], b["providers"])
    a = pipeline.run(store, {"permutations": 9, "isochrone_categories": []}, save=False)
    areas = a.areas.set_index("code")
    assert pd.isna(areas.loc[lost, "need_rank"]) and pd.isna(areas.loc[lost, "need_decile"])
    assert areas["need_rank"].drop(lost).min() == 1


def test_a_failing_step_stops_the_isochrones_being_drawn(demo_store, monkeypatch):
    """Isochrones are drawn on threads beside the other steps; a step that fails cancels
    the ones not yet begun, and the run raises its error with no thread left behind."""
    import threading
    import time

    from assetmap.pipeline import steps
    drawn = []
    real = steps.isochrones

    def slow(*a, **k):
        time.sleep(0.3)
        drawn.append(1)
        return real(*a, **k)

    def failing_access(*a, **k):
        time.sleep(0.1)
        raise RuntimeError("access failed")

    monkeypatch.setattr(steps, "isochrones", slow)
    hubs = int((demo_store.read_assets(statuses=("approved",))["category"]
                == "neighbourhood_hub").sum())
    assert hubs >= 6
    with pytest.raises(RuntimeError, match="access failed"):
        pipeline.run(demo_store, save=False, access=failing_access)
    assert len(drawn) <= 4 < hubs                       # two threads, stopped at once
    assert not [t for t in threading.enumerate() if t.name.startswith("isochrones")]
