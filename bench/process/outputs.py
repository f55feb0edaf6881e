"""Fingerprint of the process step's outputs, to prove a speed change leaves them identical.

``python -m bench.process.outputs FILE [--docs N]`` processes a fixed multilingual set — N documents
of the benchmark corpus (default 3,000), the relevance tuning items (``tests/data/relevance/
tuning.jsonl``), 200 corpus documents again with markup, CRLF, tabs and entities, and 50 documents
processed a second time — through ``Processor.process`` with fresh state, and writes every output
field except the timestamps of the run (``fetched_at``, ``processed_at``) as JSON lines to FILE.
``--compare REFERENCE`` then reports the first differing lines and exits non-zero when any differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.process.corpus import build_corpus
from processing.evaluation import shared_data_dir
from processing.pipeline import Processor
from whirlpool.article import Article, article_id
from whirlpool.report import StageReport
from whirlpool.settings import Settings, config_dir

TUNING = Path(__file__).resolve().parents[2] / "tests" / "data" / "relevance" / "tuning.jsonl"
RUN_TIMES = {"fetched_at", "processed_at"}


def tuning_articles() -> list[Article]:
    docs = []
    for line in TUNING.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        try:
            date = datetime.fromisoformat(item.get("date") or "")
        except ValueError:
            date = None  # some items carry a free-text date: published_at stays unknown
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        docs.append(
            Article(
                id=article_id(item["url"] + "#" + item["id"]),
                url=item["url"],
                canonical_url=item["url"],
                source_id=item.get("source") or "tuning",
                title=item.get("title") or "",
                summary=item.get("summary") or "",
                body=item.get("body") or "",
                published_at=date.astimezone(UTC) if date else None,
            )
        )
    return docs


def messy(doc: Article, number: int) -> Article:
    """A copy with markup, entities, CRLF, tabs, no-break spaces and a boilerplate line."""
    body = doc.body.replace("\n\n", "\r\n\r\n<p>\t", 3).replace(" ", "\u00a0", 5)
    url = f"https://messy.example/{number}"
    return doc.model_copy(
        update={
            "id": article_id(url),
            "url": url,
            "canonical_url": url,
            "title": f"<b>{doc.title}</b> &amp; \u2026",
            "body": f"Share this article\n{body}\n&nbsp;Read more…",
        }
    )


def fixed_set(count: int) -> list[Article]:
    corpus = build_corpus(count, shared_data_dir())
    docs = list(corpus)
    docs += tuning_articles()
    docs += [messy(doc, number) for number, doc in enumerate(corpus[::15][:200])]
    docs += corpus[100:150]  # processed again: unchanged or updated in place
    return docs


def fingerprint(count: int, out: Path) -> int:
    docs = fixed_set(count)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), config_dir=config_dir().path)
        processor = Processor.from_settings(settings)
        report = StageReport("process")
        n = 0
        with out.open("w", encoding="utf-8") as fh:
            for article in processor.process(docs, report):
                fh.write(article.model_dump_json(exclude=RUN_TIMES) + "\n")
                n += 1
            fh.write(
                json.dumps({"counts": dict(sorted(report.counts.items())), "errors": len(report.errors)})
                + "\n"
            )
        processor.close()
    return n


def compare(out: Path, reference: Path) -> int:
    new, old = (
        out.read_text(encoding="utf-8").splitlines(),
        reference.read_text(encoding="utf-8").splitlines(),
    )
    differing = [i for i, (a, b) in enumerate(zip(new, old, strict=False)) if a != b]
    if len(new) != len(old):
        print(f"line counts differ: {len(new)} now, {len(old)} in the reference")
    for i in differing[:5]:
        a, b = json.loads(new[i]), json.loads(old[i])
        fields = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
        print(f"line {i + 1} ({a.get('url')}): differs in {sorted(fields)}")
        for k in sorted(fields)[:3]:
            print(f"  {k}: now {str(a.get(k))[:300]}\n  {' ' * len(k)}  was {str(b.get(k))[:300]}")
    print(f"{len(differing)} of {len(old)} lines differ")
    return 1 if differing or len(new) != len(old) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=3000)
    parser.add_argument("--compare", type=Path, help="a reference written by an earlier run")
    args = parser.parse_args()
    n = fingerprint(args.docs, args.out)
    print(f"{n:,} processed articles written to {args.out}")
    if args.compare:
        sys.exit(compare(args.out, args.compare))


if __name__ == "__main__":
    main()
