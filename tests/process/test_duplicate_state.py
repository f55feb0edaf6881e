"""The compact duplicate state (issue 13, 11): the same clusters as the former layout on the same
input, a former state file converted in place, and a pruned state that still clusters copies of
what it kept, at well under 1 KB per member.

The former layout's decisions and a state file it wrote are golden files in ``data/``, made by the
former module (text keys, uncompressed JSON; commit ec6fc32) from the streams below at commit
d355ce6, where that module was kept as ``tests/process/former_duplicates.py``."""

from __future__ import annotations

import gzip
import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.process.corpus import build_corpus
from processing.cleaning import content_hash
from processing.duplicates import DuplicateIndex, prune_state
from whirlpool.article import Article

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DATA = Path(__file__).parent / "data"
FORMER_LAYOUT_BYTES_AFTER_900 = 2_756_608  # the former layout's file after all 900 of stream(900, seed=5)


def former_decisions(name: str) -> list[tuple]:
    """The former layout's decisions on one stream: (article, cluster, representative, status,
    the id of the article it demoted)."""
    with gzip.open(DATA / "former_layout_decisions.json.gz", "rt") as file:
        return [tuple(row) for row in json.load(file)[name]]


def stream(count: int = 1500, seed: int = 3) -> list[Article]:
    """Processed-looking articles: syndicated copies (exact and near), late copies dated earlier than
    the first one seen (which demote it), and articles seen again, some with a changed text."""
    rng = random.Random(seed)
    docs = build_corpus(count, None, seed=seed, copy_share=0.2)
    out: list[Article] = []
    for number, doc in enumerate(docs):
        doc = doc.model_copy(
            update={
                "language": doc.language_hint,
                "published_at": NOW - timedelta(days=60) + timedelta(minutes=40 * number),
                "fetched_at": NOW - timedelta(days=60) + timedelta(minutes=40 * number + 5),
            }
        )
        out.append(doc)
        if number > 10 and rng.random() < 0.05:  # an earlier copy arriving late: demotes
            original = out[rng.randrange(len(out) - 10, len(out))]
            out.append(
                original.model_copy(
                    update={
                        "id": f"late{number}",
                        "url": f"https://late.example/{number}",
                        "published_at": original.published_at - timedelta(hours=1),
                    }
                )
            )
        if number > 10 and rng.random() < 0.03:  # seen again, sometimes rewritten
            again = out[rng.randrange(len(out))]
            if rng.random() < 0.5:
                again = again.model_copy(update={"body": again.body + " Updated with new details."})
            out.append(again)
    for article in out:
        article.content_hash = content_hash(article.title, article.body)
    return out


def decisions(index, articles: list[Article], reopen_at: int, path: Path, factory) -> list[tuple]:
    """Every assignment (cluster, representative, status, the demoted article) over the stream,
    committing every 97 articles and reopening the state once."""
    seen = []
    for number, original in enumerate(articles):
        if number == reopen_at:
            index.close()
            index = factory(path)
        article = original.model_copy()
        result = index.assign(article, article.body)
        demoted = result.demoted.id if result.demoted else None
        seen.append((article.id, result.cluster_id, result.is_representative, result.status, demoted))
        if number % 97 == 0:
            index.commit()
    index.close()
    return seen


def test_compact_state_assigns_exactly_the_clusters_of_the_former_layout(tmp_path: Path):
    articles = stream()
    before = former_decisions("stream_1500_seed_3_reopened_at_700")
    after = decisions(
        DuplicateIndex(tmp_path / "v2.sqlite3"), articles, 700, tmp_path / "v2.sqlite3", DuplicateIndex
    )
    statuses = {status for _, _, _, status, _ in before}
    assert statuses == {"new", "joined", "updated", "unchanged"}
    assert sum(1 for *_, demoted in before if demoted) >= 10
    assert after == before


def test_a_state_file_of_the_former_layout_is_converted_and_goes_on_clustering_the_same(tmp_path: Path):
    rest = stream(900, seed=5)[500:]  # the former layout's state holds the first 500
    path = tmp_path / "state.sqlite3"
    with gzip.open(DATA / "former_layout_state.sqlite3.gz", "rb") as packed, open(path, "wb") as file:
        shutil.copyfileobj(packed, file)

    after = decisions(DuplicateIndex(path), rest, 10**9, path, None)
    assert after == former_decisions("stream_900_seed_5_after_500")
    assert path.stat().st_size < FORMER_LAYOUT_BYTES_AFTER_900 / 2


def test_pruned_state_still_clusters_a_copy_of_a_kept_article_and_forgets_older_ones(tmp_path: Path):
    path = tmp_path / "state.sqlite3"
    articles = stream(2000, seed=7)  # 60 days back from NOW, one article every 40 minutes
    old = unique_story("old", "Shipyard in Rason repaired a Russian tanker", NOW - timedelta(days=45))
    kept = unique_story("kept", "Rail ferry between Vladivostok and Rajin resumed", NOW - timedelta(days=5))
    articles += [old, kept]
    index = DuplicateIndex(path)
    cluster_of = {a.id: index.assign(a.model_copy(), a.body).cluster_id for a in articles}
    index.close()
    members = len({a.id for a in articles})

    pruned = prune_state(path, NOW, keep_days=30)

    remaining = members - pruned.members
    assert 0 < pruned.members < members and pruned.representatives > 0
    assert pruned.bytes_after < pruned.bytes_before
    assert pruned.bytes_after / remaining < 1000, f"{pruned.bytes_after / remaining:.0f} bytes per member"
    index = DuplicateIndex(path)
    copy_of_kept = kept.model_copy(update={"id": "copy-kept", "url": "https://copy.example/kept"})
    copy_of_old = old.model_copy(update={"id": "copy-old", "url": "https://copy.example/old"})
    joined = index.assign(copy_of_kept, copy_of_kept.body)
    alone = index.assign(copy_of_old, copy_of_old.body)
    index.close()
    assert (joined.status, joined.cluster_id) == ("joined", cluster_of[kept.id])
    assert alone.status == "new"


def unique_story(name: str, lead: str, published: datetime) -> Article:
    body = (
        f"{lead}, according to port officials quoted on {published:%d %B}. The work took {len(name)} weeks "
        f"and involved crews from both countries; {name} satellite images showed cranes and two barges."
    )
    article = Article(
        id=name, url=f"https://{name}.example/", canonical_url=f"https://{name}.example/", source_id=name,
        title=lead, body=body, language="en", published_at=published, fetched_at=published,
    )  # fmt: skip
    article.content_hash = content_hash(article.title, article.body)
    return article


def test_a_dry_run_prune_counts_and_changes_nothing(tmp_path: Path):
    path = tmp_path / "state.sqlite3"
    index = DuplicateIndex(path)
    for article in stream(300, seed=9):
        index.assign(article.model_copy(), article.body)
    index.close()
    size = path.stat().st_size
    dry = prune_state(path, NOW, keep_days=30, dry_run=True)
    assert dry.members > 0 and path.stat().st_size == size
    assert prune_state(path, NOW, keep_days=30).members == dry.members


def test_a_representative_displaced_after_its_json_was_pruned_is_reported_not_reissued(settings):
    from processing.pipeline import DUPLICATE_STATE_FILE, Processor
    from tests.process.conftest import make_article
    from whirlpool.report import StageReport

    story = (
        "North Korean workers arrived in Vladivostok by train on Monday to join construction crews, "
        "according to the regional labour ministry, which said more were expected before winter."
    )
    first = make_article(
        "https://a.example/workers", "Workers arrive", story, published="2026-11-20T08:00:00"
    )
    processor = Processor.from_settings(settings)
    list(processor.process([first], StageReport("process")))
    processor.close()
    pruned = prune_state(settings.state_dir / DUPLICATE_STATE_FILE, datetime(2026, 11, 30, tzinfo=UTC), 30)
    assert (pruned.members, pruned.representatives) == (0, 1)

    earlier = make_article(
        "https://wire.example/workers", "Workers arrive", story + " Reporting by the wire.",
        published="2026-11-20T06:00:00",
    )  # fmt: skip
    processor = Processor.from_settings(settings)
    report = StageReport("process")
    out = list(processor.process([earlier], report))
    processor.close()
    assert [a.id for a in out] == [earlier.id] and out[0].is_representative
    assert report.counts["representatives_not_reissued"] == 1 and report.counts["joined_clusters"] == 1
    assert any("stays marked representative" in o.line() for o in report.outcomes)
