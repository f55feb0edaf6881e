"""The duplicate index: signatures stay datasketch's, and a batch's changes are seen before commit
and kept after it."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import timedelta
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from processing.cleaning import content_hash, hash_words
from processing.duplicates import (
    KNOWN_BANDS,
    DuplicateIndex,
    affine32_permutations,
    lsh_bands,
    minhash_many,
    minhash_values,
    shingle_hashes,
    shingle_hashes_many,
)
from processing.pipeline import Processor
from whirlpool.report import StageReport
from whirlpool.settings import Settings

from .conftest import make_article

STORY = (
    "Russian and North Korean officials met in Vladivostok on Tuesday to discuss a new rail link, "
    "fishing quotas and the export of coal through the port of Rajin, according to state media. "
    "The talks lasted two days and ended with a protocol signed by both delegations."
)


def test_signature_is_the_minhash_datasketch_computes_for_the_same_shingles(tmp_path):
    index = DuplicateIndex(tmp_path / "state.sqlite3", num_perm=64)
    texts = [
        (STORY, "en"),
        (STORY * 30, "en"),  # more than 256 shingles: the bottom 256
        ("북한과 러시아는 25일 평양에서 정상회담을 열었다. " * 3, "ko"),
        ("北朝鮮とロシアは２５日、首脳会談を行った。" * 4, "ja"),
    ]
    for text, language in texts:
        hashes = shingle_hashes(text, language)
        reference = MinHash(num_perm=64, seed=1, scheme="affine32", hashfunc=int)
        reference.update_batch(hashes.tolist())
        ours = minhash_values(hashes, reference.permutations)
        assert ours.dtype == reference.hashvalues.dtype
        assert np.array_equal(ours, reference.hashvalues)
        assert np.array_equal(index.signature(text, language), reference.hashvalues)
    index.close()


def test_a_batchs_signatures_are_each_documents_own(tmp_path, monkeypatch):
    index = DuplicateIndex(tmp_path / "state.sqlite3", num_perm=64)
    documents = [
        (STORY, "en", None),
        ("too short", "en", None),  # fewer than MIN_SHINGLES: no signature
        (STORY * 30, "en", hash_words(STORY * 30)),
        ("북한과 러시아는 25일 평양에서 정상회담을 열었다. " * 3, "ko", None),
        ("北朝鮮とロシアは２５日、首脳会談を行った。" * 4, "ja", None),
        ("", "und", None),
    ] * 40
    documents += [(STORY[:length], "en", hash_words(STORY[:length])) for length in range(0, 40)]
    documents += [("北朝鮮とロシア"[:length], "ja", None) for length in range(0, 8)]
    for chunk in (1, 300, 8192):  # documents alone, several in a chunk, all in one
        monkeypatch.setattr("processing.duplicates.MINHASH_CHUNK", chunk)
        monkeypatch.setattr("processing.duplicates.SHINGLE_CHUNK", chunk * 8)
        for (text, language, words), hashes in zip(documents, shingle_hashes_many(documents), strict=True):
            alone = shingle_hashes(text, language, words)
            assert hashes.dtype == alone.dtype and np.array_equal(hashes, alone)
        found = index.signatures(documents)
        assert len(found) == len(documents)
        for (text, language, words), signature in zip(documents, found, strict=True):
            alone = index.signature(text, language, words)
            if alone is None:
                assert signature is None
            else:
                assert signature.dtype == alone.dtype and np.array_equal(signature, alone)
    hashes = [np.arange(n, dtype=np.uint32) * 7919 for n in (1, 5, 256, 3, 1000)]
    permutations = affine32_permutations(64)
    assert np.array_equal(
        minhash_many(hashes, permutations), [minhash_values(h, permutations) for h in hashes]
    )
    index.close()


def test_permutations_and_bands_are_datasketchs_without_importing_it():
    for num_perm in (16, 64, 100, 128):
        reference = MinHash(num_perm=num_perm, seed=1, scheme="affine32").permutations
        ours = affine32_permutations(num_perm)
        assert ours.dtype == reference.dtype and np.array_equal(ours, reference)
    for (num_perm, threshold), bands in KNOWN_BANDS.items():
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert bands == (lsh.b, lsh.r)
    lsh = MinHashLSH(threshold=0.5, num_perm=32)  # not in the table: asked of datasketch
    assert lsh_bands(32, 0.5) == (lsh.b, lsh.r)


def test_near_copy_joins_within_one_batch_before_anything_is_committed(tmp_path: Path):
    index = DuplicateIndex(tmp_path / "state.sqlite3")
    first = make_article("https://a.example/1", "Rail talks", STORY)
    first.content_hash, first.language = "h1", "en"
    second = make_article("https://b.example/2", "Rail talks (copy)", STORY + " Reporting by a wire service.")
    second.content_hash, second.language = "h2", "en"
    assert index.assign(first, STORY).status == "new"
    joined = index.assign(second, second.body)
    index.close()
    assert joined.status == "joined" and joined.cluster_id == first.id
    assert joined.is_representative is False


def test_batch_is_written_at_commit_and_read_back_by_a_new_index(tmp_path: Path):
    path = tmp_path / "state.sqlite3"
    index = DuplicateIndex(path)
    article = make_article("https://a.example/1", "Rail talks", STORY)
    article.content_hash, article.language = "h1", "en"
    index.assign(article, STORY)
    index.commit()
    index.close()

    reopened = DuplicateIndex(path)
    copy = make_article("https://c.example/3", "Rail talks", STORY + " More to follow.")
    copy.content_hash, copy.language = "h3", "en"
    result = reopened.assign(copy, copy.body)
    assert (result.status, result.cluster_id) == ("joined", article.id)
    assert reopened.cluster_size(article.id) == 2
    reopened.close()


def test_a_member_whose_text_changed_in_the_batch_no_longer_matches_its_old_hash(tmp_path: Path):
    index = DuplicateIndex(tmp_path / "state.sqlite3")
    original = make_article("https://a.example/1", "Rail talks", STORY)
    original.content_hash, original.language = "old", "en"
    index.assign(original, STORY)
    index.commit()
    rewritten = make_article(
        "https://a.example/1", "Something else", "A different story entirely, about fish."
    )
    rewritten.content_hash, rewritten.language = "new", "en"
    assert index.assign(rewritten, rewritten.body).status == "updated"
    stranger = make_article("https://z.example/9", "Other", "Unrelated words here.")
    stranger.content_hash, stranger.language = "old", "en"
    result = index.assign(stranger, stranger.body)
    index.close()
    assert result.status == "new" and result.cluster_id == stranger.id


def test_a_run_of_many_documents_keeps_every_cluster_decision_after_a_restart(settings: Settings):
    articles = [
        make_article(f"https://a.example/{n}", f"Story {n}", f"{STORY} Story number {n} of the series.")
        for n in range(1, 1200)
    ]
    processor = Processor.from_settings(settings)
    first = {a.id: a.cluster_id for a in processor.process(articles, StageReport("process"))}
    processor.close()
    processor = Processor.from_settings(settings)
    report = StageReport("process")
    again = {a.id: a.cluster_id for a in processor.process(articles, report)}
    processor.close()
    assert again == first
    assert report.counts["unchanged"] == len(articles)


def test_a_representative_stored_zlib_compressed_by_an_earlier_version_is_still_reissued(tmp_path: Path):
    path = tmp_path / "state.sqlite3"
    index = DuplicateIndex(path)
    first = make_article("https://a.example/1", "Rail talks", STORY)
    first.content_hash, first.language = "h1", "en"
    index.assign(first, STORY)
    index.close()
    with sqlite3.connect(path) as db:  # the representative as the zlib layout stored it
        db.execute("UPDATE representatives SET json = ?", (zlib.compress(first.to_json().encode(), 3),))
    db.close()

    reopened = DuplicateIndex(path)
    earlier = make_article("https://b.example/2", "Rail talks", STORY + " Reporting by a wire service.")
    earlier.content_hash, earlier.language = "h2", "en"
    earlier.published_at = first.published_at - timedelta(hours=1)
    result = reopened.assign(earlier, earlier.body)
    reopened.close()
    assert result.is_representative and result.demoted is not None
    assert result.demoted.id == first.id and result.demoted.body == first.body
    assert result.demoted.is_representative is False


def test_shingles_from_the_words_the_content_hash_joined_are_those_of_a_fresh_text():
    texts = [STORY, STORY.upper() + " Ünïcode ΣΑΣ wörds", "snake_case words " + STORY, STORY * 30]
    fresh = [shingle_hashes(text, "en") for text in texts]
    for text, expected in zip(texts, fresh, strict=True):
        words = hash_words(text)
        assert content_hash("Rail talks", text, words) == content_hash("Rail talks", text)
        assert np.array_equal(shingle_hashes(text, "en", words), expected)
