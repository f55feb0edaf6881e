"""The labelled relevance set, the measure over it and the learned weights: what the figures of
``whirlpool eval relevance`` rest on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from processing.relevance import FEATURE_NAMES
from processing.relevance_evaluation import (
    LABELLED_DIR,
    Decision,
    LabelledItem,
    evaluate_relevance,
    load_labelled,
)
from processing.relevance_model import MODEL_PATH, build, load_model
from whirlpool.commands.evaluate import eval_command
from whirlpool.taxonomy import THEME_CODES

THEMES = set(THEME_CODES)


def test_the_labelled_set_has_a_fixed_heldout_part_with_every_language():
    tuning = load_labelled(LABELLED_DIR / "tuning.jsonl")
    heldout = load_labelled(LABELLED_DIR / "heldout.jsonl")
    assert len(tuning) + len(heldout) >= 1000
    assert not {i.id for i in tuning} & {i.id for i in heldout}
    languages = {i.language for i in heldout if i.relevant}
    assert {"ko", "en", "ja", "ru", "uk", "zh"} <= languages
    for item in tuning + heldout:
        assert set(item.themes) <= THEMES
        assert bool(item.themes) == item.relevant, item.id


def test_groups_never_straddle_the_split():
    rows = {
        name: [json.loads(line) for line in (LABELLED_DIR / f"{name}.jsonl").open(encoding="utf-8")]
        for name in ("tuning", "heldout")
    }
    assert not {r["group"] for r in rows["tuning"]} & {r["group"] for r in rows["heldout"]}


def test_the_learned_weights_are_fitted_on_the_tuning_part_only(tmp_path: Path):
    with pytest.raises(ValueError, match="tuning part only"):
        build(LABELLED_DIR / "heldout.jsonl", tmp_path / "model.json")


def test_the_shipped_model_names_every_feature_and_scores_in_range():
    model = load_model(MODEL_PATH)
    assert set(model.weights) == set(FEATURE_NAMES)
    assert 0.0 < model.score({"both_named": 1.0, "both_title": 1.0}) < 1.0
    assert model.score({}) < 0.5


def test_the_measure_counts_precision_recall_and_main_themes():
    items = [
        LabelledItem("a", "ko", "t", "", "", True, ("troop_deployment",)),
        LabelledItem("b", "ko", "t", "", "", True, ("diplomacy_treaty",)),
        LabelledItem("c", "en", "t", "", "", False, ()),
        LabelledItem("d", "en", "t", "", "", False, ()),
    ]
    decisions = {
        "a": Decision(True, 0.9, ("troop_deployment",), "ko"),
        "b": Decision(False, 0.2, (), "ko"),
        "c": Decision(True, 0.7, ("diplomacy_treaty",), "en"),
        "d": Decision(False, 0.0, (), "en"),
    }
    score = evaluate_relevance("t", items, lambda item: decisions[item.id])
    assert (score.overall.tp, score.overall.fp, score.overall.fn, score.overall.tn) == (1, 1, 1, 1)
    assert score.overall.precision == 0.5 and score.overall.recall == 0.5
    assert score.by_language["ko"].recall == 0.5 and score.by_language["en"].precision == 0.0
    assert score.main_theme_accuracy == 1.0
    assert [m.kind for m in score.misses] == ["missed", "false alarm"]


def test_eval_relevance_prints_both_scorers_per_language(tmp_path: Path):
    result = CliRunner().invoke(eval_command, ["relevance", "--json", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert {f["scorer"] for f in figures} == {"hand", "learned"}
    heldout = next(f for f in figures if f["scorer"] == "hand" and f["set"] == "held-out")
    assert {"ko", "en", "ja", "ru", "uk", "zh"} <= set(heldout["by_language"])
    assert 0.0 < heldout["overall"]["recall"] <= 1.0
