"""The benchmark corpus: realistic-length multilingual news documents with a known language.

Built from ``../shared/data/articles`` when present (ktitan news items in ko/ja/en/fr, Russian
news from corus, Ukrainian texts from ner-uk, Chinese and Japanese pages' body text), else from
generated text. Each document takes its title from one item and its body from that item and
several others of the same language, so bodies are 1–4 thousand characters like real articles.
A share of documents are syndicated copies of earlier ones (new URL, own dateline).
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from whirlpool.article import Article, article_id

KTITAN_LANGUAGES = {
    "kp": "ko",
    "kr": "ko",
    "jp": "ja",
    "ru": "en",
    "cn": "en",
    "us": "en",
    "gb": "en",
    "fr": "fr",
    "tw": "en",
}


def _first(value):
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = ast.literal_eval(value)
            return " ".join(map(str, parsed)) if isinstance(parsed, list) else value
        except (ValueError, SyntaxError):
            return value
    return value if isinstance(value, str) else ""


def load_units(shared: Path) -> dict[str, list[tuple[str, str]]]:
    """(title, paragraph) units per language."""
    units: dict[str, list[tuple[str, str]]] = {}
    articles = shared / "articles"
    for path in sorted((articles / "ktitan-news-items").glob("*_items.jsonl")):
        lang = KTITAN_LANGUAGES.get(path.stem.split("_")[0])
        if not lang:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            if item.get("title") and item.get("summary"):
                units.setdefault(lang, []).append((item["title"], item["summary"]))
    for path in sorted((articles / "ru-news-corus").glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            for row in csv.DictReader(io.StringIO(fh.read())):
                for paragraph in (row.get("text") or "").split("\n"):
                    for chunk in _chunks(paragraph, 400):
                        units.setdefault("ru", []).append((row.get("title") or chunk[:80], chunk))
    for path in sorted((articles / "uk-ner-uk" / "ng").glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for chunk in lines[1:]:
            for piece in _chunks(chunk, 400):
                units.setdefault("uk", []).append((lines[0][:150], piece))
    for path in sorted((articles / "ko-ja-zh-news-pages").glob("*.expected.json")):
        data = json.loads(path.read_text(encoding="utf-8")).get("parsed_data", {})
        lang = _first(data.get("source_language", "")).lower()[:2]
        text, title = _first(data.get("text", "")), _first(data.get("title", ""))
        if lang in ("zh", "ja", "ko") and text:
            for piece in _chunks(text, 300):
                units.setdefault(lang, []).append((title[:150], piece))
    return {lang: items for lang, items in units.items() if len(items) >= 20}


def _chunks(text: str, size: int) -> Iterator[str]:
    text = text.strip()
    while len(text) > size * 1.5:
        cut = max(text.rfind(". ", 0, size), text.rfind("。", 0, size), size // 2)
        yield text[: cut + 1].strip()
        text = text[cut + 1 :].strip()
    if text:
        yield text


GENERATED = {
    "en": "North Korea has sent troops and artillery shells to Russia, officials said on {n}. Talks in Moscow "
    "covered trade, tourism and the Tumen River bridge. Analysts expect more cooperation in {n}.",
    "ru": "Делегация КНДР прибыла в Москву для переговоров {n}. Стороны обсудили торговлю, туризм и "
    "строительство моста через Туманную. Эксперты ожидают расширения сотрудничества.",
    "uk": "Північна Корея передала Росії снаряди та ракети {n}, повідомила розвідка. Експерти очікують "
    "подальшої співпраці між країнами, зокрема у військовій сфері.",
    "ko": "북한이 러시아에 포탄과 미사일을 지원했다고 정보당국이 {n}일 밝혔다. 양국은 두만강 다리 건설과 관광 "
    "협력도 논의했다.",
    "ja": "北朝鮮がロシアに砲弾を供与したと韓国の情報機関が{n}日に明らかにした。両国は観光や鉄道での協力も協議した。",
    "zh": "据报道，朝鲜{n}日向俄罗斯运送炮弹。双方还讨论了旅游、铁路和图们江大桥建设等合作。",
}


def generated_units() -> dict[str, list[tuple[str, str]]]:
    return {
        lang: [(f"{text[:40]} {n}", text.format(n=n)) for n in range(200)] for lang, text in GENERATED.items()
    }


def build_corpus(count: int, shared: Path | None, seed: int = 7, copy_share: float = 0.05) -> list[Article]:
    """``count`` documents, languages mixed in proportion to the data, deterministic for a seed."""
    rng = random.Random(seed)
    units = load_units(shared) if shared else {}
    if len(units) < 3:
        units = generated_units()
    languages = sorted(units)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    docs: list[Article] = []
    for number in range(count):
        if docs and rng.random() < copy_share:
            original = docs[rng.randrange(max(0, len(docs) - 500), len(docs))]
            body = "(Syndicated) " + original.body + "\nRepublished with permission."
            url = f"https://copy{number % 7}.example/news/{number}"
            docs.append(_article(url, original.title, body, original.language_hint, start, number))
            continue
        lang = languages[number % len(languages)] if number % 3 == 0 else rng.choice(languages)
        pool = units[lang]
        first = rng.randrange(len(pool))
        size = rng.randint(4, 10)
        # the lead unit, then others drawn at random: stories share some text, as real ones do
        parts = [pool[first][1]] + [pool[rng.randrange(len(pool))][1] for _ in range(size - 1)]
        url = f"https://{lang}.example/news/{number}"
        docs.append(_article(url, pool[first][0], "\n\n".join(parts), lang, start, number))
    return docs


def _article(url: str, title: str, body: str, lang: str | None, start: datetime, number: int) -> Article:
    return Article(
        id=article_id(url),
        url=url,
        canonical_url=url,
        source_id=url.split("/")[2],
        title=title,
        body=body,
        language_hint=lang,  # the label for accuracy; the processor does not read it
        published_at=start + timedelta(minutes=number),
    )
