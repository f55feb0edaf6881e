"""Shared fixtures: the fixture news site on 127.0.0.1, a throw-away workspace, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from whirlpool.commands.demo import prepare_demo_config
from whirlpool.samplesite import SampleSite, load_site

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SITE = Path(__file__).resolve().parent / "site" / "articles.yaml"


def shared_data_dir() -> Path | None:
    """../shared/data beside the repo (or WHIRLPOOL_SHARED_DATA); None where absent."""
    path = Path(os.environ.get("WHIRLPOOL_SHARED_DATA") or REPO.parent / "shared" / "data")
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is absent (a plain clone): the real-world data checks need it")
    return path


@pytest.fixture(scope="session")
def news_site():
    """The fixture news site: an RSS and an Atom feed, article pages in en, ru and ko."""
    site = SampleSite(load_site(FIXTURE_SITE)).start()
    yield site
    site.stop()


@dataclass
class Workspace:
    """A config folder and a data folder of its own, as a user would have after setup."""

    root: Path
    config_dir: Path
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)

    def settings(self):
        from whirlpool.settings import load_settings

        return load_settings(self.config_dir, environ=self.env)

    def cli(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run the real `whirlpool` command in this workspace."""
        result = subprocess.run(
            [sys.executable, "-m", "whirlpool.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"whirlpool {' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result


def make_workspace(root: Path, sources_yaml: str) -> Workspace:
    """The demo's config folder (real taxonomy and alert rules, the embedded index) with short timeouts."""
    config_dir = prepare_demo_config(
        REPO / "config", root, sources_yaml, collect={"timeout_seconds": 5, "retry_times": 0}
    )
    data_dir = root / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHIRLPOOL")}
    env.update({"WHIRLPOOL_CONFIG_DIR": str(config_dir), "COLUMNS": "200", "NO_COLOR": "1"})
    return Workspace(root, config_dir, data_dir, env)


@pytest.fixture
def workspace(tmp_path: Path, news_site: SampleSite) -> Workspace:
    """A workspace whose sources are the fixture site's feeds."""
    return make_workspace(tmp_path / "ws", news_site.sources_yaml())
