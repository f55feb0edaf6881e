"""Stages are connected by files: batches are atomic, crash-safe, and consumed once."""

from __future__ import annotations

from whirlpool import stagestore
from whirlpool.article import Article, article_id
from whirlpool.stagestore import PROCESSED, RAW, StageStore
from whirlpool.urls import canonical_url


def make(n: int) -> Article:
    url = f"https://news.example/a/{n}?utm_source=rss"
    canon = canonical_url(url)
    return Article(id=article_id(canon), url=url, canonical_url=canon, source_id="s", title=f"t{n}")


def test_batch_round_trips_articles(tmp_path):
    store = StageStore(tmp_path)
    path = store.write_batch(RAW, [make(1), make(2)])
    assert path is not None and path.name.endswith(".jsonl.gz")
    assert [a.title for a in store.read_batch(path)] == ["t1", "t2"]
    assert store.batches(RAW) == [path]


def test_a_batch_is_plain_gzip_any_reader_reads_and_batches_of_stdlib_gzip_are_read(tmp_path):
    import gzip

    store = StageStore(tmp_path)
    path = store.write_batch(RAW, [make(1), make(2)])
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    assert [Article.from_json(line).title for line in lines] == ["t1", "t2"]
    older = store.batch_path(RAW, "20261101T000000.000000Z-abcdef")
    older.parent.mkdir(parents=True)
    older.write_bytes(gzip.compress((make(3).to_json() + "\n").encode("utf-8"), 6))
    assert [a.title for a in store.read_batch(older)] == ["t3"]


def test_empty_batch_leaves_no_file(tmp_path):
    store = StageStore(tmp_path)
    assert store.write_batch(RAW, []) is None
    assert store.batches(RAW) == []


def test_crash_mid_batch_keeps_every_complete_article(tmp_path):
    store = StageStore(tmp_path)
    writer = store.writer(RAW)
    writer.write(make(1))
    writer.write(make(2))
    writer._fh.write('{"id": "half-writ')  # the process dies in the middle of a line
    writer._fh.flush()
    # ... no close(): a new run recovers the partial batch
    recovered = StageStore(tmp_path).recover_partials(RAW)
    assert len(recovered) == 1
    assert [a.title for a in store.read_batch(recovered[0])] == ["t1", "t2"]
    assert not list(tmp_path.rglob("*.partial"))


def test_consumer_ledger_makes_stages_idempotent(tmp_path):
    store = StageStore(tmp_path)
    first = store.write_batch(RAW, [make(1)])
    assert store.pending(RAW, "process") == [first]
    store.mark_consumed(RAW, "process", first)
    assert store.pending(RAW, "process") == []
    second = store.write_batch(RAW, [make(2)])
    assert store.pending(RAW, "process") == [second]
    assert store.pending(RAW, "other-consumer") == [first, second]


def test_bad_line_in_a_batch_is_reported_not_raised(tmp_path):
    import gzip

    store = StageStore(tmp_path)
    path = store.write_batch(PROCESSED, [make(1)])
    with gzip.open(path, "at", encoding="utf-8") as fh:
        fh.write('{"id": 5}\n')
        fh.write('{"id": "cut short by a crash", "url\n')
        fh.write(make(2).to_json() + "\n")
    errors: list[str] = []
    assert [a.title for a in store.read_batch(path, errors)] == ["t1", "t2"]
    assert len(errors) == 2 and ":2: not a valid article" in errors[0]
    assert ":3: not a valid article" in errors[1]


def test_canonical_url_drops_tracking_and_fragment():
    assert (
        canonical_url("HTTPS://News.Example:443/a?utm_source=x&id=5&fbclid=y#top")
        == "https://news.example/a?id=5"
    )
    assert article_id(canonical_url("https://news.example/a?id=5&utm_medium=rss")) == article_id(
        canonical_url("https://news.example/a?id=5")
    )


def test_a_batch_written_again_after_a_crash_starts_afresh(tmp_path):
    """The process stage crashed half-way through a batch; the next run writes that batch again
    under the same name and must not append to what the crashed run left (issue 13)."""
    store = StageStore(tmp_path)
    crashed = store.writer(PROCESSED, "20261201T000000.000000Z-abcdef")
    crashed.write(make(1))
    crashed.write(make(2))  # ... then the process is killed: the .partial file stays
    again = store.write_batch(PROCESSED, [make(1), make(2), make(3)], "20261201T000000.000000Z-abcdef")
    assert [a.title for a in store.read_batch(again)] == ["t1", "t2", "t3"]


def test_a_partial_sealed_in_pieces_keeps_lines_that_cross_a_piece_boundary(tmp_path, monkeypatch):
    monkeypatch.setattr(stagestore, "SEAL_PIECE", 100)  # lines of ~300 bytes cross every boundary
    store = StageStore(tmp_path)
    writer = store.writer(RAW)
    for n in range(7):
        writer.write(make(n).model_copy(update={"body": "Пхеньян " * 20}))
    writer._fh.write('{"id": "half-writ')
    writer._fh.flush()
    recovered = StageStore(tmp_path).recover_partials(RAW)
    assert [a.title for a in store.read_batch(recovered[0])] == [f"t{n}" for n in range(7)]


def test_a_line_that_is_not_utf8_is_reported_and_the_next_ones_read(tmp_path):
    import gzip

    store = StageStore(tmp_path)
    path = store.write_batch(PROCESSED, [make(1)])
    with gzip.open(path, "ab") as fh:
        fh.write(b'{"id": "\xff\xfe broken"}\n')
        fh.write((make(2).to_json() + "\n").encode())
    errors: list[str] = []
    assert [a.title for a in store.read_batch(path, errors)] == ["t1", "t2"]
    assert len(errors) == 1 and ":2: not a valid article" in errors[0]


def test_a_whole_batch_longer_than_a_write_chunk_round_trips_in_order(tmp_path):
    store = StageStore(tmp_path)
    count = 2 * stagestore.WRITE_LINES_CHUNK + 5
    path = store.write_lines(PROCESSED, (make(n).to_json() for n in range(count)))
    assert [a.title for a in store.read_batch(path)] == [f"t{n}" for n in range(count)]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_whole_batch_that_fails_half_way_leaves_no_batch_to_be_read_as_complete(tmp_path):
    """The process stage re-runs a raw batch it has not marked consumed: half a processed batch on
    disk would be indexed, then overwritten by the re-run after the index had marked it done."""
    store = StageStore(tmp_path)

    def lines():
        for n in range(stagestore.WRITE_LINES_CHUNK + 3):
            yield make(n).to_json()
        raise KeyboardInterrupt

    try:
        store.write_lines(PROCESSED, lines(), "20261201T000000.000000Z-abcdef")
    except KeyboardInterrupt:
        pass
    assert store.batches(PROCESSED) == []
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_whole_batch_supersedes_the_partial_a_crashed_writer_left_under_its_name(tmp_path):
    store = StageStore(tmp_path)
    crashed = store.writer(RAW, "20261201T000000.000000Z-abcdef")
    crashed.write(make(1))  # ... killed: the .partial stays
    again = store.write_batch(RAW, [make(1), make(2)], "20261201T000000.000000Z-abcdef")
    assert store.recover_partials(RAW) == []  # nothing left to seal over the whole batch
    assert [a.title for a in store.read_batch(again)] == ["t1", "t2"]
