"""The learned relevance scorer: a logistic model over the scorer's named features, the evidence
tokens (what the taxonomy found where: ``title:person.putin``, ``lead:actor.usa``) and the character
n-grams of the title and lead, fitted on the tuning part of the labelled set only (never
the held-out part, never the shared dev set).

    python -m processing.relevance_model          # writes processing/models/relevance.json
    python -m processing.relevance_model --cv     # nested grouped cross-validation, several seeds
    python -m processing.relevance_model --rounds # each labelling round held out in turn

It is fitted on the items that name both sides (the others keep the hand rule: see
``processing.relevance.score_relevance``). The score blends the model's probability with the hand
weights' score (``HAND_SHARE``). The decision point is chosen on cross-validated predictions (5
folds, grouped by event so one story written in several languages never straddles a split,
stratified by language and label) as the lowest at which they keep ``TARGET_PRECISION``; the score
is rescaled so that it sits at 0.5, the process step's threshold. The file is small (one weight per
feature and evidence token), deterministic (lbfgs and seeded folds on the same data give the same
weights), versioned by the hash of the data it was fitted on, and read by the process step when
``process.relevance_model`` is ``learned`` (the default). ``whirlpool eval relevance`` prints both.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from processing.relevance import FEATURE_NAMES, FLOORED, LinearModel, hand_score, one_side_score
from processing.relevance_evaluation import (
    LABELLED_DIR,
    SET_FILES,
    Counts,
    LabelledItem,
    item_texts,
    load_labelled,
    round_of,
)
from whirlpool.settings import ProcessSettings

MODEL_PATH = Path(__file__).resolve().parent / "models" / "relevance.json"
# chosen by 5-fold grouped cross-validation on the tuning part (see docs/processing.md)
REGULARISATION_C = 1.0
NGRAM_RANGE = (2, 4)
# the fields whose character n-grams the model reads: none since round w3. Fitted on older rounds and
# tested on a newer one (leave one round of written items out) the title-and-lead n-grams lost
# precision (0.92 against 0.95-0.96 with the evidence tokens alone): they learn each event's words.
NGRAM_FIELDS: tuple[str, ...] = ()
NGRAM_MIN_ITEMS = 2  # an n-gram is kept when at least this many training items have it
NGRAM_MIN_WEIGHT = 0.002  # smaller weights are dropped from the file (they change no decision)
EVIDENCE_MIN_ITEMS = 2  # an evidence token is kept when at least this many training items have it
# a margin over the goal's 0.95: unseen events cost precision (see docs/processing.md). 0.97 since
# ``title_third_party_first``: leave one round out (10 seeds) 87 -> 50 false alarms, recall 0.938 ->
# 0.927; at 0.96 the feature's gain went to recall instead (the cut moved down). 0.975 since rounds
# w6 and w7: their hard positives lowered the cut (0.593 -> 0.531) and let inter-Korean and G7 items
# through; leave one round out (3 seeds) 25 -> 20 false alarms for 4 fewer hits, nested CV 35 -> 30 for 10
TARGET_PRECISION = 0.975
# the hand weights' share of the score: an ensemble that held precision and recall better on newer
# rounds of written items and in grouped cross-validation than the learned model alone
HAND_SHARE = 0.3
FOLDS = 5
SEED = 0
CV_SEEDS = (0, 1, 2)


def load_model(path: Path = MODEL_PATH) -> LinearModel:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return LinearModel(
        weights=data["weights"],
        bias=data["bias"],
        hand_share=data.get("hand_share", 0.0),
        decision_point=data.get("decision_point", 0.5),
        version=data.get("version", ""),
        ngrams=data.get("ngrams", {}),
        ngram_range=tuple(data.get("ngram_range", NGRAM_RANGE)),
        ngram_fields=tuple(data.get("ngram_fields", NGRAM_FIELDS)),
        evidence=data.get("evidence", {}),
    )


def _analysed(items: list[LabelledItem]) -> list[tuple[dict[str, float], dict[str, str], list[str]]]:
    """Each item's features, texts and evidence tokens, as the process step computes them."""
    from processing.pipeline import analyse_texts
    from processing.relevance import evidence_tokens, story_matches
    from whirlpool.settings import ProcessSettings, default_config_dir
    from whirlpool.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(default_config_dir() / "taxonomy.yaml")
    settings = ProcessSettings(relevance_model="hand")
    rows = []
    for item in items:
        title, summary, body = item_texts(item)
        analysis = analyse_texts(taxonomy, settings, title, summary, body)
        tokens = sorted(
            evidence_tokens(analysis.texts, story_matches(analysis.texts, analysis.tags.strong())[0])
        )
        rows.append((analysis.relevance.features, analysis.texts, tokens))
    return rows


def _vectoriser():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=NGRAM_MIN_ITEMS, binary=True)


def _tokens(tokens: list[str]) -> list[str]:
    return tokens


def _evidence_vectoriser():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer=_tokens, min_df=EVIDENCE_MIN_ITEMS, binary=True)


def _wording(texts: dict[str, str], features: dict[str, float]) -> str:
    """The text whose n-grams the model reads: none where the title names neither side (as
    ``processing.relevance.score_relevance`` scores them)."""
    if "title_no_side" in features:
        return ""
    return " ".join(texts.get(name, "") for name in NGRAM_FIELDS)


def _fit(features, wordings, evidence, truth):
    """(n-gram vectoriser, evidence vectoriser, model) fitted on one set of rows."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    vectoriser, found = (_vectoriser() if NGRAM_FIELDS else None), _evidence_vectoriser()
    parts = [csr_matrix(features), found.fit_transform(evidence)]
    if vectoriser is not None:
        parts.append(vectoriser.fit_transform(wordings))
    x = hstack(parts)
    model = LogisticRegression(C=REGULARISATION_C, solver="lbfgs", max_iter=5000)
    model.fit(x.tocsr(), truth)
    return vectoriser, found, model


def _predict(fitted, features, wordings, evidence):
    from scipy.sparse import csr_matrix, hstack

    vectoriser, found, model = fitted
    parts = [csr_matrix(features), found.transform(evidence)]
    if vectoriser is not None:
        parts.append(vectoriser.transform(wordings))
    x = hstack(parts).tocsr()
    hand = [hand_score(dict(zip(FEATURE_NAMES, row, strict=True))) for row in features]
    # an item with a floored feature is kept at any cut (``processing.relevance.FLOORED``)
    floored = [any(row[_FLOORED_AT[name]] for name in FLOORED) for row in features]
    return [
        1.0 if floor else (1 - HAND_SHARE) * float(p) + HAND_SHARE * h
        for p, h, floor in zip(model.predict_proba(x)[:, 1], hand, floored, strict=True)
    ]


_FLOORED_AT = {name: FEATURE_NAMES.index(name) for name in FLOORED}


def cross_validated(rows: Rows, indices: list[int] | None = None, seed: int = SEED) -> list[float]:
    """Out-of-fold probabilities of ``rows`` (or of those at ``indices``): each item scored by a
    model that never saw its group."""
    from sklearn.model_selection import StratifiedGroupKFold

    indices = list(range(len(rows.truth))) if indices is None else indices
    folds = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    out = [0.0] * len(indices)
    for train, test in folds.split(
        indices, [rows.strata[i] for i in indices], [rows.groups[i] for i in indices]
    ):
        fitted = _fit(*rows.take([indices[i] for i in train]), rows.take_truth([indices[i] for i in train]))
        for i, p in zip(test, _predict(fitted, *rows.take([indices[i] for i in test])), strict=True):
            out[i] = p
    return out


def nested_cross_validation(rows: Rows, seeds: tuple[int, ...] = CV_SEEDS) -> dict:
    """tp/fp/fn summed over ``seeds`` of grouped 5-fold cross-validation in which each outer fold's
    decision point is chosen, as ``fit`` chooses it, on out-of-fold predictions inside its training
    part only: an estimate of how the shipped procedure does on events it has not seen."""
    from sklearn.model_selection import StratifiedGroupKFold

    counts = {"tp": 0, "fp": 0, "fn": 0}
    every = list(range(len(rows.truth)))
    for seed in seeds:
        folds = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
        for train, test in folds.split(every, rows.strata, rows.groups):
            train, test = [int(i) for i in train], [int(i) for i in test]
            inner = cross_validated(rows, train, seed + 100)
            cut = decision_point(inner, rows.take_truth(train), TARGET_PRECISION)
            fitted = _fit(*rows.take(train), rows.take_truth(train))
            outer = _counts(_predict(fitted, *rows.take(test)), rows.take_truth(test), cut)
            counts = {key: counts[key] + outer[key] for key in counts}
    return counts


def round_split(rows: Rows, held: str) -> tuple[list[int], list[int]]:
    """(fitted, tested) row indices with the round ``held`` out. A later round reused an earlier
    one's event where it wrote more of it; the held-out part never shares an event with the tuning
    part, so no event of the held round is fitted on, whichever round wrote it."""
    test = [i for i, r in enumerate(rows.rounds) if r == held]
    events = {rows.groups[i] for i in test}
    return [
        i for i in range(len(rows.rounds)) if rows.rounds[i] != held and rows.groups[i] not in events
    ], test


def leave_one_round_out(rows: Rows, seeds: tuple[int, ...] = CV_SEEDS) -> dict[str, dict]:
    """tp/fp/fn of each labelling round (real items, w1, w2, ...) scored by the shipped procedure
    fitted on the other rounds (decision point by inner grouped CV, as ``fit`` chooses it; summed
    over the inner CV's ``seeds``): each round's hard cases were written apart from the others', so
    this sees the shift to unseen events that pooled grouped CV hides."""
    counts: dict[str, dict] = {}
    for held, seed in ((r, s) for r in sorted(set(rows.rounds)) for s in seeds):
        train, test = round_split(rows, held)
        cut = decision_point(cross_validated(rows, train, seed), rows.take_truth(train), TARGET_PRECISION)
        fitted = _fit(*rows.take(train), rows.take_truth(train))
        found = _counts(_predict(fitted, *rows.take(test)), rows.take_truth(test), cut)
        counts[held] = {key: counts.get(held, {}).get(key, 0) + found[key] for key in found}
    return counts


@dataclass
class Rows:
    """The fitted items' columns."""

    features: list[list[float]]
    wordings: list[str]
    evidence: list[list[str]]
    truth: list[int]
    groups: list[str]
    strata: list[str]
    rounds: list[str]

    def take(self, indices: list[int]) -> tuple[list, list, list]:
        return (
            [self.features[i] for i in indices],
            [self.wordings[i] for i in indices],
            [self.evidence[i] for i in indices],
        )

    def take_truth(self, indices: list[int]) -> list[int]:
        return [self.truth[i] for i in indices]


def rows_of(items: list[LabelledItem], analysed: list | None = None) -> tuple[Rows, int]:
    """The items that name both sides as columns (the others keep the hand rule), and how many."""
    analysed = _analysed(items) if analysed is None else analysed
    chosen = [(item, f, t, e) for item, (f, t, e) in zip(items, analysed, strict=True) if "both_named" in f]
    rows = Rows(
        features=[[f.get(name, 0.0) for name in FEATURE_NAMES] for _, f, _, _ in chosen],
        wordings=[_wording(t, f) for _, f, t, _ in chosen],
        evidence=[e for _, _, _, e in chosen],
        truth=[int(item.relevant) for item, _, _, _ in chosen],
        groups=[item.group or item.id for item, _, _, _ in chosen],
        strata=[f"{item.language}:{int(item.relevant)}" for item, _, _, _ in chosen],
        rounds=[round_of(item) for item, _, _, _ in chosen],
    )
    return rows, len(chosen)


def fit(items: list[LabelledItem]) -> dict:
    """Fit the model on ``items`` (the tuning part); returns the model file's content."""
    rows, fitted_on = rows_of(items)
    truth = rows.truth
    out_of_fold = cross_validated(rows)
    cut = decision_point(out_of_fold, truth, TARGET_PRECISION)
    vectoriser, found, model = _fit(rows.features, rows.wordings, rows.evidence, truth)
    coefficients = [float(w) for w in model.coef_[0]]
    tokens = list(found.get_feature_names_out())
    evidence = dict(zip(tokens, coefficients[len(FEATURE_NAMES) :], strict=False))
    names = vectoriser.get_feature_names_out() if vectoriser is not None else []
    grams = {
        gram: round(w, 4)
        for gram, w in zip(names, coefficients[len(FEATURE_NAMES) + len(tokens) :], strict=True)
        if abs(w) >= NGRAM_MIN_WEIGHT
    }
    return {
        "features": list(FEATURE_NAMES),
        "weights": {name: round(w, 6) for name, w in zip(FEATURE_NAMES, coefficients, strict=False)},
        "bias": round(float(model.intercept_[0]), 6),
        "hand_share": HAND_SHARE,
        "decision_point": round(cut, 6),
        "cross_validated": _counts(out_of_fold, truth, cut),
        "fitted_on": {"items": fitted_on, "relevant": sum(truth), "of_items": len(items)},
        "evidence": {
            token: round(w, 4) for token, w in sorted(evidence.items()) if abs(w) >= NGRAM_MIN_WEIGHT
        },
        "ngram_range": list(NGRAM_RANGE),
        "ngram_fields": list(NGRAM_FIELDS),
        "ngrams": dict(sorted(grams.items())),
    }


def _counts(probabilities: list[float], truth: list[int], cut: float) -> dict:
    kept = [t for p, t in zip(probabilities, truth, strict=True) if p >= cut]
    tp = sum(kept)
    return {"tp": tp, "fp": len(kept) - tp, "fn": sum(truth) - tp}


def decision_point(probabilities: list[float], truth: list[int], precision: float) -> float:
    """The lowest probability cut whose kept items reach ``precision`` (most recall at it)."""
    best = 0.5
    for cut in sorted(set(probabilities), reverse=True):
        kept = [t for p, t in zip(probabilities, truth, strict=True) if p >= cut]
        if kept and sum(kept) / len(kept) >= precision:
            best = cut
    return min(max(best, 1e-6), 1 - 1e-6)


def build(tuning_path: Path = LABELLED_DIR / SET_FILES["tuning"], out: Path = MODEL_PATH) -> dict:
    if Path(tuning_path).name != SET_FILES["tuning"]:
        raise ValueError(f"the model is fitted on the tuning part only, not {tuning_path}")
    digest = hashlib.sha1(Path(tuning_path).read_bytes()).hexdigest()[:12]
    content = {"version": f"tuning-{digest}", **fit(load_labelled(tuning_path))}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return content


def _figures(counts: dict) -> dict:
    """tp/fp/fn with precision, recall and F1, as the evaluation computes them (``Counts``)."""
    found = Counts(tp=counts["tp"], fp=counts["fp"], fn=counts["fn"])
    return {**counts, **{name: round(getattr(found, name), 3) for name in ("precision", "recall", "f1")}}


def cross_validate(tuning_path: Path = LABELLED_DIR / SET_FILES["tuning"]) -> dict:
    """Nested grouped cross-validation figures of the fitting procedure on the tuning part."""
    rows, _ = rows_of(load_labelled(tuning_path))
    return {**_figures(nested_cross_validation(rows)), "seeds": list(CV_SEEDS)}


def rounds_held_out(tuning_path: Path = LABELLED_DIR / SET_FILES["tuning"]) -> dict:
    """Leave-one-round-out figures on the tuning part (every item, the one-side ones by the hand rule):
    each round, all pooled, the written ones pooled."""
    items = load_labelled(tuning_path)
    analysed = _analysed(items)
    rows, _ = rows_of(items, analysed)
    counts = leave_one_round_out(rows)
    # the items naming one side keep the hand rule (DPRK troops or weapons in the war): counted too,
    # as ``whirlpool eval relevance`` counts them
    threshold = ProcessSettings().relevance_threshold
    for item, (features, _, _) in zip(items, analysed, strict=True):
        if "both_named" not in features:
            kept = one_side_score(features) >= threshold
            one, times = counts.setdefault(round_of(item), {"tp": 0, "fp": 0, "fn": 0}), len(CV_SEEDS)
            one["tp"] += times * (kept and item.relevant)
            one["fp"] += times * (kept and not item.relevant)
            one["fn"] += times * (item.relevant and not kept)
    pooled = {
        name: {key: sum(c[key] for r, c in counts.items() if r in chosen) for key in ("tp", "fp", "fn")}
        for name, chosen in (("pooled", set(counts)), ("written", set(counts) - {"real"}))
    }
    return {name: _figures(c) for name, c in {**counts, **pooled}.items()} | {"seeds": list(CV_SEEDS)}


if __name__ == "__main__":
    if "--cv" in sys.argv[1:]:
        json.dump(cross_validate(), sys.stdout, indent=2)
        print()
        sys.exit(0)
    if "--rounds" in sys.argv[1:]:
        for name, figures in rounds_held_out().items():
            print(f"{name:8} {json.dumps(figures)}")
        sys.exit(0)
    written = build()
    summary = {key: value for key, value in written.items() if key != "ngrams"}
    json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
    print(f"\n{len(written['ngrams'])} n-grams; wrote {MODEL_PATH}")
