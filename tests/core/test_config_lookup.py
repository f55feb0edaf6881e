"""The config folder is found from anywhere: --config-dir, WHIRLPOOL_CONFIG_DIR, ./config, the packaged
defaults, in that order; the packaged defaults are the repository's config/ files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import REPO
from whirlpool.cli import main
from whirlpool.settings import config_dir, load_settings, packaged_config_dir

SETTINGS = "data_dir: from-{}\n"


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    """A folder for each place config can come from, each with a settings.yaml naming it."""
    found = {}
    for name in ("option", "environment", "cwd/config"):
        folder = tmp_path / name
        folder.mkdir(parents=True)
        (folder / "settings.yaml").write_text(SETTINGS.format(name.split("/")[0]), encoding="utf-8")
        found[name] = folder
    return found


def test_config_dir_option_wins_over_environment_and_local_config(folders, tmp_path):
    env = {"WHIRLPOOL_CONFIG_DIR": str(folders["environment"])}
    found = config_dir(folders["option"], environ=env, cwd=tmp_path / "cwd")
    assert found == (folders["option"], "--config-dir")


def test_environment_wins_over_local_config(folders, tmp_path):
    env = {"WHIRLPOOL_CONFIG_DIR": str(folders["environment"])}
    found = config_dir(environ=env, cwd=tmp_path / "cwd")
    assert found == (folders["environment"], "WHIRLPOOL_CONFIG_DIR")


def test_local_config_folder_is_used_when_it_holds_a_whirlpool_file(folders, tmp_path):
    found = config_dir(environ={}, cwd=tmp_path / "cwd")
    assert found == (folders["cwd/config"], "./config in the current folder")


def test_a_local_config_folder_without_whirlpool_files_is_not_taken(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "something-else.ini").write_text("", encoding="utf-8")
    assert config_dir(environ={}, cwd=tmp_path) == (packaged_config_dir(), "packaged defaults")


def test_packaged_defaults_when_nothing_else_is_found(tmp_path):
    found = config_dir(environ={}, cwd=tmp_path)
    assert found.origin == "packaged defaults"
    assert (found.path / "taxonomy.yaml").is_file()


def test_packaged_defaults_are_the_config_folder_files():
    """whirlpool/defaults/*.yaml link to config/*.yaml: a file added, removed or copied instead of
    linked in one folder and not the other fails here."""
    packaged = packaged_config_dir()
    assert sorted(p.name for p in packaged.glob("*.yaml")) == sorted(
        p.name for p in (REPO / "config").glob("*.yaml")
    )
    for path in packaged.glob("*.yaml"):
        assert path.is_symlink(), f"{path} should link to config/{path.name}, not be a second copy"
        assert path.resolve() == (REPO / "config" / path.name).resolve()


def test_load_settings_says_where_config_was_found(folders, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "cwd")
    settings = load_settings(environ={})
    assert settings.config_location == (folders["cwd/config"], "./config in the current folder")
    assert settings.data_dir == Path("from-cwd")
    settings = load_settings(environ={"WHIRLPOOL_CONFIG_DIR": str(folders["environment"])})
    assert settings.config_location.describe() == f"{folders['environment']} (WHIRLPOOL_CONFIG_DIR)"


def test_help_names_the_config_folder_in_use(folders, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WHIRLPOOL_CONFIG_DIR", raising=False)
    result = CliRunner().invoke(main, ["--help"])
    assert f"Config in use: {packaged_config_dir()} (packaged defaults)" in result.output
    result = CliRunner().invoke(main, ["--config-dir", str(folders["option"]), "--help"])
    assert f"Config in use: {folders['option']} (--config-dir)" in result.output


def test_global_config_dir_option_reaches_the_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WHIRLPOOL_CONFIG_DIR", str(tmp_path / "not-this-one"))
    config = tmp_path / "mine"
    config.mkdir()
    (config / "sources.yaml").write_text("sources: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--config-dir", str(config), "sources", "--json"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "[]"
