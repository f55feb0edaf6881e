"""The learned relevance scorer: a logistic model over the scorer's named features and the
character n-grams of the title and lead, fitted on the tuning part of the labelled set only (never
the held-out part, never the shared dev set).

    python -m processing.relevance_model          # writes processing/models/relevance.json

It is fitted on the items that name both sides (the others keep the hand rule: see
``processing.relevance.score_relevance``). The decision point is chosen on cross-validated
predictions (5 folds, grouped by event so one story written in several languages never straddles
a split, stratified by language and label) as the lowest at which they keep ``TARGET_PRECISION``,
and moved into the bias so that 0.5 stays the threshold. The file is small (one weight per feature
and per kept n-gram), deterministic (lbfgs and seeded folds on the same data give the same
weights), versioned by the hash of the data it was fitted on, and read by the process step when
``process.relevance_model`` is ``learned`` (the default). ``whirlpool eval relevance`` prints both.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

from processing.relevance import FEATURE_NAMES, LinearModel
from processing.relevance_evaluation import LABELLED_DIR, SET_FILES, LabelledItem, item_texts, load_labelled

MODEL_PATH = Path(__file__).resolve().parent / "models" / "relevance.json"
# chosen by 5-fold grouped cross-validation on the tuning part (see docs/processing.md)
REGULARISATION_C = 1.0
NGRAM_RANGE = (2, 4)
NGRAM_FIELDS = ("title", "summary")
NGRAM_MIN_ITEMS = 2  # an n-gram is kept when at least this many training items have it
NGRAM_MIN_WEIGHT = 0.002  # smaller weights are dropped from the file (they change no decision)
TARGET_PRECISION = 0.95
FOLDS = 5
SEED = 0


def load_model(path: Path = MODEL_PATH) -> LinearModel:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return LinearModel(
        weights=data["weights"],
        bias=data["bias"],
        version=data.get("version", ""),
        ngrams=data.get("ngrams", {}),
        ngram_range=tuple(data.get("ngram_range", NGRAM_RANGE)),
        ngram_fields=tuple(data.get("ngram_fields", NGRAM_FIELDS)),
    )


def _analysed(items: list[LabelledItem]) -> list[tuple[dict[str, float], dict[str, str]]]:
    """Each item's features and texts, as the process step computes them."""
    from processing.pipeline import analyse_texts
    from whirlpool.settings import ProcessSettings, default_config_dir
    from whirlpool.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(default_config_dir() / "taxonomy.yaml")
    settings = ProcessSettings(relevance_model="hand")
    rows = []
    for item in items:
        title, summary, body = item_texts(item)
        analysis = analyse_texts(taxonomy, settings, title, summary, body)
        rows.append((analysis.relevance.features, analysis.texts))
    return rows


def _vectoriser():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=NGRAM_MIN_ITEMS, binary=True)


def _wording(texts: dict[str, str], features: dict[str, float]) -> str:
    """The text whose n-grams the model reads: none where the title names neither side (as
    ``processing.relevance.score_relevance`` scores them)."""
    if "title_no_side" in features:
        return ""
    return " ".join(texts.get(name, "") for name in NGRAM_FIELDS)


def _fit(features, wordings, truth):
    """(vectoriser, model) fitted on one set of rows."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    vectoriser = _vectoriser()
    grams = vectoriser.fit_transform(wordings)
    model = LogisticRegression(C=REGULARISATION_C, solver="lbfgs", max_iter=5000)
    model.fit(hstack([csr_matrix(features), grams]).tocsr(), truth)
    return vectoriser, model


def _predict(vectoriser, model, features, wordings):
    from scipy.sparse import csr_matrix, hstack

    x = hstack([csr_matrix(features), vectoriser.transform(wordings)]).tocsr()
    return [float(p) for p in model.predict_proba(x)[:, 1]]


def cross_validated(features, wordings, truth, groups, strata) -> list[float]:
    """Out-of-fold probabilities: each item scored by a model that never saw its group."""
    from sklearn.model_selection import StratifiedGroupKFold

    folds = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    out = [0.0] * len(truth)
    for train, test in folds.split(features, strata, groups):
        vectoriser, model = _fit(
            [features[i] for i in train], [wordings[i] for i in train], [truth[i] for i in train]
        )
        for i, p in zip(
            test,
            _predict(vectoriser, model, [features[i] for i in test], [wordings[i] for i in test]),
            strict=True,
        ):
            out[i] = p
    return out


def fit(items: list[LabelledItem]) -> dict:
    """Fit the model on ``items`` (the tuning part); returns the model file's content."""
    analysed = _analysed(items)
    chosen = [(item, f, t) for item, (f, t) in zip(items, analysed, strict=True) if "both_named" in f]
    features = [[f.get(name, 0.0) for name in FEATURE_NAMES] for _, f, _ in chosen]
    wordings = [_wording(t, f) for _, f, t in chosen]
    truth = [int(item.relevant) for item, _, _ in chosen]
    groups = [item.group or item.id for item, _, _ in chosen]
    strata = [f"{item.language}:{int(item.relevant)}" for item, _, _ in chosen]
    out_of_fold = cross_validated(features, wordings, truth, groups, strata)
    cut = decision_point(out_of_fold, truth, TARGET_PRECISION)
    vectoriser, model = _fit(features, wordings, truth)
    coefficients = [float(w) for w in model.coef_[0]]
    grams = {
        gram: round(w, 4)
        for gram, w in zip(
            vectoriser.get_feature_names_out(), coefficients[len(FEATURE_NAMES) :], strict=True
        )
        if abs(w) >= NGRAM_MIN_WEIGHT
    }
    return {
        "features": list(FEATURE_NAMES),
        "weights": {name: round(w, 6) for name, w in zip(FEATURE_NAMES, coefficients, strict=False)},
        "bias": round(float(model.intercept_[0]) - math.log(cut / (1 - cut)), 6),
        "decision_point_before_shift": round(cut, 6),
        "cross_validated": _counts(out_of_fold, truth, cut),
        "fitted_on": {"items": len(chosen), "relevant": sum(truth), "of_items": len(items)},
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


if __name__ == "__main__":
    written = build()
    summary = {key: value for key, value in written.items() if key != "ngrams"}
    json.dump(summary, sys.stdout, indent=2, ensure_ascii=False)
    print(f"\n{len(written['ngrams'])} n-grams; wrote {MODEL_PATH}")
