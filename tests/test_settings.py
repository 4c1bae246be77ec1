"""Where AssetMap keeps things (issue 14): templates, static files and demo boundaries in a
source checkout (web/, data/) or inside the installed package (mapped there by setup.py);
the instance folder from ASSETMAP_INSTANCE, the checkout's instance/, or the per-user data
folder (platformdirs), never inside the package."""
import importlib
from pathlib import Path

import pytest

from assetmap import settings


def test_in_a_checkout_paths_are_the_repository_folders():
    root = Path(__file__).resolve().parents[1]
    assert settings.IN_CHECKOUT
    assert settings.TEMPLATES_DIR == root / "web" / "templates"
    assert settings.STATIC_DIR == root / "web" / "static"
    assert settings.BOUNDARIES_DIR == root / "data" / "boundaries"
    assert (settings.TEMPLATES_DIR / "base.html").is_file()


@pytest.fixture
def reloaded(monkeypatch):
    """settings re-imported under a changed environment, then restored."""
    def load(**env):
        for k, v in env.items():
            if v is None:
                monkeypatch.delenv(k, raising=False)
            else:
                monkeypatch.setenv(k, v)
        return importlib.reload(settings)
    yield load
    monkeypatch.undo()
    importlib.reload(settings)


def test_instance_folder_from_the_environment(reloaded, tmp_path):
    s = reloaded(ASSETMAP_INSTANCE=str(tmp_path / "inst"), ASSETMAP_SECRET_KEY="k3y",
                 ASSETMAP_CONFIG=str(tmp_path / "a.cfg"), ASSETMAP_DB=None)
    assert s.INSTANCE_DIR == tmp_path / "inst" and s.SECRET_KEY == "k3y"
    assert s.CONFIG_FILE == str(tmp_path / "a.cfg")
    assert s.default_db_url() == f"sqlite:///{tmp_path / 'inst' / 'assetmap.sqlite'}"


def test_installed_the_instance_is_the_per_user_data_folder(reloaded, tmp_path, monkeypatch):
    s = reloaded(ASSETMAP_INSTANCE=None, XDG_DATA_HOME=str(tmp_path / "xdg"))
    monkeypatch.setattr(s, "IN_CHECKOUT", False)
    folder = s._instance_dir()
    assert folder == tmp_path / "xdg" / "assetmap"
    assert s.PACKAGE_DIR not in folder.parents
