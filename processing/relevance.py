"""Relevance: is the article about Russia–DPRK cooperation or relations? A score in [0, 1].

Both sides must be present AND tied together. The evidence is counted as named features:
- a term that names the pair itself (``북러``, ``露朝``, ``朝俄``, ``российско-северокорейский``);
- both sides in the title, with or without a tie term (a meeting, visit, message, treaty, arms,
  troops... : the taxonomy's theme terms), and the title being all there is (a title-only item
  whose title names both sides *is* the story);
- sentences of the lead or body that name both sides, with or without a tie term; neighbouring
  sentences of one paragraph that do so together;
- China named beside both (trilateral framing: "북중러", the Beijing parade);
- a third state or body in the title (the US, Japan, the UN): its own view of each side is often the
  story ("Trump wants to meet Kim, is disappointed with Putin"), which lowers the score.
The score is a weighted sum of the features: by default a logistic model fitted on the labelled
tuning set over the features and the evidence tokens (which concept was found in the title, the
lead or the rest), blended with the hand weights (``processing.relevance_model``,
``processing/models/relevance.json``); or the hand weights alone. The model can also weigh the
character n-grams of the title and lead, switched off since they learned each event's words
(``NGRAM_FIELDS``). The reasons name each feature that fired and each learned share, so every score
can be explained.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from processing.themes import GENERAL_THEME, logistic
from whirlpool.taxonomy import Match

# sentence ends, and the separators of digests that list stories in one line: " / ", "｜", "；", and a
# slash between two non-Latin letters ("キム総書記が出席/ロシア軍の攻撃", never "KN-23/Hwasong-11")
# (led by a lookahead of the characters that can end one: the regular expression engine then skips to
# them, three times faster than trying each alternative at every character)
_SENTENCE_END = re.compile(
    r"(?=[.!?。！？；\n/|｜;•])"
    r"(?:[.!?。！？](?=\s|$)|[。！？；\n]|[/|｜•](?<=\s[/|｜•])(?=\s)|[/;](?<=[^\x00-\x7f][/;])(?=[^\x00-\x7f]))"
)
# a digest headline lists separate stories: "[아침신문 1면] 北 미사일 발사 / 러시아, 우크라이나 공습"
# ("きょうの主なニュース 補正予算成立へ/北朝鮮が弾道ミサイル/ロシア・ウクライナ協議": a slash between two
# non-Latin letters, never "KN-23/Hwasong-11"; a bullet: "Müllballons aus Nordkorea • Russische Angriffe")
_DIGEST_SEPARATOR = re.compile(r"\s[/|｜•]\s|•|[;；|｜]|(?<=[^\x00-\x7f])/(?=[^\x00-\x7f])")
# after a roundup heading ("Коротко:", "Le brief du matin :") commas and 、 separate stories too
_LIST_SEPARATOR = re.compile(r"\s[/|｜•]\s|•|[;；|｜,、，]|(?<=[^\x00-\x7f])/(?=[^\x00-\x7f])")
# the clauses of a headline ("ロシア軍がキーウに攻撃、北朝鮮は日本海へ弾道ミサイル")
# and, in Japanese and Chinese headlines, a space between two CJK characters ("U17女子W杯 北朝鮮が連覇
# ロシアは引き続き出場停止"), and the Korean headline's "…", which cleaning spells "..." (beside
# Hangul only: "ouverte… aux seuls touristes russes" is one clause)
_CLAUSE_SEPARATOR = re.compile(
    r"[,、，;；:：|｜/…•]|\s[-–—]\s|(?<=[\u3040-\u30ff\u3400-\u9fff])[ \u3000]+(?=[\u3040-\u30ff\u3400-\u9fff])"
    r"|(?<=[\uac00-\ud7a3])\.{2,}|\.{2,}(?=[\uac00-\ud7a3])"
)
# a clause of a name and at most this many other characters ("氏") is the topic of the next
_BARE_CLAUSE_CHARS = 1
# headings of a roundup of separate stories ("Главное к утру:", "きょうの主なニュース", "[아침신문 1면]")
_DIGEST_HEADING = re.compile(
    r"главное (к утру|за день|за неделю|к вечеру)|^главное:|головне за|дайджест|digest|morning brief|evening brief|"
    r"what we know|today's headlines|news in brief|briefing|아침신문|주요뉴스|오늘의 뉴스|主なニュース|ニュースまとめ|"
    r"新闻早报|要闻|早报|早参|晚报|新聞摘要|懶人包|懒人包|l'essentiel|le brief|das wichtigste|nachrichten am|"
    r"^коротко|^кратко|^новости дня|^головне|^коротко про|^новини дня|die lage am|am morgen:|am abend:|"
    r"^kompakt|im überblick|ce qu'il faut retenir|브리핑\]|간추린 뉴스|뉴스 요약|速览|一览"
    # the same headings in other words and in Traditional Chinese ("World briefs:", "体育简讯：",
    # "【スポーツ短信】", "要聞", "早報")
    r"|\bbriefs\s*:|news briefs|round-?up\b|at a glance|en bref|revue de presse|kurz gemeldet|итоги дня|підсумки дня"
    r"|헤드라인|短信|きょうのニュース|今日のニュース|简讯|簡訊|快讯|快訊|要聞|早報|晚報|新闻摘要|晨报|晨報",
    re.IGNORECASE,
)
SIDES = frozenset({"russia", "dprk"})
CHINA = "actor.china"
WAR_PLACES = frozenset({"actor.ukraine_war", "place.kursk"})
_POW = re.compile(r"pow|prisoner|пленн|полонен|포로|捕虜|俘虏|俘虜|prisonnier|gefangen", re.IGNORECASE)
# a weapon used in the war: a strike or attack on Ukraine, or its debris (not a test launch that a
# clause about Ukraine happens to sit beside)
_ATTACK = re.compile(
    r"attack|strike|struck|\bhit\b|\bused\b|debris|wreckage|remnant|fragment|(launch|fir)\w* (at|on|against)\b"
    r"|запуска\w* по\b|запусти\w* по\b|запускал\w* по\b"
    # a DPRK weapon destroyed on the front was in use there
    r"|destroy|знищ|уничтож|파괴|撃破|摧毁|摧毀|détrui|zerstör"
    r"|удар|вдари|атак|обстр|уламк|обломк|остатк|залишк|применил|застосува|використа|использова"
    r"|攻撃|空爆|残骸|殘骸|使用|공격|타격|폭격|잔해|사용|袭击|襲擊|攻击|攻擊|打击|打擊"
    r"|frappe|attaque|débris|utilisé|angriff|trümmer|eingesetzt",
    re.IGNORECASE,
)
# a missile or rocket with no name: in a strike on Ukraine beside the DPRK, a DPRK weapon ("по Харкову
# вдарили ракетою з КНДР")
_MISSILE = re.compile(r"missile|rocket|ракет|미사일|ミサイル|导弹|導彈|飞弹|飛彈|rakete", re.IGNORECASE)
# the DPRK's losses in the war: its soldiers' casualties ("втрати КНДР у війні проти України")
_LOSSES = re.compile(r"casualt|losses|потер[ьия]|втрат|사상자|死傷|伤亡|傷亡|pertes|verluste", re.IGNORECASE)
# Russia's veto or block of a UN measure on the DPRK (the Panel of Experts): Russia shields the DPRK
_VETO = re.compile(r"veto|вето|заблокир|заблоку|거부권|拒否権|否决|否決|\bblock(s|ed)\b", re.IGNORECASE)
# the three leaders drawn as one camp: "side by side", "axis", "solidarity", "3각 연대", "結束"
_CAMP = re.compile(
    r"side by side|side-by-side|stand together|stood together|axis|solidarity|united front|anti-western"
    r"|côte à côte|réunis|front anti|l'axe|seite an seite|achse|schulterschluss"
    r"|ось\b|оси\b|осью|сплоч|единым фронтом|вісь|солідарн|згуртован"
    r"|연대|결속|나란히|밀착|結束|連帯|並ぶ|并肩|同框|團結|团结|轴心|軸心",
    re.IGNORECASE,
)
# sports: a team of each side in separate facts of one results item (a Russian ban, a DPRK win)
_SPORTS = re.compile(
    r"olympi|world cup|championship|football|soccer|fifa|\bioc\b|олимпи|чемпионат|сборн|футбол|олімпі"
    r"|чемпіонат|збірн|올림픽|월드컵|축구|선수권|五輪|オリンピック|w杯|ワールドカップ|サッカー|アジア大会"
    r"|奥运|奧運|世界杯|足球|亚运|亞運|jeux olympiques|\bjo\b|coupe du monde|mondial|fußball|\bwm\b|\bu-?[12]\d\b"
    # the same in other words and scripts ("Asian Games", "아시안게임", "世界盃", "朝鲜女足")
    r"|asian games|jeux asiatiques|asienspiele|азиатск\w* игр|азійськ\w* ігр|아시안게임|paralymp|паралимп|паралімп"
    r"|패럴림픽|パラリンピック|残奥|殘奧|世界盃|女足|男足",
    re.IGNORECASE,
)

# South Korea (or Seoul) in a title that does not name both sides: an inter-Korean or South Korean
# story, where a Russia–DPRK tie is background ("Seoul proposes talks, Pyongyang silent")
_SOUTH_KOREA = re.compile(
    r"south korea|\bseoul|южн\w* коре|сеул|півд\w* коре|corée du sud|séoul|südkorea|한국|남한"
    r"|韓国|韩国|南韓|南韩",
    re.IGNORECASE,
)

# feature name → (hand weight, reason shown to the analyst)
FEATURES: dict[str, tuple[float, str]] = {
    "both_named": (0.1, "both sides named"),
    "pair_term_title": (0.45, "the title names the Russia–DPRK pair"),
    "both_title": (0.45, "both sides in the title"),
    "both_title_tie": (0.15, "with a tie term in the title"),
    "title_only": (0.15, "the title is the whole item"),
    "pair_term_text": (0.3, "the text names the Russia–DPRK pair"),
    "tied_sentences": (0.45, "a sentence ties both sides with a theme term"),
    "more_tied_sentences": (0.1, "more sentences tie both sides"),
    "both_sentences": (0.2, "a sentence names both sides"),
    "neighbour_sentences": (0.15, "neighbouring sentences tie the sides with a theme term"),
    "trilateral": (-0.1, "China named beside both sides"),
    "title_no_side": (-0.45, "the title names neither side"),
    "digest": (-0.3, "a roundup of separate stories"),
    "dprk_troops_war": (0.45, "DPRK soldiers in Russia's war (with Ukraine, Kursk, or as prisoners)"),
    "title_one_side": (-0.1, "the title names one side"),
    "lead_tie": (0.1, "the first sentence of the lead names both sides"),
    "third_party_title": (
        -0.2,
        "the title names a third state or body (its view of both is often the story)",
    ),
    "states_listed_title": (-0.2, "the title lists several other states beside both sides"),
    "one_side_only": (0.0, "only one side named"),
    "dprk_weapons_war": (0.45, "DPRK weapons used in Russia's war (a strike on Ukraine)"),
    "title_sides_apart": (0.0, "the title names the sides in separate clauses"),
    "lead_third_party": (0.0, "the lead's first sentence names a third state or body"),
    "late_tie_only": (0.0, "only later sentences tie the sides"),
    "title_other_pair": (0.0, "the title names one side with China or a third state (their story)"),
    "title_veto": (0.3, "the title names Russia's veto or block of a measure on the DPRK"),
    "trilateral_camp": (0.3, "the three drawn as one camp (side by side, axis, solidarity)"),
    "sports_title": (-0.2, "a sports item (teams of each side, separate facts)"),
    "lead_ties_title_theme": (0.2, "the lead's first sentence ties both sides with the title's own theme"),
    "lead_veto": (0.3, "the lead names Russia's veto of a measure on the DPRK named in the title"),
    "title_south_korea": (-0.2, "the title names South Korea, not both sides (its own story)"),
    "title_third_party_first": (-0.2, "the title names a third state or body before either side (its act)"),
}
FEATURE_NAMES = tuple(FEATURES)
# the features that make an article relevant on their own where only the DPRK is named (the hand
# rule's score, ``IN_THE_WAR_SCORE``): naming Russia as well, later in the text, never scores lower
IN_THE_WAR = ("dprk_troops_war", "dprk_weapons_war")
IN_THE_WAR_SCORE = 0.55
ONE_SIDE_SCORE = 0.1  # any other article that names one side only
# the features that keep the hand rule's score where both sides are named too (the learned score's
# floor): a DPRK weapon in a strike on Ukraine (every such item of the tuning part is relevant; DPRK
# troops beside Kursk are also named in passing, in lists of a press conference's topics), and Russia's
# veto of a measure on the DPRK (the UN sanctions monitors: too few items, one event, for the model to
# learn its weight from the others)
FLOORED = ("dprk_weapons_war", "title_veto", "lead_veto")
_FLOOR_REASONS = {
    "dprk_weapons_war": "at least the score of a DPRK weapon in Russia's war with Russia unnamed",
    "title_veto": "at least the score of a DPRK weapon in Russia's war: Russia's veto shields the DPRK",
    "lead_veto": "at least the score of a DPRK weapon in Russia's war: Russia's veto shields the DPRK",
}


@dataclass(slots=True)
class Sentence:
    number: int
    paragraph: int
    sides: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)
    pair_term: bool = False
    china: bool = False
    war: bool = False  # Ukraine, Kursk, or prisoners of war named
    troops: bool = False  # a troop-deployment term
    arms: bool = False  # a weapon or an arms-transfer term
    third_party: bool = False  # a third state or body named (the US, Japan, the UN...)
    others: set[str] = field(default_factory=set)  # the third parties and China named


@dataclass
class Relevance:
    score: float
    reasons: list[str]
    themes_in_tied_sentences: set[str]
    features: dict[str, float] = field(default_factory=dict)


def word_char_ngrams(text: str, low: int = 2, high: int = 4) -> set[str]:
    """The character n-grams of each word padded with a space, as scikit-learn's ``char_wb``
    analyser makes them (lowercased): the learned model's wording features."""
    grams: set[str] = set()
    for word in text.lower().split():  # split() joins runs of white space, as char_wb does
        grams.update(_word_grams(word, low, high))
    return grams


def _word_grams(word: str, low: int, high: int) -> set[str]:
    word = f" {word} "
    length = len(word)
    grams: set[str] = set()
    for n in range(low, high + 1):
        if n > length:
            grams.add(word)  # a short word counts once, whole
            break
        grams.update(word[i : i + n] for i in range(length - n + 1))
    return grams


_FIRST_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)|[。！？\n]")


def _first_sentence_end(text: str) -> int:
    """Where the first sentence of ``text`` ends (its length when it is one sentence)."""
    end = _FIRST_SENTENCE_END.search(text)
    return end.end() if end else len(text)


def evidence_tokens(texts: Mapping[str, str], matches: Mapping[str, list[Match]]) -> set[str]:
    """What the taxonomy found where, as tokens the learned model weighs: ``title:person.putin``,
    ``lead:actor.usa``, ``text:theme.troop_deployment`` (a concept named, or the theme it implies,
    ``title:~arms_transfers`` for a weapon). The same story in any language gives the same tokens,
    so their weights carry from one event and language to another better than the wording's."""
    tokens: set[str] = set()
    for match in matches.get("title", ()):
        _add_evidence(tokens, "title", match)
    lead_name = "summary" if texts.get("summary") else "body"
    lead_end = _first_sentence_end(texts.get(lead_name, ""))
    for name in ("summary", "body"):
        for match in matches.get(name, ()):
            _add_evidence(tokens, "lead" if name == lead_name and match.start < lead_end else "text", match)
    return tokens


def _add_evidence(tokens: set[str], place: str, match: Match) -> None:
    concept = match.concept
    tokens.add(f"{place}:{concept.id}")
    theme = concept.theme
    if theme is not None and concept.kind != "theme":
        tokens.add(f"{place}:~{theme}")


_CACHED_WORDS = 50_000


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over ``FEATURE_NAMES`` and, when fitted with them, the character n-grams
    of the title and lead (fitted by ``processing.relevance_model``)."""

    weights: Mapping[str, float]
    bias: float
    version: str = ""
    ngrams: Mapping[str, float] = field(default_factory=dict)
    ngram_range: tuple[int, int] = (2, 4)
    ngram_fields: tuple[str, ...] = ("title", "summary")
    # weights of the evidence tokens (``evidence_tokens``): what the taxonomy found where
    evidence: Mapping[str, float] = field(default_factory=dict)
    # the hand weights' share of the score (an ensemble), and the blended score at which an article
    # is relevant; the score is rescaled so that this point is 0.5, the process step's threshold
    hand_share: float = 0.0
    decision_point: float = 0.5
    # word → its n-grams that carry a weight (names and common words recur from headline to headline)
    _known: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def wording(self, texts: Mapping[str, str]) -> float:
        """The n-grams' share of the logit (0 without n-grams): each n-gram present counts once."""
        if not self.ngrams:
            return 0.0
        weights, known = self.ngrams, self._known
        present: set[str] = set()
        for name in self.ngram_fields:
            for word in texts.get(name, "").lower().split():
                grams = known.get(word)
                if grams is None:
                    if len(known) >= _CACHED_WORDS:
                        known.clear()
                    grams = known[word] = frozenset(
                        gram for gram in _word_grams(word, *self.ngram_range) if gram in weights
                    )
                present |= grams
        return sum(weights[gram] for gram in present)

    def found(self, tokens: set[str]) -> list[tuple[str, float]]:
        """The evidence tokens present that carry a weight, strongest first."""
        weights = self.evidence
        return sorted(((t, weights[t]) for t in tokens if t in weights), key=lambda tw: (-abs(tw[1]), tw[0]))

    def probability(self, features: Mapping[str, float], wording: float = 0.0) -> float:
        """The logistic model's probability, given the features and the share of the logit of the
        wording and the evidence tokens."""
        z = self.bias + wording + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        return logistic(z)

    def blended(self, features: Mapping[str, float], wording: float = 0.0) -> float:
        """The probability blended with the hand score (as the decision point was chosen on)."""
        share = self.hand_share
        p = self.probability(features, wording)
        return (1.0 - share) * p + share * hand_score(features) if share else p

    def score(self, features: Mapping[str, float], wording: float = 0.0) -> float:
        """The score in [0, 1], 0.5 at the decision point: the blend, rescaled piecewise linearly."""
        value, cut = self.blended(features, wording), self.decision_point
        value = 0.5 * value / cut if value < cut else 0.5 + 0.5 * (value - cut) / (1.0 - cut)
        return min(max(value, 0.0), 1.0)


def _sentences(text: str, matches: list[Match]) -> list[Sentence]:
    """The sentences that name a side, China or a theme, in text order (the others are never built)."""
    if not matches:
        return []
    last_start = max([match.start for match in matches])
    # the sentence ends before the last match (one after it changes no match's sentence: a scan that
    # stops one character past it reads the lookaheads of every end before it as the whole text does)
    ends = [boundary.end() for boundary in _SENTENCE_END.finditer(text, 0, last_start + 1)]
    if ends and ends[-1] > last_start:
        ends.pop()
    ends.append(len(text) + 1)
    found: dict[int, Sentence] = {}
    sides_at: dict[tuple[int, int], set[str]] = {}
    for match in matches:
        number = bisect.bisect_right(ends, match.start)  # the last end lies past every match
        sentence = found.get(number)
        if sentence is None:
            # its paragraph: the line breaks before it (each one ends a sentence)
            sentence = found[number] = Sentence(
                number, text.count("\n", 0, ends[number - 1]) if number else 0
            )
        concept = match.concept
        if concept.side:
            sentence.sides.add(concept.side)
            span = sides_at.setdefault((match.start, match.end), set())
            span.add(concept.side)
            if span == SIDES:
                sentence.pair_term = True  # one term names both: 북러, 露朝, 朝俄
        if concept.third_party:
            sentence.third_party = True
            sentence.others.add(concept.id)
        if concept.id == CHINA:
            sentence.china = True
            sentence.others.add(concept.id)
        elif _names_the_war(match):
            sentence.war = True
        theme = concept.theme
        if theme is not None:  # a theme term, or a weapon or place that implies one
            sentence.themes.add(theme)
            if theme == "troop_deployment":
                sentence.troops = True
            elif theme == "arms_transfers":
                sentence.arms = True
    return [
        found[n]
        for n in sorted(found)
        if found[n].sides or found[n].themes or found[n].china or found[n].war or found[n].third_party
    ]


def relevance_features(
    texts: Mapping[str, str], matches: Mapping[str, list[Match]]
) -> tuple[dict[str, float], set[str]]:
    """The features that fired (name → value) and the themes named in sentences tying both sides."""
    features: dict[str, float] = {}
    tied_themes: set[str] = set()
    sides_anywhere = {m.concept.side for ms in matches.values() for m in ms if m.concept.side}
    built: dict[str, list[Sentence]] = {}

    def sentences_of(name: str) -> list[Sentence]:
        if name not in built:
            built[name] = _sentences(texts.get(name, ""), list(matches.get(name, [])))
        return built[name]

    if "dprk" in sides_anywhere and any(
        _names_the_war(match) for name in ("title", "summary") for match in matches.get(name, ())
    ):  # (a sentence names the war only where a match does: else there is nothing to build)
        in_the_war = _dprk_in_the_war(texts, sentences_of)
        if "troops" in in_the_war:
            features["dprk_troops_war"] = 1.0
            tied_themes.add("troop_deployment")
        if "weapons" in in_the_war:
            features["dprk_weapons_war"] = 1.0
            tied_themes.add("arms_transfers")
    if len(sides_anywhere) < 2:
        if sides_anywhere:
            features["one_side_only"] = 1.0
        return features, tied_themes
    features["both_named"] = 1.0
    title_text = texts.get("title", "")
    title = sentences_of("title")
    title_sides = set().union(*(s.sides for s in title)) if title else set()
    digest = bool(_DIGEST_HEADING.search(title_text))
    separator = _LIST_SEPARATOR if digest else _DIGEST_SEPARATOR
    if len(title_sides) == 2 and separator.search(title_text):
        title_sides = _sides_in_one_story(title_text, list(matches.get("title", [])), separator)
    title_themes = set().union(*(s.themes for s in title)) if title else set()
    china = any(s.china for s in title)
    if not title_sides:
        features["title_no_side"] = 1.0
    elif len(title_sides) == 1:
        features["title_one_side"] = 1.0
    if digest and len(title_sides) < 2:
        features["digest"] = 1.0  # a roundup whose stories name the two apart
    if any(s.pair_term for s in title):
        features["pair_term_title"] = 1.0
    if any(s.third_party for s in title):
        features["third_party_title"] = 1.0
        if len(title_sides) == 2 and _third_party_first(list(matches.get("title", []))):
            features["title_third_party_first"] = 1.0  # "Trump will Kim treffen – und lässt Putin warten"
    if len(title_sides) == 1 and any(s.others for s in title):
        features["title_other_pair"] = 1.0  # "中朝贸易恢复", "Li Qiang arrives in Pyongyang"
    if len(title_sides) < 2 and _SOUTH_KOREA.search(title_text):
        features["title_south_korea"] = 1.0  # an inter-Korean story: the tie is its background
    if _SPORTS.search(title_text):
        features["sports_title"] = 1.0
    if title and len(set().union(*(s.others for s in title))) >= 2:
        features["states_listed_title"] = 1.0  # "the US, Russia, the DPRK and Belarus voted against"
    if "dprk" in title_sides and _vetoed_by_russia(_lead_sentence(texts), matches, texts):
        features["lead_veto"] = 1.0  # "UN panel on DPRK sanctions disbands" / "after Russia's veto"
    if len(title_sides) == 2:
        features["both_title"] = 1.0
        if _VETO.search(title_text):
            features["title_veto"] = 1.0
        if len(_sides_in_one_clause(title_text, list(matches.get("title", [])))) < 2:
            features["title_sides_apart"] = 1.0
        tied_themes |= _tying_themes(title_themes)
        if title_themes:
            features["both_title_tie"] = 1.0
        if not (texts.get("summary") or texts.get("body")):
            features["title_only"] = 1.0
    strong = weak = adjacent = 0
    pair_in_text = False
    for name in ("summary", "body"):
        sentences = sentences_of(name)
        for index, sentence in enumerate(sentences):
            pair_in_text |= sentence.pair_term
            if (
                sentence.number == 0
                and sentence.third_party
                and (name == "summary" or not texts.get("summary"))
            ):
                features["lead_third_party"] = 1.0
            if len(sentence.sides) == 2:
                china |= sentence.china
                if sentence.number == 0 and (name == "summary" or not texts.get("summary")):
                    features["lead_tie"] = 1.0
                    # the title names one side and a specific theme (DPRK shells, a port's
                    # shipments): the lead ties both sides with it
                    if len(title_sides) == 1 and (sentence.themes & title_themes) - {GENERAL_THEME}:
                        features["lead_ties_title_theme"] = 1.0
                if sentence.themes:
                    strong += 1
                    tied_themes |= _tying_themes(sentence.themes)
                else:
                    weak += 1
            elif index + 1 < len(sentences):
                following = sentences[index + 1]
                if (
                    following.number == sentence.number + 1
                    and following.paragraph == sentence.paragraph
                    and len(sentence.sides | following.sides) == 2
                    and len(following.sides) < 2
                    and (sentence.themes or following.themes)
                ):
                    adjacent += 1
    if pair_in_text:
        features["pair_term_text"] = 1.0
    if strong:
        features["tied_sentences"] = 1.0
        if strong > 1:
            features["more_tied_sentences"] = float(min(strong, 3) - 1)
    if weak:
        features["both_sentences"] = 1.0 + 0.25 * (min(weak, 3) - 1)
    if adjacent:
        features["neighbour_sentences"] = 1.0
    if (strong or weak) and "lead_tie" not in features and len(title_sides) < 2:
        features["late_tie_only"] = 1.0
    if china and (len(title_sides) == 2 or strong or weak):
        features["trilateral"] = 1.0
        if _CAMP.search(title_text) or _CAMP.search(_lead_sentence(texts)):
            features["trilateral_camp"] = 1.0
    return features, tied_themes


def _names_the_war(match: Match) -> bool:
    """Ukraine's war, Kursk, or prisoners of war."""
    concept = match.concept
    return concept.id in WAR_PLACES or (concept.code == "troop_deployment" and bool(_POW.search(match.term)))


def _tying_themes(themes: set[str]) -> set[str]:
    """The themes a sentence tying both sides lends its weight to: beside a specific theme (troops,
    arms, tourism), a general diplomacy word ("met", "arrived", "talks") is the frame, not a theme."""
    if GENERAL_THEME in themes and len(themes) > 1:
        return themes - {GENERAL_THEME}
    return themes


def _sides_in_one_story(title: str, matches: list[Match], separator: re.Pattern[str]) -> set[str]:
    """The sides one story of a digest headline names together (the most of any story)."""
    cuts = [m.start() for m in separator.finditer(title)]
    stories: dict[int, set[str]] = {}
    for match in matches:
        if match.concept.side:
            stories.setdefault(bisect.bisect_right(cuts, match.start), set()).add(match.concept.side)
    return max(stories.values(), key=len, default=set())


def _third_party_first(matches: list[Match]) -> bool:
    """The title names a third state or body before either side: its act is the story, the sides
    its objects ("Trump says he'd love to meet Kim, days after shelving Putin summit", "国連総会 …
    米国はロシアや北朝鮮とともに反対", "G7 in Hiroshima: Neue Sanktionen gegen Russland, Warnung an
    Nordkorea"), unless the title ties them otherwise (a pair term, arms or troops: features the
    model weighs beside it)."""
    named = [m for m in matches if m.concept.side or m.concept.third_party]
    if not named:
        return False
    first = min(m.start for m in named)
    return not any(m.concept.side for m in named if m.start == first)  # "美러" names Russia too


def _sides_in_one_clause(title: str, matches: list[Match]) -> set[str]:
    """The sides one clause of the title names together (the most of any clause). A clause that is
    only a name is the topic of the next one ("プーチン氏、金正恩氏に高級車を贈呈", "푸틴, 北최선희에
    …"), so it joins it; "北朝鮮が連覇 ロシアは出場停止" names the two in separate clauses."""
    bounds = [0, *(m.end() for m in _CLAUSE_SEPARATOR.finditer(title)), len(title) + 1]
    clauses: list[set[str]] = []
    carried: set[str] = set()
    for start, end in zip(bounds, bounds[1:], strict=False):
        inside = [m for m in matches if start <= m.start < end]
        named = sum(min(m.end, end) - m.start for m in inside)
        rest = len(re.sub(r"[\W_]", "", title[start:end])) - named
        sides = carried | {m.concept.side for m in inside if m.concept.side}
        if inside and rest <= _BARE_CLAUSE_CHARS and end <= len(title):
            carried = sides  # a bare name: the topic of the next clause
            continue
        clauses.append(sides)
        carried = set()
    if carried:
        clauses.append(carried)
    return max(clauses, key=len, default=set())


def _dprk_in_the_war(texts: Mapping[str, str], sentences_of: Callable[[str], list[Sentence]]) -> set[str]:
    """What of the DPRK's the title or the lead's first sentence names with Ukraine, Kursk or
    captivity: "troops", or "weapons" used in a strike ("North Korean missile used in Kyiv attack",
    with Russia unnamed in that sentence): the war Russia fights with them, even where Russia itself
    goes unnamed."""
    found: set[str] = set()
    digest = bool(_DIGEST_HEADING.search(texts.get("title", "")))
    for name in ("title", "summary"):
        sentences = sentences_of(name)
        for sentence in sentences[:1] if name == "summary" else sentences:
            if "dprk" in sentence.sides and sentence.war:
                if sentence.troops or _names(texts, name, _LOSSES):
                    found.add("troops")
                if (sentence.arms or _names(texts, name, _MISSILE)) and _names(texts, name, _ATTACK):
                    if name == "title" and digest:
                        # a roundup: one of its stories names it all ("удар по Украине, пуск ракет в КНДР" no)
                        if _one_piece_names_weapon_in_war(texts["title"], _LIST_SEPARATOR):
                            found.add("weapons")
                    elif "russia" not in sentence.sides or _one_piece_names_weapon_in_war(
                        _first_part(texts, name), _CLAUSE_SEPARATOR, weapon=False
                    ):
                        # Russia named too: the DPRK's weapon, the war and the strike in one clause
                        # ("росія вже запускала по Україні балістичні ракети з КНДР")
                        found.add("weapons")
    return found


_DPRK_WORD = re.compile(
    r"north korea|n\. korea|dprk|pyongyang|кндр|северн\w* коре|северокорей|північн\w* коре|північнокорей|пхеньян"
    r"|북한|北朝鮮|朝鲜|北韓|nord-coré|corée du nord|nordkorea",
    re.IGNORECASE,
)
_WAR_WORD = re.compile(
    r"ukrain|kyiv|kiev|kharkiv|charkiw|zaporiz|украин|киев|харьков|україн|київ|києв|харків|харков|запорі|запорож"
    r"|우크라이나|키이우|하르키우|ウクライナ|キーウ|ハルキウ|乌克兰|烏克蘭|基辅|基輔|哈尔科夫|kiew|saporisch"
    r"|kursk|koursk|курск|курськ|курщин|쿠르스크|クルスク|库尔斯克|庫爾斯克",
    re.IGNORECASE,
)


def _one_piece_names_weapon_in_war(text: str, separator: re.Pattern[str], weapon: bool = True) -> bool:
    """One piece of ``text`` between separators names the DPRK, Ukraine's war and a strike together
    (and a weapon, unless ``weapon`` is false: the sentence names one the taxonomy knows)."""
    return any(
        _DPRK_WORD.search(piece)
        and _WAR_WORD.search(piece)
        and _ATTACK.search(piece)
        and (not weapon or _MISSILE.search(piece) or _ARMS_WORD.search(piece))
        for piece in separator.split(text)
    )


_ARMS_WORD = re.compile(
    r"weapon|shell|munition|оруж|снаряд|зброї|зброя|무기|포탄|兵器|砲弾|武器|炮弹|砲彈|arme|obus|waffe|granat",
    re.IGNORECASE,
)


def _first_part(texts: Mapping[str, str], name: str) -> str:
    """The title, or the lead's first sentence."""
    text = texts.get(name, "")
    return text[: _first_sentence_end(text)] if name == "summary" else text


def _vetoed_by_russia(sentence: str, matches: Mapping[str, list[Match]], texts: Mapping[str, str]) -> bool:
    """The lead's first sentence names a veto or block and Russia."""
    if not sentence or not _VETO.search(sentence):
        return False
    lead = "summary" if texts.get("summary") else "body"
    end = len(sentence)
    return any(m.concept.side == "russia" and m.start < end for m in matches.get(lead, ()))


def _names(texts: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> bool:
    """Whether the title (or the lead's first sentence) names what ``pattern`` finds: a strike, an
    attack or its debris; a missile; losses."""
    text = texts.get(name, "")
    if name == "summary":
        text = text[: _first_sentence_end(text)]
    return pattern.search(text) is not None


def _lead_sentence(texts: Mapping[str, str]) -> str:
    """The lead's first sentence (the body's where there is no summary)."""
    text = texts.get("summary") or texts.get("body", "")
    return text[: _first_sentence_end(text)]


# the body's lead paragraph: its first paragraph of at least this many characters (a byline, a
# dateline or a photo caption before it counts with it)
LEAD_PARAGRAPH_CHARS = 60
_PARAGRAPH = re.compile(r"[^\n]+")
BODY_CUT_REASON = "the other side named only after the body's lead paragraph (another story's, or in passing)"


def _lead_paragraph_end(body: str) -> int:
    """Where the body's lead paragraph ends (``LEAD_PARAGRAPH_CHARS``)."""
    for paragraph in _PARAGRAPH.finditer(body):
        if len(paragraph.group().strip()) >= LEAD_PARAGRAPH_CHARS:
            return paragraph.end()
    return len(body)


def story_matches(
    texts: Mapping[str, str], matches: Mapping[str, list[Match]]
) -> tuple[Mapping[str, list[Match]], bool]:
    """The matches of the article's own story, and whether the body was cut to its lead paragraph.

    Where the title, the summary and the body's lead paragraph name one side and the other side is
    named only further down the body, that mention belongs to another story (a related article's
    teaser, a "read also" block) or is a passing one: the labelling guide's "not a subject". The
    body's later paragraphs are then left out of the score, features and evidence alike (a learned
    scorer fitted on headlines and leads would count any tie they hold as the story's own)."""
    body = matches.get("body")
    if not body:
        return matches, False
    head = {m.concept.side for name in ("title", "summary") for m in matches.get(name, ()) if m.concept.side}
    if len(head) == 2 or not {m.concept.side for m in body if m.concept.side} - head:
        return matches, False  # the head names both, or the body no side the head does not
    end = _lead_paragraph_end(texts.get("body", ""))
    lead = [m for m in body if m.start < end]
    if len(head | {m.concept.side for m in lead if m.concept.side}) == 2:
        return matches, False
    return {**matches, "body": lead}, True


def hand_score(features: Mapping[str, float]) -> float:
    return round(min(sum(FEATURES[name][0] * value for name, value in features.items()), 1.0), 3)


def score_relevance(
    texts: Mapping[str, str], matches: Mapping[str, list[Match]], model: LinearModel | None = None
) -> Relevance:
    """Score the tie between the two sides; ``matches`` are the strong matches per field.

    The learned model scores the articles that name both sides; an article naming one side keeps
    the hand rule (DPRK troops or weapons in Russia's war, or not), which the labels have too few of
    to learn."""
    matches, cut = story_matches(texts, matches)
    features, tied_themes = relevance_features(texts, matches)
    if not features:
        return Relevance(0.0, ["neither side named"], set(), features)
    reasons = [FEATURES[name][1] for name in FEATURE_NAMES if name in features]
    if cut:
        reasons.append(BODY_CUT_REASON)
    if "both_named" not in features:
        return Relevance(one_side_score(features), reasons, tied_themes, features)
    if model is None:
        return Relevance(hand_score(features), reasons, tied_themes, features)
    # the wording counts where the title names a side (those whose title names neither are scored on
    # their features and evidence alone, in fitting too: none of them was relevant in the tuning part)
    wording = 0.0 if "title_no_side" in features else model.wording(texts)
    if wording:
        reasons.append(f"wording of the title and lead ({_signed(wording)}, learned)")
    found = model.found(evidence_tokens(texts, matches)) if model.evidence else []
    if found:
        share = sum(w for _, w in found)
        strongest = ", ".join(f"{token} {_signed(w)}" for token, w in found[:3])
        reasons.append(f"what was found where ({_signed(share)}, learned: {strongest})")
        wording += share
    if model.hand_share:
        reasons.append(f"hand weights {hand_score(features):.2f} (a {model.hand_share:.0%} share)")
    score = model.score(features, wording)
    floored = [name for name in FLOORED if name in features]
    if floored and score < IN_THE_WAR_SCORE:
        score = IN_THE_WAR_SCORE
        reasons.append(_FLOOR_REASONS[floored[0]])
    return Relevance(round(score, 3), reasons, tied_themes, features)


def one_side_score(features: Mapping[str, float]) -> float:
    """The hand rule's score of an article that names one side only: DPRK troops or weapons in
    Russia's war make it relevant, nothing else does."""
    return IN_THE_WAR_SCORE if any(name in features for name in IN_THE_WAR) else ONE_SIDE_SCORE


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '−'}{abs(value):.1f}"
