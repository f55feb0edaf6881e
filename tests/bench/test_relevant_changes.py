"""The relevance-change lister dumps every corpus page's score and lists the pages that changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.process.relevant_changes import compare

REPO = Path(__file__).resolve().parents[2]


def _row(number: int, score: float, relevant: bool) -> dict:
    return {
        "i": number,
        "url": f"https://news.example/{number}",
        "score": score,
        "relevant": relevant,
        "title": f"title {number}",
        "body": "북한 병원 준공.\n러시아와 북한이 조약을 맺었다.",
        "features": ["both_named"],
        "reasons": [],
        "sides": [["러시아", "russia", 10]],
    }


def test_the_dump_scores_every_page_of_the_corpus(tmp_path):
    out = tmp_path / "dump.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "bench.process.relevant_changes", "dump", str(out), "--docs", "120"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in out.open(encoding="utf-8")]
    assert [row["i"] for row in rows] == list(range(120))
    assert all(0.0 <= row["score"] <= 1.0 for row in rows)
    assert f"relevant of {120:,}" in done.stdout


def test_the_comparison_lists_the_pages_gained_and_lost_with_the_sentence_naming_a_side(tmp_path, capsys):
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text("\n".join(json.dumps(r) for r in [_row(0, 0.4, False), _row(1, 0.7, True)]) + "\n")
    new.write_text("\n".join(json.dumps(r) for r in [_row(0, 0.6, True), _row(1, 0.3, False)]) + "\n")
    compare(old, new)
    printed = capsys.readouterr().out
    assert "relevant 1 → 1: 1 gained, 1 lost" in printed
    assert "GAINED #0 https://news.example/0 score 0.4 → 0.6" in printed
    assert "LOST #1 https://news.example/1 score 0.7 → 0.3" in printed
    assert "russia @10: 러시아와 북한이 조약을 맺었다." in printed
