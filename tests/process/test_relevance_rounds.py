"""Leave one labelling round out (issue 11): the relevance model fitted on the other rounds, no event
of the held round among them, tested on the held round (``python -m processing.relevance_model
--rounds``): the shift to unseen events that pooled grouped cross-validation hides."""

from __future__ import annotations

from processing.relevance_evaluation import LABELLED_DIR, load_labelled, round_of
from processing.relevance_model import Rows, leave_one_round_out, round_split, rows_of


def _rows(rounds: list[str], groups: list[str]) -> Rows:
    size = len(rounds)
    return Rows(
        features=[[0.0]] * size,
        wordings=[""] * size,
        evidence=[[]] * size,
        truth=[0] * size,
        groups=groups,
        strata=[""] * size,
        rounds=rounds,
    )


def test_a_held_round_is_tested_alone_and_none_of_its_events_is_fitted_on():
    # w4 wrote more of a w2 event (the Wonsan launch); the held-out part never shares an event
    rows = _rows(
        ["w2", "w2", "w4", "w4", "real"],
        [
            "written:dprk-srbm-wonsan",
            "written:g7-charlevoix",
            "written:dprk-srbm-wonsan",
            "written:unga",
            "url",
        ],
    )
    assert round_split(rows, "w2") == ([3, 4], [0, 1])
    assert round_split(rows, "w4") == ([1, 4], [2, 3])
    assert round_split(rows, "real") == ([0, 1, 2, 3], [4])


def test_each_round_is_scored_once_per_seed_by_a_model_fitted_on_the_others():
    items = [item for item in load_labelled(LABELLED_DIR / "tuning.jsonl") if round_of(item) in ("w3", "w5")]
    rows, _ = rows_of(items)
    counts = leave_one_round_out(rows, seeds=(0,))
    assert set(counts) == {"w3", "w5"}
    for held, found in counts.items():
        relevant = sum(t for t, r in zip(rows.truth, rows.rounds, strict=True) if r == held)
        assert found["tp"] + found["fn"] == relevant
        assert found["fp"] <= rows.rounds.count(held) - relevant
