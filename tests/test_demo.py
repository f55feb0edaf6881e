"""`whirlpool demo`: a newcomer with no network sees the whole product work in one command."""

from __future__ import annotations

import os
import subprocess
import sys


def test_demo_collects_six_languages_and_shows_cross_script_searches(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHIRLPOOL")}
    env.update({"WHIRLPOOL_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", "NO_COLOR": "1"})
    result = subprocess.run(
        [sys.executable, "-m", "whirlpool.cli", "demo", "--dir", str(tmp_path / "demo")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Sample site serving at http://127.0.0.1:" in out
    # the KN-23 search finds the English original, its Ukrainian, Korean and Japanese coverage
    kn23 = out.split("search 'KN-23'")[1].split("search ")[0]
    for language in ("[en]", "[uk]", "[ko]"):
        assert language in kn23, kn23
    # a Russian spelling of Kim Jong Un finds articles in other scripts
    kim = out.split("search 'Ким Чен Ын'")[1].split("search ")[0]
    assert "[ko]" in kim or "[zh]" in kim or "[en]" in kim, kim
    assert (tmp_path / "demo" / "data" / "index").is_dir()
