"""`whirlpool search --backend elasticsearch` with no URL says which setting to set, in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_search_on_elasticsearch_without_a_url_names_the_setting_in_one_line_and_exits_non_zero(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHIRLPOOL_")}
    env.update(WHIRLPOOL_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "whirlpool.cli", "search", "--backend", "elasticsearch", "kn23"],
        cwd=tmp_path,  # no ./config here: the packaged defaults, which set no URL
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "WHIRLPOOL_ES_URL" in lines[0] and "elasticsearch.url" in lines[0]
