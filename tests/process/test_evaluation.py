"""`whirlpool eval` and the measures behind it, on the shared ground truth."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawlers.evaluation import evaluate_extraction, precision_recall_f1, shingle_counts
from whirlpool.commands.evaluate import eval_command

SHARED = Path(
    os.environ.get("WHIRLPOOL_SHARED_DATA") or Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
)
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/data is absent (a plain clone): the evaluation data is not here"
)


def test_shingle_measure_is_one_for_identical_text_and_zero_for_disjoint_text():
    text = "North Korea sent troops to Russia and the two signed a treaty in June"
    assert precision_recall_f1([shingle_counts(text, text)]) == (1.0, 1.0, 1.0)
    assert (
        precision_recall_f1([shingle_counts(text, "completely different words with nothing shared at all")])[
            2
        ]
        == 0.0
    )


def test_shingle_measure_penalises_boilerplate_and_missing_text():
    truth = " ".join(f"word{i}" for i in range(100))
    with_extra = truth + " " + " ".join(f"menu{i}" for i in range(100))
    half = " ".join(f"word{i}" for i in range(50))
    p_extra, r_extra, _ = precision_recall_f1([shingle_counts(truth, with_extra)])
    p_half, r_half, _ = precision_recall_f1([shingle_counts(truth, half)])
    assert r_extra == 1.0 and 0.45 < p_extra < 0.55
    assert p_half == 1.0 and 0.45 < r_half < 0.55


@needs_shared
def test_extraction_f1_is_measured_against_ground_truth_on_benchmark_pages():
    score = evaluate_extraction(SHARED / "extraction", limit=15)
    assert score.pages == 15 and score.failed == 0
    assert 0.8 < score.f1 <= 1.0
    assert score.reference_f1 is not None and score.reference_f1 > 0.8


@needs_shared
def test_eval_command_shows_language_accuracy_meeting_the_goals_and_extraction_f1():
    args = ["--data", str(SHARED), "--json", "--limit", "5", "--sets", "sentences"]
    result = CliRunner().invoke(eval_command, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    sentences = {s["language"]: s for s in data["languages"] if s["kind"] == "sentences"}
    assert set(sentences) == {"en", "ru", "uk", "ko", "ja", "zh"}
    assert sentences["uk"]["goal"] == 0.97 and sentences["ru"]["goal"] == 0.99
    for language, score in sentences.items():
        assert score["total"] >= 400 and score["meets_goal"] is True, (language, score["accuracy"])
    assert data["extraction"]["published_f1"] == 0.958 and data["extraction"]["pages"] == 5


def test_eval_command_skips_with_a_clear_message_when_the_data_is_absent(tmp_path: Path):
    result = CliRunner().invoke(eval_command, ["--data", str(tmp_path / "missing")])
    assert result.exit_code == 0
    assert "Skipped" in result.output and "absent" in result.output
