"""An installed Whirlpool runs from anywhere: the wheel, installed into a fresh virtual environment,
runs `whirlpool demo` from an empty folder outside the repository with no WHIRLPOOL_CONFIG_DIR.

The wheel is built without build isolation and installed with --no-deps (no download). The fresh
environment reaches the third-party dependencies through a .pth line naming this environment's
site-packages: a plain path line, so the editable install's own .pth there is not run and nothing of
the checkout is importable. What is proved is our packages and their data, from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    command = " ".join(args)
    assert result.returncode == 0, f"{command} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _copy_sources(destination: Path) -> Path:
    """What the build reads (pyproject.toml, README.md, config/, the packages), so the build leaves no
    build/ or *.egg-info in the checkout and cannot pick up stale files from an earlier build."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {name.split(".")[0].rstrip("*") for name in include}
    destination.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, destination / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in sorted(packages | {"config"}):
        shutil.copytree(REPO / name, destination / name, symlinks=True, ignore=ignore)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the fresh environment's bin folder) with the wheel installed in it."""
    root = tmp_path_factory.mktemp("wheel")
    source = _copy_sources(root / "src")
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(root / "dist"), str(source)])
    (wheel,) = (root / "dist").glob("whirlpool-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _run([*pip, "--python", str(python), "install", "-q", "--no-deps", str(wheel)])
    site_packages = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site_packages) / "whirlpool-test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return wheel, venv / "bin"


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHIRLPOOL") and k != "PYTHONPATH"}
    env.update({"COLUMNS": "200", "NO_COLOR": "1"})
    return env


def test_wheel_ships_the_default_config_identical_to_config_folder(installed):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        packaged = {
            Path(name).name: archive.read(name)
            for name in archive.namelist()
            if name.startswith("whirlpool/defaults/") and name.endswith(".yaml")
        }
    expected = {path.name: path.read_bytes() for path in (REPO / "config").glob("*.yaml")}
    assert sorted(packaged) == sorted(expected)
    for name, content in expected.items():
        assert packaged[name] == content, f"whirlpool/defaults/{name} in the wheel differs from config/{name}"


def test_installed_packages_come_from_the_wheel_not_the_checkout(installed, tmp_path):
    _, bin_dir = installed
    code = (
        "import alerting, crawlers, indexing, processing, whirlpool\n"
        "from whirlpool.settings import config_dir, source_checkout\n"
        "for m in (alerting, crawlers, indexing, processing, whirlpool): print(m.__file__)\n"
        "print(config_dir().describe()); print(source_checkout())\n"
    )
    out = _run([str(bin_dir / "python"), "-c", code], cwd=tmp_path, env=_environment()).stdout.splitlines()
    venv = bin_dir.parent.resolve()
    for module_file in out[:5]:
        assert Path(module_file).resolve().is_relative_to(venv), out
    assert out[5].endswith("(packaged defaults)") and "whirlpool/defaults" in out[5], out
    assert out[6] == "None", out


def test_installed_demo_runs_from_an_empty_folder_with_packaged_config(installed, tmp_path):
    _, bin_dir = installed
    anywhere = tmp_path / "anywhere"
    anywhere.mkdir()
    help_text = _run([str(bin_dir / "whirlpool"), "--help"], cwd=anywhere, env=_environment()).stdout
    assert "Config in use:" in help_text and "(packaged defaults)" in help_text, help_text

    result = subprocess.run(
        [str(bin_dir / "whirlpool"), "demo"],
        cwd=anywhere,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(packaged defaults)" in result.stdout, result.stdout
    demo = anywhere / "data" / "demo"  # the data folder defaults to ./data of the current folder
    assert any((demo / "data" / "index").iterdir()), "the demo indexed nothing"
    emails = list((demo / "data" / "alerts" / "outbox-dry").glob("*.eml"))
    assert emails, result.stdout
    assert "search 'KN-23'" in result.stdout
