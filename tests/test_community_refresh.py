"""The analysis refresh after approvals (assetmap.community.refresh)."""
from assetmap.community import refresh


def test_a_data_version_already_analysed_is_not_analysed_again(demo_copy):
    """Several server processes each refresh after their own approvals: a run that already
    exists for the store's data version is reused, not repeated."""
    store = demo_copy(analysed=True)
    latest = store.latest_run()
    assert latest["data_version"] == store.data_version()
    assert refresh.run_now(store) == latest["id"]
    assert store.latest_run()["id"] == latest["id"]          # no new run was stored
    store.dispose()
