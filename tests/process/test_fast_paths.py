"""The hot path's shortcuts give exactly what the plain versions they replace give."""

from __future__ import annotations

import re
import unicodedata

import pytest

from processing.characters import WordScanner, text_of
from processing.cleaning import (
    _BLANK_LINES,
    _CONTROL,
    _SPACES,
    BOILERPLATE_LINE,
    clean_text,
    collapse_spaces,
    nfkc,
)
from processing.language import _ANY_LETTER, _SCRIPT_PATTERNS, ScriptCounts, count_scripts

SAMPLES = [
    "",
    "plain ascii words, digits 123 and under_scores __x__",
    "Москва, 25 ноября — Северная Корея и Россия подписали договор. " * 5,
    "북한과 러시아는 25일 평양에서 정상회담을 열었다. " * 8,
    "北朝鮮とロシアは２５日、首脳会談を行った。" * 12,
    "朝鲜和俄罗斯25日在平壤举行会谈。" * 15,
    "astral 𠀀𠀁 letters and 😀 emoji " * 9,
    "lone \udc9f surrogate " * 20,
    "marks × ÷ ゛゜ ҂ ゠ and fullwidth ＡＢＣ１２３ " * 10,
    "no\u00a0break\u2026 and\u202fnarrow, ｶﾀｶﾅ, ㎞ №5 Ⅳ " * 10,
    "\u00a0\u0308 a no-break space before a combining mark\n\u1100\n\u1161 jamo on two lines",
]
# texts whose lower case a per-character table cannot give (İ, a final Σ), ASCII, and edges
LOWER_CASE_SAMPLES = [
    "İSTANBUL İzmir and ΟΔΥΣΣΕΑΣ ΣΟΦΟΣ: Greek capitals, a final sigma " * 5,
    "Plain ASCII News, With Capitals, Digits 2026 and Punctuation!!! " * 5,
    "...leading and trailing marks... " * 8 + "---",
    "_" * 300,
    "Ünïcödé Lätin wörds, ÆØÅ and Ĳ ligatures " * 6,
]


@pytest.mark.parametrize("pattern", [r"\w", r"[^\W_]", r"[^\W\d_]"])
def test_code_point_word_scan_finds_what_the_regex_finds(pattern):
    scanner, words = WordScanner(pattern), re.compile(pattern + "+")
    for text in SAMPLES + LOWER_CASE_SAMPLES:
        for sample in (text, text.lower(), text[:150]):
            assert scanner.findall(sample) == words.findall(sample)
            assert text_of(scanner.joined(sample)) == " ".join(words.findall(sample))
            assert text_of(scanner.joined(sample, separator=False)) == "".join(words.findall(sample))
            lowered = words.findall(sample.lower())
            assert scanner.findall(sample, lower=True) == lowered
            assert scanner.joined_text(sample, lower=True) == " ".join(lowered)
            assert text_of(scanner.joined(sample, lower=True)) == " ".join(lowered)
            assert text_of(scanner.joined(sample, separator=False, lower=True)) == "".join(lowered)


def test_content_hash_is_the_sha1_of_the_lower_case_words_the_regex_finds():
    import hashlib

    from processing.cleaning import content_hash

    words = re.compile(r"[^\W_]+")

    def plain(text: str) -> str:
        return " ".join(words.findall(text.lower()))

    for body in SAMPLES + LOWER_CASE_SAMPLES:
        for title in ("", "Plain Title", "Заголовок İ Σ 北"):
            expected = hashlib.sha1(f"{plain(title)}\n{plain(body)}".encode()).hexdigest()
            assert content_hash(title, body) == expected


def test_lower_case_word_scan_by_table_equals_the_regex_over_str_lower_for_every_character():
    # every BMP character beside a letter, a digit, an underscore and a space, in both cases
    scanner, words = WordScanner(r"\w"), re.compile(r"\w+")
    plane = [chr(c) for c in range(0x10000) if chr(c) not in "\u0130\u03a3"]  # those two: LOWER_CASE_SAMPLES
    for start in range(0, len(plane), 4096):
        text = "".join(f"{ch}A{ch}1 {ch}_x{ch}" for ch in plane[start : start + 4096])
        assert text_of(scanner.joined(text, lower=True)) == " ".join(words.findall(text.lower()))


def test_script_counts_by_table_equal_the_counts_of_the_script_regexes():
    for text in SAMPLES:
        counts = {name: len(pattern.findall(text)) for name, pattern in _SCRIPT_PATTERNS.items()}
        other = max(len(_ANY_LETTER.findall(text)) - sum(counts.values()), 0)
        assert count_scripts(text) == ScriptCounts(other=other, **counts)


def test_nfkc_line_by_line_equals_unicodedata_nfkc_of_the_whole_text():
    for text in SAMPLES:
        assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_collapsing_spaces_equals_the_general_regex_for_every_kind_of_whitespace():
    spaces = [chr(c) for c in range(0x3001) if chr(c).isspace() and chr(c) != "\n"]
    for space in spaces:
        for text in (f"a{space}b", f"a {space} b\n  c", f"{space}{space}x{space}\n", "a  b   c"):
            assert collapse_spaces(text) == _SPACES.sub(" ", text), repr(space)


def _clean_text_plainly(text: str, multiline: bool) -> str:
    """clean_text's steps after NFKC with every regex always run (for markup-free text)."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    if not multiline:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = [line.strip() for line in _SPACES.sub(" ", text).split("\n")]
    lines = [line for line in lines if not (line and len(line) < 90 and BOILERPLATE_LINE.match(line))]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def test_printable_text_skips_no_character_the_control_and_space_regexes_would_change():
    changed = [chr(c) for c in range(0x110000) if _CONTROL.match(chr(c)) or _SPACES.match(chr(c))]
    assert [ch for ch in changed if ch.isprintable() and ch != " "] == []


@pytest.mark.parametrize("multiline", [True, False])
def test_clean_text_equals_every_step_run_plainly(multiline):
    extra = [
        "a\u200bb\x07c  d\n\n\n\ne\u2028f\u3000g\xa0h",
        "line one  \n\n\n\nAdvertisement\nline\ttwo\r\nthree\x85four\n",
        "zero\ufeffwidth and\u00a0\u00a0no-break  \u2060 joiner\n\nShare this article\n\n\nend",
        "  \n  ",
    ]
    for text in SAMPLES + extra:
        assert clean_text(text, multiline=multiline) == _clean_text_plainly(text, multiline), repr(text)


def test_letter_searches_find_what_set_intersections_find():
    from processing.language import (
        _BE_LETTER,
        _FOREIGN_LATIN,
        _FOREIGN_LATIN_LETTER,
        _KK_MN_OR_SOUTH_SLAVIC_LETTER,
        BE_ONLY,
        KK_MN_ONLY,
        RU_ONLY,
        SOUTH_SLAVIC_ONLY,
        UK_ONLY,
        _cyrillic_letters,
    )

    texts = [*SAMPLES, "Мінск ў", "Қазақстан", "Београд је", "Praha řekla", "İstanbul ılık", "đường"]
    texts += ["Київ і Львів, ґанок, їжак, єнот; съезд, ёлка, эхо, мы 𠀀 ў", "Ўзбекистон ҳам Қозоғистон"]
    for text in texts:
        lowered = text.lower()
        assert bool(_BE_LETTER.search(lowered)) == bool(set(lowered) & BE_ONLY)
        assert bool(_KK_MN_OR_SOUTH_SLAVIC_LETTER.search(lowered)) == bool(
            set(lowered) & (KK_MN_ONLY | SOUTH_SLAVIC_ONLY)
        )
        assert bool(_FOREIGN_LATIN_LETTER.search(lowered)) == (not _FOREIGN_LATIN.isdisjoint(lowered))
        assert _cyrillic_letters(lowered) == (
            len(_BE_LETTER.findall(lowered)),
            len(_KK_MN_OR_SOUTH_SLAVIC_LETTER.findall(lowered)),
            sum(lowered.count(ch) for ch in UK_ONLY),
            sum(lowered.count(ch) for ch in RU_ONLY),
        )
    for letter in BE_ONLY | KK_MN_ONLY | SOUTH_SLAVIC_ONLY | UK_ONLY | RU_ONLY:  # disjoint classes
        assert sum(_cyrillic_letters(f"а {letter} б {letter}")) == 2
    for letter in BE_ONLY | KK_MN_ONLY | SOUTH_SLAVIC_ONLY | _FOREIGN_LATIN:  # each letter alone
        found = _BE_LETTER, _KK_MN_OR_SOUTH_SLAVIC_LETTER, _FOREIGN_LATIN_LETTER
        assert any(pattern.search(f"a {letter} b") for pattern in found)


def test_latin_i_beside_cyrillic_is_replaced_as_the_regex_replaces_it():
    from processing.language import _LATIN_I_IN_CYRILLIC, _cyrillic_i

    texts = [
        *SAMPLES,
        "i",
        "іi",
        "ii",
        "вiд iPhone i Київ",
        "Кiїв",
        "xi ai ia",
        "аi",
        "iа",
        "ёi",
        "iё",
        "ґii",
    ]
    for text in texts:
        lowered = text.lower()
        assert _cyrillic_i(lowered) == _LATIN_I_IN_CYRILLIC.sub("і", lowered)


def test_evidence_set_up_from_its_state_equals_validated_evidence():
    import pickle

    from processing.tagging import _evidence
    from whirlpool.article import Evidence

    values = {"concept": "actor.dprk", "kind": "actor", "term": "北", "field": "title", "start": 3, "end": 4}
    built, validated = _evidence(dict(values)), Evidence(**values)
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set
    assert pickle.loads(pickle.dumps(built)) == validated
    assert built.model_copy(update={"start": 5}) == validated.model_copy(update={"start": 5})


def test_japanese_and_simplified_only_characters_counted_by_table_as_by_sets():
    from processing.characters import BMP, code_points
    from processing.language import _JA_ZH_ONLY, JA_ONLY_KANJI, ZH_ONLY_SIMPLIFIED

    texts = [*SAMPLES, "駅の売店で経済の話", "们这说对发经东车", "学国会经发 𠀀 们", "駅们" * 40]
    for text in texts:
        points = code_points(text)
        only = [int(x) for x in _JA_ZH_ONLY[points[points < BMP]]]
        assert sum(x & 1 for x in only) == sum(ch in JA_ONLY_KANJI for ch in text)
        assert sum(x >> 1 for x in only) == sum(ch in ZH_ONLY_SIMPLIFIED for ch in text)


def test_language_profiles_read_by_numpy_equal_langdetects_own_loader_bit_for_bit():
    """The same languages in the same order, the same n-grams, every probability the same float;
    and a detector over either decides the same languages with the same probabilities."""
    import struct

    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    from processing.language_profiles import load_factory

    ours, theirs = load_factory(), DetectorFactory()
    theirs.load_profile(PROFILES_DIRECTORY)
    assert ours.langlist == theirs.langlist
    assert dict.keys(ours.word_lang_prob_map) == theirs.word_lang_prob_map.keys()

    def packed(row: list[float]) -> bytes:
        return struct.pack(f"{len(row)}d", *row)

    expected = {ngram: packed(row) for ngram, row in theirs.word_lang_prob_map.items()}
    assert {ngram: packed(ours.word_lang_prob_map[ngram]) for ngram in expected} == expected
    texts = [
        "La Corée du Nord et la Russie ont signé un accord de coopération militaire à Pyongyang.",
        "Severní Korea a Rusko podepsaly smlouvu o spolupráci.",
        "Kuzey Kore ve Rusya askeri işbirliği anlaşması imzaladı.",
        "Північна Корея та Росія підписали договір",
    ]
    for factory in (ours, theirs):
        factory.set_seed(0)
    for text in texts:
        found = []
        for factory in (ours, theirs):
            detector = factory.create()
            detector.append(text)
            found.append([(lang.lang, lang.prob) for lang in detector.get_probabilities()])
        assert found[0] == found[1], text


def _article(**values):
    from whirlpool.article import Article, Evidence

    base = {
        "id": "a1",
        "url": "https://example.org/a?x=1&y=</script>",
        "canonical_url": "https://example.org/a",
        "source_id": "yonhap",
        "title": '北최선희, 푸틴과 만나 "북러관계" \\ 😀',
        "body": "Москва\t25 ноября\r\n\x00\x1f\x7f\u2028 ＡＢＣ",
        "published_at": "2026-12-02T08:10:50.000123+09:00",
        "fetched_at": "2026-12-02T00:00:00Z",
        "relevance": 0.30000000000000004,
        "evidence": [
            Evidence(concept="actor.dprk", kind="actor", term="北", field="title", start=0, end=1),
            Evidence(concept="person.putin", kind="entity", term="푸틴", field="title", start=6, end=8),
        ],
        "story_languages": ["ko", "ru"],
    }
    return Article(**{**base, **values})


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"relevance": 0.0, "evidence": [], "published_at": None, "story_first_seen": None},
        {"relevance": 1e-7, "published_at_source": "page", "extraction_method": "trafilatura"},
        {"published_at": "2026-12-02T08:10:50"},  # naive: taken as UTC
    ],
)
def test_article_json_is_pydantics_text(changes):
    article = _article(**changes)
    assert article.to_json() == article.model_dump_json()
    assert article.to_json_bytes() == article.model_dump_json().encode()


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_article_json_takes_pydantics_path_for_values_msgspec_writes_otherwise():
    from whirlpool.article import Article

    for relevance in (1, 1e16, 1e22, float("nan"), float("inf"), True):  # unvalidated values
        article = _article().model_copy(update={"relevance": relevance})
        assert article.to_json() == article.model_dump_json(warnings=False)
    article = _article().model_copy(update={"evidence": [{"concept": "x"}]})
    assert article.to_json() == article.model_dump_json(warnings=False)
    shuffled = _article()
    shuffled.__dict__ = dict(reversed(shuffled.__dict__.items()))  # the fields in another order
    assert shuffled.to_json() == shuffled.model_dump_json()
    surrogate = _article().model_copy(update={"title": "lone \udc9f"})
    with pytest.raises(Exception, match="surrogates not allowed"):
        surrogate.to_json()
    with pytest.raises(Exception, match="surrogates not allowed"):
        surrogate.model_dump_json()
    assert Article.from_json(_article().to_json_bytes()) == _article()
