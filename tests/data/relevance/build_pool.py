"""Draw the pool of items to label by reading, from ``../shared/data/articles`` (run once).

Items are drawn at random (fixed seed) within strata of the datasets' *own* keyword flags
(``mentions_dprk`` / ``mentions_russia`` in ktitan-news-items; none elsewhere), never by
Whirlpool's taxonomy, so the labels do not inherit the tagger's blind spots. Items of the shared
``relevance/dev-labels.jsonl`` are left out. Each item gets a ``group`` (its URL, or for a written
translation the URL of the item it translates); the held-out split is decided by the group, so a
translation never sits on the other side of the split from its original.

    python tests/data/relevance/build_pool.py ../shared/data  > /tmp/pool.jsonl
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import html
import json
import random
import re
import sys
from pathlib import Path

SEED = 20261201
BODY_CHARS = 3000
# per ktitan file: how many items from each (mentions_dprk, mentions_russia) stratum. The items
# flagged for both were taken out of the shared data as the held-out set, so what is left of the
# Russia–DPRK stories hides among the DPRK-flagged items (abbreviations the flags missed): those
# strata are taken whole or nearly so.
QUOTAS = {
    "kp": {(True, False): 700, (False, False): 30, (False, True): 5},
    "kr": {(True, False): 200, (False, True): 80, (False, False): 30},
    "ru": {(True, False): 20, (False, True): 60, (False, False): 20},
    "jp": {(True, False): 60, (False, True): 20, (False, False): 20},
    "cn": {(True, False): 20, (False, True): 40, (False, False): 15},
    "us": {(True, False): 10, (False, True): 25, (False, False): 10},
    "gb": {(True, False): 10, (False, True): 25, (False, False): 10},
    "fr": {(True, False): 10, (False, True): 25, (False, False): 10},
    "tw": {(True, False): 10, (False, True): 15, (False, False): 10},
}
FILE_LANGUAGE = {
    "kp": "ko",
    "kr": "ko",
    "ru": "en",
    "jp": "ja",
    "cn": "en",
    "us": "en",
    "gb": "en",
    "fr": "fr",
    "tw": "en",
}


def item_id(group: str, language: str = "") -> str:
    return hashlib.sha1(f"{group}|{language}".encode()).hexdigest()[:12]


def _clean(text: str) -> str:
    text = html.unescape(html.unescape(text or ""))
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _item(origin, url, source, date, language, title, summary="", body="") -> dict:
    return {
        "id": item_id(url),
        "group": url,
        "origin": origin,
        "url": url,
        "source": source,
        "date": date,
        "language": language,
        "title": _clean(title),
        "summary": _clean(summary)[:1200],
        "body": _clean(body)[:BODY_CHARS],
    }


def ktitan(root: Path, exclude: set[str], rng: random.Random):
    folder = root / "articles" / "ktitan-news-items"
    for group, quotas in QUOTAS.items():
        rows = [json.loads(line) for line in (folder / f"{group}_items.jsonl").open(encoding="utf-8")]
        rows = [r for r in rows if r["url"] not in exclude and r.get("title")]
        for stratum, quota in quotas.items():
            members = [
                r for r in rows if (bool(r.get("mentions_dprk")), bool(r.get("mentions_russia"))) == stratum
            ]
            rng.shuffle(members)
            for r in members[:quota]:
                yield _item(
                    f"ktitan/{group}_items.jsonl",
                    r["url"],
                    r["source"],
                    r["date"],
                    FILE_LANGUAGE[group],
                    r["title"],
                    r.get("summary", ""),
                )
    politics = json.loads((folder / "chosun_politics.json").read_text(encoding="utf-8"))
    politics = [r for r in politics if r["url"] not in exclude]
    rng.shuffle(politics)
    for r in politics[:20]:
        yield _item(
            "ktitan/chosun_politics.json",
            r["url"],
            "chosun",
            r["date"],
            "ko",
            r["title"],
            r.get("summary", ""),
        )


def russian(root: Path):
    folder = root / "articles" / "ru-news-corus"
    csv.field_size_limit(10**9)
    for path in sorted(folder.glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for n, r in enumerate(csv.DictReader(handle)):
                text = (r.get("text") or "").replace("\\n", "\n")
                url = r.get("url") or f"corus:{path.name}:{n}"
                yield _item(
                    f"ru-news-corus/{path.name}",
                    url,
                    r.get("edition") or path.name.split("-")[0].split(".")[0],
                    r.get("date", ""),
                    "ru",
                    r["title"],
                    text[:600],
                    text,
                )
    with gzip.open(folder / "ria.json.gz", "rt", encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            r = json.loads(line)
            text = _clean(r["text"])
            yield _item(
                "ru-news-corus/ria.json.gz",
                f"corus:ria.json.gz:{n}",
                "ria",
                "",
                "ru",
                r["title"],
                text[:600],
                text,
            )
    for path in sorted((folder / "bsnlp-nord-stream-ru").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        title, text = lines[4] if len(lines) > 4 else path.stem, "\n".join(lines[5:])
        yield _item(
            f"ru-news-corus/bsnlp-nord-stream-ru/{path.name}",
            lines[3] if len(lines) > 3 else path.name,
            "bsnlp",
            lines[2] if len(lines) > 2 else "",
            "ru",
            title,
            text[:600],
            text,
        )


def ukrainian(root: Path):
    folder = root / "articles" / "uk-ner-uk"
    for path in sorted(folder.glob("*/*.txt")):
        text = path.read_text(encoding="utf-8").strip()
        first, _, rest = text.partition("\n")
        rel = path.relative_to(folder).as_posix()
        yield _item(
            f"uk-ner-uk/{rel}", f"ner-uk:{rel}", path.parent.name, "", "uk", first[:300], rest[:600], rest
        )


def _first(value) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    text = str(value or "")
    if text.startswith("['") and text.endswith("']"):
        try:
            import ast

            parsed = ast.literal_eval(text)
            return " ".join(map(str, parsed)) if isinstance(parsed, list) else text
        except (ValueError, SyntaxError):
            return text[2:-2]
    return text


def pages(root: Path):
    folder = root / "articles" / "ko-ja-zh-news-pages"
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    langs = {}
    entries = manifest if isinstance(manifest, list) else manifest.get("files", manifest.get("pages", []))
    for entry in entries if isinstance(entries, list) else entries.values():
        if isinstance(entry, dict) and entry.get("id"):
            langs[entry["id"]] = entry.get("lang_detected", "")
    for path in sorted(folder.glob("*.expected.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        parsed = data.get("parsed_data", {})
        page_id = path.name.removesuffix(".expected.json")
        text = _first(parsed.get("text"))
        url = data.get("url") or f"page:{page_id}"
        yield _item(
            f"ko-ja-zh-news-pages/{page_id}",
            url,
            page_id.split("__")[0].removeprefix("crw"),
            _first(parsed.get("published_at")),
            langs.get(page_id, ""),
            _first(parsed.get("title")),
            _first(parsed.get("description"))[:600] or text[:600],
            text,
        )


def main(root: Path) -> None:
    rng = random.Random(SEED)
    exclude = {
        json.loads(line)["url"] for line in (root / "relevance" / "dev-labels.jsonl").open(encoding="utf-8")
    }
    seen: set[str] = set()
    for source in (ktitan(root, exclude, rng), russian(root), ukrainian(root), pages(root)):
        for item in source:
            if item["id"] in seen or not item["title"]:
                continue
            seen.add(item["id"])
            sys.stdout.write(json.dumps(item, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
