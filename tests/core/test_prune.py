"""`whirlpool prune` (issue 13, 11): stage batches every consumer finished, index documents and
duplicate state past the retention windows go; everything else stays; --dry-run removes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from processing.duplicates import DuplicateIndex
from processing.pipeline import DUPLICATE_STATE_FILE
from tests.conftest import REPO
from whirlpool.article import Article, DateSource, article_id
from whirlpool.cli import main
from whirlpool.settings import load_settings
from whirlpool.stagestore import PROCESSED, RAW, StageStore, new_batch_name

NOW = datetime.now(UTC)
BODY = "Officials from Moscow and Pyongyang met on {n} to discuss rail freight, fishing and coal exports."


def article(n: int, age_days: float) -> Article:
    url = f"https://news.example/{n}"
    published = NOW - timedelta(days=age_days)
    return Article(
        id=article_id(url), url=url, canonical_url=url, source_id="s", title=f"Story {n}",
        body=BODY.format(n=f"day {n} of talks number {n * 7919}"), language="en", published_at=published,
        published_at_source=DateSource.PAGE, fetched_at=published, content_hash=f"h{n}",
    )  # fmt: skip


def deployment(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """Batches of 40, 20 and 1 days ago in both stages, with ledgers; an index and duplicate state
    holding articles 400, 100, 40 and 1 days old."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "settings.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nretention: {{stage_days: 14, index_days: 365, duplicate_days: 30}}\n",
        encoding="utf-8",
    )
    for name in ("taxonomy.yaml", "sources.yaml", "alerts.yaml"):
        (config / name).symlink_to(REPO / "config" / name)
    settings = load_settings(config, environ={"WHIRLPOOL_INDEX_BACKEND": "embedded"})
    store = StageStore(settings.data_dir)
    batches = {}
    for label, age in (("old", 40), ("old-pending", 20), ("new", 1)):
        name = new_batch_name(NOW - timedelta(days=age))
        for stage in (RAW, PROCESSED):
            batches[f"{stage}-{label}"] = store.write_batch(stage, [article(age, age)], batch_name=name)
    for label in ("old", "new"):
        store.mark_consumed(RAW, "process", batches[f"raw-{label}"])
        store.mark_consumed(PROCESSED, "index-embedded", batches[f"processed-{label}"])
    store.mark_consumed(RAW, "process", batches["raw-old-pending"])
    # processed "old-pending": the index has not read it yet, so it stays

    from indexing import open_backend

    articles = [article(n, age) for n, age in ((1, 400), (2, 100), (3, 40), (4, 1))]
    backend = open_backend(settings)
    backend.ensure_ready()
    backend.upsert(articles)
    backend.close()
    duplicates = DuplicateIndex(settings.state_dir / DUPLICATE_STATE_FILE)
    for a in articles:
        duplicates.assign(a.model_copy(), a.body)
    duplicates.close()
    return config, batches


def test_prune_removes_only_what_is_past_retention_and_finished_by_every_consumer(tmp_path: Path):
    config, batches = deployment(tmp_path)
    runner = CliRunner()

    dry = runner.invoke(main, ["--config-dir", str(config), "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would remove 3 stage file(s)" in dry.output and "1 index document(s)" in dry.output
    assert all(path.exists() for path in batches.values())

    done = runner.invoke(main, ["--config-dir", str(config), "prune"])

    assert done.exit_code == 0, done.output
    summary = " ".join(done.output.split())
    assert "removed 3 stage file(s)" in summary
    assert "1 index document(s), 3 duplicate-state entries" in summary
    gone = {label for label, path in batches.items() if not path.exists()}
    assert gone == {"raw-old", "processed-old", "raw-old-pending"}  # raw: process read it
    assert "1 processed batch(es) older than 14 days kept: not yet finished by every consumer" in summary
    settings = load_settings(config, environ={"WHIRLPOOL_INDEX_BACKEND": "embedded"})
    from indexing import open_backend

    backend = open_backend(settings)
    assert backend.count() == 3 and backend.get(article(1, 400).id) is None
    backend.close()
    again = runner.invoke(main, ["--config-dir", str(config), "prune"])
    assert "removed 0 stage file(s) (0.0 MB), 0 index document(s), 0 duplicate-state entries" in " ".join(
        again.output.split()
    )


def test_a_batch_some_other_ledger_has_not_finished_is_kept(tmp_path: Path):
    store = StageStore(tmp_path)
    name = new_batch_name(NOW - timedelta(days=40))
    path = store.write_batch(PROCESSED, [article(1, 40)], batch_name=name)
    store.mark_consumed(PROCESSED, "index-embedded", path)
    other = store.write_batch(PROCESSED, [article(2, 40)])
    store.mark_consumed(PROCESSED, "index-elasticsearch", other)  # a second index, behind
    assert store.finished_batches(PROCESSED, NOW - timedelta(days=14), ["index-embedded"]) == []
    store.mark_consumed(PROCESSED, "index-elasticsearch", path)
    assert store.finished_batches(PROCESSED, NOW - timedelta(days=14), ["index-embedded"]) == [path]
