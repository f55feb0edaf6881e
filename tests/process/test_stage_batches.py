"""The process step runs stage by stage over batches: the outputs are those of one document at a
time, in order, and a document that fails in one stage is reported and kept as collected while the
rest of its batch goes on."""

from __future__ import annotations

import json

from processing.duplicates import DuplicateIndex
from processing.pipeline import STAGE_BATCH, Processor
from tests.process.conftest import make_article
from tests.process.test_processor import RELEVANT, YONHAP, _syndicated
from whirlpool.report import StageReport

RUN_TIMES = {"fetched_at", "processed_at"}


def _batch_of_stories():
    """Six languages, a syndicated copy, and an earlier copy arriving later in the same batch (it
    demotes the representative the batch made a few documents before)."""
    articles = [
        make_article(f"https://{lang}.example/story", title, body) for lang, (title, body, *_) in RELEVANT.items()
    ]
    articles.insert(2, make_article("https://en.yna.example/view/7", *YONHAP, published="2026-11-20T06:00:00"))
    articles.append(
        make_article(
            "https://wire.example/bridge-7", YONHAP[0], _syndicated(YONHAP[1]), published="2026-11-20T00:15:00"
        )
    )
    return articles


def _lines(articles) -> list[dict]:
    return [{k: v for k, v in json.loads(a.to_json()).items() if k not in RUN_TIMES} for a in articles]


def test_a_batch_run_stage_by_stage_gives_what_one_document_at_a_time_gives(settings, tmp_path):
    articles = _batch_of_stories()
    assert len(articles) < STAGE_BATCH  # one batch: every stage runs over all of them first
    staged = Processor.from_settings(settings)
    report = StageReport("process")
    batch_out = list(staged.process(articles, report))
    staged.close()

    one_by_one = Processor.from_settings(settings.model_copy(update={"data_dir": tmp_path / "other"}))
    single_out = []
    for article in articles:
        processed, demoted = one_by_one.process_one(article, StageReport("process"))
        single_out += [processed] + ([demoted] if demoted is not None else [])
    one_by_one.close()

    assert report.counts["representatives_demoted"] == 1
    assert _lines(batch_out) == _lines(single_out)
    assert [a.id for a in batch_out][-2:] == [articles[-1].id, articles[2].id]  # the demoted one follows


class _FailingOn(DuplicateIndex):
    """A duplicate index whose state breaks on one article (a stand-in for a disk error)."""

    def __init__(self, *args, failing_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.failing_id = failing_id

    def assign(self, article, text, *args, **kwargs):
        if article.id == self.failing_id:
            raise OSError("disk I/O error")
        return super().assign(article, text, *args, **kwargs)


def test_a_document_failing_in_one_stage_is_kept_as_collected_and_its_batch_goes_on(settings):
    articles = _batch_of_stories()[:5]
    broken = articles[2]
    processor = Processor.from_settings(settings)
    processor.duplicates.close()
    processor.duplicates = _FailingOn(settings.state_dir / "dups.sqlite3", failing_id=broken.id)
    report = StageReport("process")
    out = list(processor.process(articles, report))
    processor.close()

    assert [a.id for a in out] == [a.id for a in articles]  # each in its place, none lost
    assert out[2] is broken and out[2].processed_at is None and out[2].cluster_id is None
    assert all(a.processed_at is not None and a.cluster_id for i, a in enumerate(out) if i != 2)
    assert report.counts["failed"] == 1 and report.counts["articles"] == 4
    [outcome] = report.outcomes
    assert "not processed (OSError: disk I/O error); kept as collected" in outcome.line()
    assert outcome.url == broken.url


class _SignaturesFail(DuplicateIndex):
    """A duplicate index whose batch signatures break (a stand-in for one document numpy cannot take)."""

    def signatures(self, documents):
        raise ValueError("cannot sign this batch")


def test_when_a_batchs_signatures_fail_each_document_is_signed_in_its_stage(settings, tmp_path):
    articles = _batch_of_stories()
    batched = Processor.from_settings(settings)
    batch_out = list(batched.process(articles, StageReport("process")))
    batched.close()

    alone = Processor.from_settings(settings.model_copy(update={"data_dir": tmp_path / "other"}))
    alone.duplicates.close()
    alone.duplicates = _SignaturesFail(tmp_path / "other" / "dups.sqlite3")
    report = StageReport("process")
    alone_out = list(alone.process(articles, report))
    alone.close()

    assert "failed" not in report.counts and report.counts["joined_clusters"] >= 1
    assert _lines(alone_out) == _lines(batch_out)
