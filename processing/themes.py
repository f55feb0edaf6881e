"""Themes: which of the eight theme codes an article is about, the main one first.

A theme is named by the taxonomy's theme terms (``kind: theme``) and by concepts that imply one
(Kursk → troop_deployment, a weapon → arms_transfers). Which mentions count depends on the item:
- a full article (with a body): a theme in the title, in a sentence tying both sides, or named
  twice; one passing mention in a long text is not what the story is about;
- a short feed item (title and lead only, no body): one mention of a specific theme counts, as a
  headline and its one-sentence lead name each thing they are about once. Diplomacy words (met,
  visit, relations) frame nearly every story, so a single one counts only where it would anyway.

Chosen by measurement on the tuning part of ``tests/data/relevance`` (see docs/processing.md).

On a short item a learned model (``ThemeModel``, fitted by ``processing.theme_model``) then re-decides
the themes after the first where it is confident: one logistic model per theme over what the rule
saw (the theme terms found per field, the tying sentences). Where its odds are near even the rule's
answer stands; the rule's main theme stays first.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from whirlpool.taxonomy import Match

THEME_MODEL_PATH = Path(__file__).resolve().parent / "models" / "themes.json"

GENERAL_THEME = "diplomacy_treaty"  # a meeting, a visit, talks: the frame of nearly every story
MAIN_THEME_FALLBACK = GENERAL_THEME  # a relevant article with no theme term is about the relationship
# military cooperation is "joint drills, military talks, defence agreements short of transfers or
# deployments" (the labelling guide): beside a deployment or a transfer it is only the frame
MILITARY_GENERAL = "military_cooperation"
MILITARY_SPECIFIC = {"troop_deployment", "arms_transfers"}
# which specific theme leads when a title names several as often: what was given or evaded before
# what paid or carried it ("satellite technology in exchange for troops", "shells through Rajin port",
# "EU sanctions over the troops"), and a sanctions action before the arms deal it punishes ("Seoul
# sanctions Russian ships over arms transfers"; workers sent despite the UN ban stay a labour story);
# chosen on the tuning part's title ties
TITLE_PRECEDENCE = [
    "strategic_tech",
    "labor_migration",
    "sanctions",
    "arms_transfers",
    "troop_deployment",
    "economy_trade",
]
# words the taxonomy lists under a theme only so that they cover a shorter theme word they hold, and
# which do not name that theme: a satellite picture is how a story was seen (tankers at Vostochny,
# containers at Rajin), not technology passing between the two; a missile's solid fuel is not a fuel
# supply; drills and talks of South Korea with the US or with the North, and athletes' joint training,
# are not Russia-DPRK military cooperation; the UN's human-rights resolution on the North is not a sanctions resolution
NOT_THE_THEME = {
    "strategic_tech": re.compile(
        r"imag|photo|pictur|bild|aufnahme|снимк|изображ|знімк|사진|영상|이미지|写真|画像|图像|图片|照片|影像|圖像|圖片"
    ),
    "economy_trade": re.compile(r"solid|liquid|固体|固體|液体|液體|твердо|рідк|жидк|feststoff|고체|액체"),
    "military_cooperation": re.compile(r"^(한미|남북|선수)"),
    "sanctions": re.compile(r"인권"),
}
# the troops as what paid for a transfer ("reactor technology in exchange for troops", 파병 대가로,
# 派兵の見返りとして), said in a lead: what the story is about is the transfer (six of the seven
# tuning items with it in the lead); in a title the exchange itself is the story, troops and all
NOT_THE_THEME_IN_LEAD = {
    "troop_deployment": re.compile(
        r"대가|보상|見返り|回报|回報|exchange|return for|échange|gegenzug|обмен|обмін"
    ),
}
# a Korean place name that is also a common verb form implies no theme on its own: 나선 (Rason) is
# how Korean news writes "set out to" (협력 확대에 나선 것, 도발에 나선 뒤); the taxonomy lists it as a
# weak alias (counted beside Rason's route), and even then it names no theme (나선시, 라선 still do)
PLACE_NAMES_ALSO_VERBS = {"나선"}
# words the taxonomy lists under arms transfers that say only that something moved (shipped,
# supplied, 공급, livrés, geliefert): beside goods of trade and no weapon, the goods are the story
ARMS, TRADE, TROOPS = "arms_transfers", "economy_trade", "troop_deployment"
TRANSFER_VERBS = re.compile(
    r"shipped|shipments|supplied|transferred|provided|공급|수출|供应|供應|运送|輸送|供与|"
    r"livré|livrés|livrées|livraison|livraisons|lieferte|geliefert|lieferungen|liefert|"
    r"поставил\w*|поставля\w*|постави\w*|постача\w*"
)
# troop words that say only where a weapon was used (not who was sent): with an arms transfer and
# no other troop word, they name no deployment (five of five such tuning items are not labelled one)
BATTLEFIELD = re.compile(
    r"combat|battle|fighting|front|бойов|бо[йяюе]\b|боях|фронт|передов|前線|前线|战场|戰場|戦場|戦闘|"
    r"作战|作戰|전투|최전선|kampf|kämpf|gefecht|schlachtfeld"
)
# trade words that name only the port weapons went through (not the trade): with an arms transfer and
# no other trade word, they name no trade (five of five such tuning items are not labelled economy;
# a railway is, as the labels have it, a transport link of its own)
PORT = re.compile(r"^(ports?|seaport|hafen|häfen|порт\w*|港口|港湾|항구|항만|cargo|container\w*|컨테이너)$")
# the UN's cap on refined oil (taxonomy: theme.sanctions): trade beyond it is a sanctions story
UN_CAP = re.compile(r"cap\b|ceiling|limit|obergrenze|plafond|лимит|потол|ліміт|стел|상한|上限")
# the theme model's odds must pass 0.5 by this much to overrule the rule (chosen by held-apart rounds
# and grouped cross-validation on the tuning part: 0.15, 0.2, 0.3 — see docs/processing.md)
DEFAULT_MARGIN = 0.3


def theme_matches(matches: Mapping[str, Sequence[Match]]) -> dict[str, list[Match]]:
    """The matches that name a theme, per field: a concept with a theme, but not a word listed only
    to cover a shorter one (``NOT_THE_THEME``) nor a place name that is also a verb form, nor a
    bare transfer verb where the field says what was shipped and it was no weapon
    (``TRANSFER_VERBS``)."""
    kept = {
        name: [
            m
            for m in ms
            if m.concept.theme is not None
            and not (m.concept.theme in NOT_THE_THEME and NOT_THE_THEME[m.concept.theme].search(m.term))
            and not (m.concept.kind == "place" and m.term in PLACE_NAMES_ALSO_VERBS)
            and not (
                name != "title"
                and m.concept.theme in NOT_THE_THEME_IN_LEAD
                and NOT_THE_THEME_IN_LEAD[m.concept.theme].search(m.term)
            )
        ]
        for name, ms in matches.items()
    }
    kept = {name: _without_goods_verbs(ms) for name, ms in kept.items()}
    # "containers at Rajin, a sign of arms deliveries" is about the arms (the port, 나진항, cargo ships);
    # "North Korean missiles fired by Russia improved in combat" is about the missiles, not soldiers sent
    kept = _without_the_setting_of_a_weapon(
        kept, TRADE, lambda m: m.concept.id == "place.rason" or PORT.search(m.term)
    )
    return _without_the_setting_of_a_weapon(kept, TROOPS, lambda m: BATTLEFIELD.search(m.term))


def _without_the_setting_of_a_weapon(
    found: dict[str, list[Match]], theme: str, is_setting: Callable[[Match], object]
) -> dict[str, list[Match]]:
    """``found`` without its ``theme`` words when an arms transfer is named and every such word only
    says where the weapon went through or was used (``is_setting``: a port, the front)."""
    every = [m for ms in found.values() for m in ms]
    words = [m for m in every if m.concept.theme == theme]
    if not words or not any(m.concept.theme == ARMS for m in every) or not all(is_setting(m) for m in words):
        return found
    return {name: [m for m in ms if m.concept.theme != theme] for name, ms in found.items()}


def _without_goods_verbs(ms: list[Match]) -> list[Match]:
    """``ms`` without its bare transfer verbs (shipped, 공급, livrés) when the field names goods of
    trade (oil, fuel, medicine) and no weapon: "Russia shipped a million barrels of oil"."""
    arms = [m for m in ms if m.concept.theme == ARMS]
    if not arms or not any(m.concept.theme == TRADE for m in ms):
        return ms
    if any(not TRANSFER_VERBS.fullmatch(m.term) for m in arms):
        return ms
    return [m for m in ms if m.concept.theme != ARMS]


def assign_themes(
    matches: Mapping[str, Sequence[Match]],
    tied: set[str],
    relevant: bool = False,
    short: bool = False,
) -> list[str]:
    """The article's themes, strongest first, ``themes[0]`` what it is mainly about.

    ``matches`` are the strong matches per field (title, summary, body); ``tied`` the themes named
    in a sentence that ties both sides; ``short`` says the item is a title and lead only.

    Strongest first (title mentions weigh double, a tying sentence adds two), except that
    ``themes[0]`` is the theme its title names most (a specific one before diplomacy), unless the
    text says twice as much about another. Without a title theme a specific theme at least half as
    strong as diplomacy leads. A relevant article with no theme term is about the relationship
    itself: diplomacy."""
    return _assign(theme_matches(matches), tied, relevant, short)


def _assign(found: dict[str, list[Match]], tied: set[str], relevant: bool, short: bool) -> list[str]:
    """``assign_themes`` over the theme matches (``theme_matches``)."""
    counts: dict[str, int] = {}
    title_counts: dict[str, int] = {}
    for name, ms in found.items():
        is_title = name == "title"
        weight = 2 if is_title else 1
        for m in ms:
            code = m.concept.theme
            if code is not None:
                counts[code] = counts.get(code, 0) + weight
                if is_title:
                    title_counts[code] = title_counts.get(code, 0) + 1
    if "sanctions" in title_counts and "arms_transfers" in counts and "arms_transfers" not in title_counts:
        # the transfers a lead says the sanctions monitors were looking into, under a title about
        # the monitors (a veto, the panel's end): what they watched, not what the story is about
        del counts["arms_transfers"]
    if not counts:  # no theme named: nothing is kept (a relevant article is about the relationship)
        return [MAIN_THEME_FALLBACK] if relevant else []
    kept = [code for code, n in counts.items() if n >= 2 or code in tied]
    strength = {code: counts[code] + (2 if code in tied else 0) for code in kept}
    ordered = sorted(kept, key=lambda code: -strength[code])
    in_title = {code: n for code, n in title_counts.items() if code in strength}
    if in_title:
        # the title says what the story is; among its themes a specific one (troops, arms, sanctions)
        # leads a general one (a meeting, a summit statement) named as often
        top = max(in_title.values())
        leaders = [code for code in ordered if in_title.get(code) == top]
        specific_leaders = [code for code in leaders if code not in (GENERAL_THEME, MILITARY_GENERAL)]
        if specific_leaders:
            main = min(specific_leaders, key=TITLE_PRECEDENCE.index)
        else:  # a treaty, a visit or talks named with its military side: the treaty or visit leads
            main = GENERAL_THEME if GENERAL_THEME in leaders else leaders[0]
        if strength[ordered[0]] >= 2 * strength[main]:
            main = ordered[0]  # unless the text says far more about another theme
    else:
        specific = [code for code in ordered if code != GENERAL_THEME]
        main = ordered[0] if ordered else None
        if specific and GENERAL_THEME in strength and 2 * strength[specific[0]] >= strength[GENERAL_THEME]:
            main = specific[0]
    if main == TRADE and any(
        m.concept.theme == "sanctions" and UN_CAP.search(m.term) for ms in found.values() for m in ms
    ):
        # oil beyond the UN's cap is a breach of the sanctions: the trade is how they were evaded
        main = "sanctions"
        if main not in ordered:
            ordered.append(main)
    if main is not None:
        ordered.remove(main)
        ordered.insert(0, main)
    if short:
        # a headline and its lead name each theme once: a single mention of a specific theme counts
        ordered += [code for code in counts if code not in strength and code != GENERAL_THEME]
    if (
        MILITARY_GENERAL in ordered
        and MILITARY_SPECIFIC & set(ordered)
        and MILITARY_GENERAL not in title_counts
    ):
        # "military cooperation" frames troop and arms stories; the theme is what falls short of them
        ordered.remove(MILITARY_GENERAL)
    if relevant and not ordered:
        ordered = [MAIN_THEME_FALLBACK]
    return ordered


def logistic(z: float) -> float:
    """The logistic function, its argument held within ±50 (no overflow; the same value to the
    last place beyond)."""
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def theme_features(matches: Mapping[str, Sequence[Match]], tied: set[str]) -> dict[str, float]:
    """What the theme model reads: theme terms per field (``title:sanctions`` counts them,
    ``any:sanctions`` says one was found) and the themes of tying sentences (``tied:``). Not the
    rule's answer: a model fitted on it copied the rule's habits of the rounds it saw and did worse
    than the rule on a round it did not (see docs/processing.md); the rule comes back in ``refine``."""
    return _features(theme_matches(matches), tied)


def _features(found: dict[str, list[Match]], tied: set[str]) -> dict[str, float]:
    """``theme_features`` over the theme matches (``theme_matches``)."""
    features: dict[str, float] = {}
    for name, ms in found.items():
        for m in ms:
            code = m.concept.theme
            if code is not None:
                key = f"{name}:{code}"
                features[key] = features.get(key, 0.0) + 1.0
                features[f"any:{code}"] = 1.0
    for code in tied:
        features[f"tied:{code}"] = 1.0
    return features


@dataclass(frozen=True)
class ThemeModel:
    """One logistic model per theme code over ``theme_features`` (weights by feature name)."""

    weights: Mapping[str, Mapping[str, float]]
    bias: Mapping[str, float]
    version: str = ""
    # the model overrides the rule on a theme only at odds of at least 0.5 + margin either way
    margin: float = DEFAULT_MARGIN

    def probabilities(self, features: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for code, weights in self.weights.items():
            logit = self.bias[code] + sum(weights.get(name, 0.0) * value for name, value in features.items())
            out[code] = logistic(logit)
        return out

    def refine(self, rule_themes: Sequence[str], features: Mapping[str, float]) -> list[str]:
        """The rule's main theme, then the other themes, likeliest first: a theme the model is
        confident about (odds at least 0.5 + margin) is added, one it is confident against (at most
        0.5 - margin) is dropped, and in between the rule's answer stands."""
        if not rule_themes:
            return list(rule_themes)
        main = rule_themes[0]
        probability = self.probabilities(features)
        ruled = set(rule_themes)
        others = [
            code
            for code, p in probability.items()
            if code != main and (p >= 0.5 + self.margin or (code in ruled and p > 0.5 - self.margin))
        ]
        others += [code for code in rule_themes[1:] if code not in probability]  # a code it has no model for
        return [main, *sorted(others, key=lambda code: (-probability.get(code, 0.5), code))]


def load_theme_model(path: Path = THEME_MODEL_PATH) -> ThemeModel:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return ThemeModel(
        weights=data["weights"],
        bias=data["bias"],
        version=data.get("version", ""),
        margin=data.get("margin", DEFAULT_MARGIN),
    )


def themes_of(
    matches: Mapping[str, Sequence[Match]],
    tied: set[str],
    relevant: bool = False,
    short: bool = False,
    model: ThemeModel | None = None,
) -> list[str]:
    """``assign_themes``, then, on a relevant short item and with a model, the model's choice of
    the themes after the first (it was fitted and measured on headlines and leads only)."""
    found = theme_matches(matches)  # once for the rule and the model
    themes = _assign(found, tied, relevant, short)
    if model is None or not (relevant and short) or not themes:
        return themes
    return model.refine(themes, _features(found, tied))
