"""The process benchmark runs end to end on a small corpus and times the stages the step runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_process_benchmark_times_the_whole_step_and_each_of_its_stages():
    done = subprocess.run(
        [sys.executable, "-m", "bench.process", "--docs", "300"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"whole step: 300 documents in [\d.]+ s wall", out)
    assert "errors 0" in out
    stages = re.findall(r"^  (\S+)\s+[\d.]+ s\s+(\d+) µs/doc$", out, re.MULTILINE)
    assert [name for name, _ in stages] == [
        "clean",
        "language",
        "tags",
        "relevance+themes",
        "article",
        "duplicates",
        "stories",
    ]
    assert all(int(us) > 0 for _, us in stages)
