"""The learned theme model: one logistic model per theme code over ``processing.themes.theme_features``
(the theme terms found per field, the tying sentences' themes, the rule's themes and main theme),
fitted on the relevant items of the tuning part of the labelled set only (never the held-out part,
never the shared dev set).

    python -m processing.theme_model          # writes processing/models/themes.json
    python -m processing.theme_model --cv     # grouped cross-validation: the rule against rule + model

The process step uses it on relevant headline-and-lead items (every labelled item is one) when
``process.theme_model`` is ``learned`` (the default): the rule's main theme stays first, the model
decides the others where it is confident and the rule's answer stands where it is not.
Deterministic (lbfgs on the same rows gives the same weights, rounded to six places), small (a weight per feature seen at least twice), versioned by the hash of the data.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

from processing.relevance_evaluation import (
    LABELLED_DIR,
    SET_FILES,
    Counts,
    LabelledItem,
    item_texts,
    load_labelled,
    round_of,
)
from processing.themes import DEFAULT_MARGIN, THEME_MODEL_PATH, ThemeModel, assign_themes, theme_features
from whirlpool.taxonomy import THEME_CODES

# chosen with the margin (themes.DEFAULT_MARGIN) by rounds held apart and grouped cross-validation on
# the tuning part (round-mean macro-F1 at margin 0.3: C = 1, 3, 10: 0.762, 0.767, 0.767; see docs)
REGULARISATION_C = 3.0
MIN_ITEMS = 2  # a feature is kept when at least this many training items have it
FOLDS = 5
CV_SEEDS = (0, 1, 2, 3, 4)

Row = tuple[dict[str, float], list[str], list[str]]  # features, the rule's themes, the labelled themes


def rows_of(items: list[LabelledItem]) -> tuple[list[Row], list[str], list[str]]:
    """Each relevant item's features, the rule's themes and its labels, as the process step sees
    them; each row's group (its event: one story in several languages stays in one fold) and round."""
    from processing.pipeline import analyse_texts
    from whirlpool.settings import ProcessSettings, default_config_dir
    from whirlpool.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(default_config_dir() / "taxonomy.yaml")
    settings = ProcessSettings(relevance_model="hand", theme_model="rules")
    rows, groups, rounds = [], [], []
    for item in items:
        if not item.relevant or not item.themes:
            continue
        title, summary, body = item_texts(item)
        analysis = analyse_texts(taxonomy, settings, title, summary, body)
        strong, tied = analysis.tags.strong(), analysis.relevance.themes_in_tied_sentences
        rule = assign_themes(strong, tied, relevant=True, short=not analysis.texts["body"])
        rows.append((theme_features(strong, tied), rule, list(item.themes)))
        groups.append(item.group or item.id)
        rounds.append(round_of(item))
    return rows, groups, rounds


def fit(rows: list[Row]) -> dict:
    """Weights and bias per theme code (the JSON the process step reads)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    seen: dict[str, int] = {}
    for features, _, _ in rows:
        for name in features:
            seen[name] = seen.get(name, 0) + 1
    kept = [{k: v for k, v in features.items() if seen[k] >= MIN_ITEMS} for features, _, _ in rows]
    vectoriser = DictVectorizer(sort=True)
    x = vectoriser.fit_transform(kept)
    names = vectoriser.get_feature_names_out()
    weights, bias = {}, {}
    for code in THEME_CODES:
        truth = [int(code in labels) for _, _, labels in rows]
        if len(set(truth)) < 2:  # no item has it (or every one does): a constant answer
            weights[code], bias[code] = {}, (10.0 if truth and truth[0] else -10.0)
            continue
        model = LogisticRegression(C=REGULARISATION_C, solver="lbfgs", max_iter=5000).fit(x, truth)
        weights[code] = {
            str(name): round(float(w), 6)
            for name, w in zip(names, model.coef_[0], strict=True)
            if round(float(w), 6)
        }
        bias[code] = round(float(model.intercept_[0]), 6)
    return {"weights": weights, "bias": bias}


def _model(fitted: dict, margin: float = DEFAULT_MARGIN) -> ThemeModel:
    return ThemeModel(weights=fitted["weights"], bias=fitted["bias"], margin=margin)


def _score(rows: list[Row], predicted: list[list[str]]) -> dict:
    """Theme F1 per code and macro (codes with labelled items), main-theme accuracy, counted as
    ``whirlpool eval relevance`` counts them."""
    counts = {code: Counts() for code in THEME_CODES}
    right = 0
    for (_, _, labels), themes in zip(rows, predicted, strict=True):
        right += bool(themes) and themes[0] == labels[0]
        for code in THEME_CODES:
            counts[code].add(code in labels, code in themes)
    f1 = {code: c.f1 for code, c in counts.items() if c.tp + c.fn}
    return {"macro_f1": sum(f1.values()) / len(f1), "main": right / len(rows), "f1": f1}


def _held_apart(rows: list[Row], keys: list[str]) -> dict:
    """Macro-F1 of the rule and of rule + model on each part, the model fitted on the other parts."""
    out = {}
    for key in sorted(set(keys)):
        inside = [i for i, k in enumerate(keys) if k == key]
        model = _model(fit([row for row, k in zip(rows, keys, strict=True) if k != key]))
        part = [rows[i] for i in inside]
        rule = _score(part, [r for _, r, _ in part])
        both = _score(part, [model.refine(r, f) for f, r, _ in part])
        out[key] = {
            "items": len(part),
            "rule": round(rule["macro_f1"], 3),
            "rule_and_model": round(both["macro_f1"], 3),
        }
    return out


def _rounded(score: dict) -> dict:
    return {
        k: round(v, 3) if isinstance(v, float) else {c: round(x, 3) for c, x in v.items()}
        for k, v in score.items()
    }


def cross_validate(tuning_path: Path = LABELLED_DIR / SET_FILES["tuning"]) -> dict:
    """The rule alone against rule + model on the same folds (5, grouped by event), several seeds;
    then each labelling round and each language held apart in turn."""
    items = [item for item in load_labelled(tuning_path) if item.relevant and item.themes]
    rows, groups, rounds = rows_of(items)
    rule = _score(rows, [r for _, r, _ in rows])
    runs = []
    for seed in CV_SEEDS:
        order = sorted(set(groups))
        random.Random(seed).shuffle(order)
        fold = {group: i % FOLDS for i, group in enumerate(order)}
        predicted: list[list[str]] = [[] for _ in rows]
        for f in range(FOLDS):
            model = _model(fit([row for row, g in zip(rows, groups, strict=True) if fold[g] != f]))
            for i, g in enumerate(groups):
                if fold[g] == f:
                    predicted[i] = model.refine(rows[i][1], rows[i][0])
        runs.append(_score(rows, predicted))
    mean = {
        "macro_f1": sum(r["macro_f1"] for r in runs) / len(runs),
        "main": sum(r["main"] for r in runs) / len(runs),
        "f1": {code: sum(r["f1"][code] for r in runs) / len(runs) for code in rule["f1"]},
    }
    held_apart = _held_apart(rows, rounds)
    return {
        "items": len(rows),
        "seeds": list(CV_SEEDS),
        "margin": DEFAULT_MARGIN,
        "rule": _rounded(rule),
        "rule_and_model": _rounded(mean),
        "per_seed_macro_f1": [round(r["macro_f1"], 3) for r in runs],
        "round_held_apart": held_apart,
        "round_held_apart_mean": {
            key: round(sum(part[key] for part in held_apart.values()) / len(held_apart), 3)
            for key in ("rule", "rule_and_model")
        },
        "language_held_apart": _held_apart(rows, [item.language for item in items]),
    }


def build(tuning_path: Path = LABELLED_DIR / SET_FILES["tuning"], out: Path = THEME_MODEL_PATH) -> dict:
    if Path(tuning_path).name != SET_FILES["tuning"]:
        raise ValueError(f"the model is fitted on the tuning part only, not {tuning_path}")
    digest = hashlib.sha1(Path(tuning_path).read_bytes()).hexdigest()[:12]
    rows, _, _ = rows_of(load_labelled(tuning_path))
    content = {"version": f"tuning-{digest}", "items": len(rows), "margin": DEFAULT_MARGIN, **fit(rows)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(content, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return content


if __name__ == "__main__":
    if "--cv" in sys.argv[1:]:
        json.dump(cross_validate(), sys.stdout, indent=2)
        print()
        sys.exit(0)
    written = build()
    print(
        f"{written['items']} items, {sum(len(w) for w in written['weights'].values())} weights; wrote {THEME_MODEL_PATH}"
    )
