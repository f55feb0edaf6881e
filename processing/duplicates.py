"""Duplicate clusters that persist between runs: exact (same canonical URL, same normalised text)
and near-duplicate (MinHash LSH over word or character shingles).

A cluster's id is the id of its first member seen; its representative is its earliest member (by
published_at, then fetched_at). When a late copy turns out to be earlier than the representative,
the former representative's stored Article is handed back, demoted, so the index can be updated.
State lives in one SQLite file under ``state_dir``; the changes of a batch are written in one
transaction at ``commit`` (the pipeline commits every few hundred documents and at the end).

Size (issue 13, 11): about 400 bytes per member instead of ~4.5 KB. A member is its id, its
cluster, 8 bytes of its content hash, its date and its 64 MinHash values as packed bytes, in a
WITHOUT ROWID table with one index (content key) besides the key. A cluster keeps its
representative's order key as two integers; the representative's processed JSON (to re-issue it
when a late copy turns out earlier) is kept zstd-compressed in a table of its own (a rowid table:
in a WITHOUT ROWID one a row over ~1 KB takes an overflow page of 4 KB), and ``prune_state`` drops it once the
representative is older than ``REISSUE_DAYS`` (a copy published earlier still arriving later is
then rare) and drops members older than ``retention.duplicate_days``. A state file of the earlier
layout is converted on first open.

Speed (issue 4): signatures are datasketch's ``affine32`` MinHash, computed in one numpy
expression with datasketch's own permutations (bit-identical to ``MinHash.update_batch``, so
stored state stays comparable); the LSH bands (datasketch's b and r for the threshold) are kept
in a compact in-memory index of integer band keys instead of ``MinHashLSH``'s bytes keys and
per-bucket sets, which cost several times more time and memory per document.
"""

from __future__ import annotations

import hashlib
import sqlite3
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from backports import zstd

from processing.characters import WordScanner
from whirlpool.article import Article

MAX_SHINGLES = 256
MIN_SHINGLES = 5
MAX_CANDIDATES = 64
UNSIGNED = object()  # no signature worked out yet (``DuplicateIndex.assign`` works it out)
_WORDS = WordScanner(r"\w")
_CJK_LANGUAGES = ("zh", "ja")
_MIX = 0x9E3779B97F4A7C15
# per gram length n: _MIX ** (n - 1 - k) for the k-th unit of a gram, modulo 2**64
_GRAM_WEIGHTS = {
    n: np.array([pow(_MIX, n - 1 - k, 2**64) for k in range(n)], dtype=np.uint64) for n in (4, 9)
}
_SHIFT = np.uint64(29)

SCHEMA_VERSION = 2
REISSUE_DAYS = 3  # how long a representative's JSON is kept to re-issue it demoted (see prune_state)
# representatives' JSON is zstd-compressed at level 1: 2 % larger than at 3 (itself as small as zlib
# at 3, for a quarter of its CPU), ~26 against ~36 µs a representative here (issue 11); blobs a
# state written before holds are zstd at 3 or zlib streams, told apart by their first bytes
_ZSTD_LEVEL = 1
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    article_id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    content_key INTEGER,
    dated INTEGER NOT NULL,
    minhash BLOB
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_content ON members(content_key) WHERE content_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id TEXT PRIMARY KEY,
    representative_id TEXT NOT NULL,
    representative_published INTEGER NOT NULL,
    representative_fetched INTEGER NOT NULL,
    size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS representatives (
    cluster_id TEXT PRIMARY KEY,
    json BLOB NOT NULL
);
"""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def shingle_hashes(text: str, language: str, hash_words: np.ndarray | None = None) -> np.ndarray:
    """32-bit hashes of the document's shingles: character n-grams over its words (4 characters
    for Chinese and Japanese, 9 with single spaces between words otherwise), computed with numpy.
    Distinct, and at most MAX_SHINGLES of them: the smallest hashes (the same bottom-k selection
    in every copy keeps large documents comparable and cheap). ``hash_words``, the text's words
    as the content hash joined them (``processing.cleaning.hash_words``), spare joining them again."""
    n, units = _shingle_units(text, language, hash_words)
    if len(units) < n:
        return np.empty(0, dtype=np.uint32)
    return _smallest_distinct(_gram_hashes(units, n), MAX_SHINGLES)


def _gram_hashes(units: np.ndarray, n: int) -> np.ndarray:
    """The 32-bit hash of each n-gram of ``units``: one correlation with the powers of _MIX, then
    gram ^ (gram >> 29), its low 32 bits written straight into uint32 (selected as such: half the
    bytes to partition and sort)."""
    # each gram is sum(units[i + k] * _MIX ** (n - 1 - k)), wrapping at 2**64: one correlation
    # with those powers (numpy's integer dot products wrap silently, as its array arithmetic does;
    # the units are cast to the weights' uint64 inside the call)
    grams = np.correlate(units, _GRAM_WEIGHTS[n], "valid")
    hashes = np.empty(len(grams), dtype=np.uint32)
    np.bitwise_xor(grams, grams >> _SHIFT, out=hashes, casting="unsafe")
    return hashes


SHINGLE_CHUNK = 65_536  # units the grams of several documents are computed over at once (512 KB)


def shingle_hashes_many(documents: list[tuple[str, str, np.ndarray | None]]) -> list[np.ndarray]:
    """``shingle_hashes`` of each (text, language, hash_words): the grams of documents with one gram
    length computed over their units side by side (one correlation, one xor-shift for many; the
    grams across two documents' boundary are left out), then each document's smallest selected
    alone. Three numpy calls a document fewer: ~26 against ~36 µs a document (issue 11)."""
    found = [_NO_SHINGLES] * len(documents)
    by_length: dict[int, list[tuple[int, np.ndarray]]] = {}
    for number, (text, language, words) in enumerate(documents):
        n, units = _shingle_units(text, language, words)
        if len(units) >= n:
            by_length.setdefault(n, []).append((number, units))
    for n, group in by_length.items():
        start = 0
        while start < len(group):
            end, width = start, 0
            while end < len(group) and (width == 0 or width + len(group[end][1]) <= SHINGLE_CHUNK):
                width += len(group[end][1])
                end += 1
            chunk = group[start:end]
            hashes = _gram_hashes(np.concatenate([units for _, units in chunk]), n)
            at = 0
            for number, units in chunk:
                # this document's grams: those starting in its units and ending in them
                found[number] = _smallest_distinct(hashes[at : at + len(units) - n + 1], MAX_SHINGLES)
                at += len(units)
            start = end
    return found


_NO_SHINGLES = np.empty(0, dtype=np.uint32)
_NO_SHINGLES.flags.writeable = False


def _shingle_units(text: str, language: str, hash_words: np.ndarray | None) -> tuple[int, np.ndarray]:
    """The gram length and the code units ``shingle_hashes`` reads."""
    if language in _CJK_LANGUAGES:
        return 4, _WORDS.joined(text[: MAX_SHINGLES * 4], separator=False, lower=True)
    if hash_words is not None and len(text) <= MAX_SHINGLES * 12 and "_" not in text:
        return 9, hash_words  # the same words (the hash's word class is this one less "_")
    return 9, _WORDS.joined(text[: MAX_SHINGLES * 12], lower=True)


def _smallest_distinct(values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` smallest distinct values, in order: from the 2k smallest (a partition, not a sort
    of them all) when they hold k distinct ones, else from all. ``values``, the caller's own, is
    reordered in place (no copy, one numpy call fewer)."""
    if len(values) > 2 * k:
        values.partition(2 * k - 1)
        found = _distinct_sorted(values[: 2 * k])
        if len(found) >= k:
            return found[:k]
    return _distinct_sorted(values)[:k]


def _distinct_sorted(values: np.ndarray) -> np.ndarray:
    values.sort()
    distinct = np.empty(len(values), dtype=bool)
    distinct[0] = True
    np.not_equal(values[1:], values[:-1], out=distinct[1:])
    return values[distinct]


OrderKey = tuple[int, int]


def order_key(article: Article) -> OrderKey:
    """Sorts members by publication time, then fetch time (earliest first): microseconds since 1970."""
    return (_micros(article.published_at or article.fetched_at), _micros(article.fetched_at))


def _micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // _MICROSECOND


def content_key(content_hash: str | None) -> int | None:
    """The exact-duplicate key stored for a content hash: 8 bytes of it, as a signed integer."""
    if not content_hash:
        return None
    return int.from_bytes(hashlib.blake2b(content_hash.encode(), digest_size=8).digest(), "big", signed=True)


# fmix32 constants of MurmurHash3, as datasketch applies them before its affine permutations
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser of each value, in place (datasketch's ``affine32`` hashes)."""
    s1, m1, s2, m2, s3 = _FMIX32
    hv ^= hv >> s1
    hv *= m1
    hv ^= hv >> s2
    hv *= m2
    hv ^= hv >> s3
    return hv


def permutation_columns(permutations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) rows of affine permutations as two contiguous columns, which broadcast fastest."""
    return permutations[0][:, None].copy(), permutations[1][:, None].copy()


def minhash_values(
    hashes: np.ndarray, permutations: np.ndarray | tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """datasketch's ``affine32`` MinHash of already-hashed 32-bit values, in one numpy expression
    (what ``MinHash(hashfunc=int, scheme="affine32").update_batch`` computes, without its
    per-value Python calls). ``permutations``: the (a, b) rows, or ``permutation_columns`` of
    them (kept by the index). One row per permutation, so each minimum runs along a row. The
    matrix is a new contiguous array each time: writing into a kept buffer (a strided view of it
    when there are fewer than MAX_SHINGLES hashes, and ``out=``'s overlap checks) cost more."""
    hv = _fmix32(hashes.astype(np.uint32))
    if isinstance(permutations, np.ndarray):  # (2, n) as datasketch holds them
        permutations = permutation_columns(permutations)
    a, b = permutations  # a tuple: unpacking an array costs more than the arithmetic here
    values = a * hv
    values += b
    return np.minimum.reduce(values, axis=1)  # the ufunc itself: ``values.min`` adds a Python call


MINHASH_CHUNK = 8192  # hashes a batch's MinHash takes at once: its matrix (64 x this, 2 MB) stays in cache


def minhash_many(
    hashes: list[np.ndarray], permutations: np.ndarray | tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """``minhash_values`` of several documents' hashes (each at least one), one row each: the same
    numpy expression over their hashes side by side, each row's minima taken by ``reduceat`` over
    its columns. Eight numpy calls a chunk of documents instead of eight a document: ~10 against
    ~30 µs a document (issue 11)."""
    if isinstance(permutations, np.ndarray):
        permutations = permutation_columns(permutations)
    a, b = permutations
    out = np.empty((len(hashes), len(a)), dtype=np.uint32)
    start = 0
    while start < len(hashes):
        end, width = start, 0
        while end < len(hashes) and (width == 0 or width + len(hashes[end]) <= MINHASH_CHUNK):
            width += len(hashes[end])
            end += 1
        chunk = hashes[start:end]
        hv = _fmix32(np.concatenate(chunk).astype(np.uint32, copy=False))
        values = a * hv
        values += b
        offsets = np.zeros(len(chunk), dtype=np.intp)
        np.cumsum([len(h) for h in chunk[:-1]], out=offsets[1:])
        out[start:end] = np.minimum.reduceat(values, offsets, axis=1).T
        start = end
    return out


# datasketch's optimal LSH bands and rows (``MinHashLSH(threshold, num_perm).b, .r``, weights 0.5
# each) for the settings in use; others are asked of datasketch, whose import (scipy with it) costs
# ~1 s of CPU at each start of the process command
KNOWN_BANDS = {(64, 0.7): (8, 8)}


def lsh_bands(num_perm: int, threshold: float) -> tuple[int, int]:
    """(bands, rows) for the LSH: what datasketch's ``MinHashLSH`` chooses for these settings."""
    known = KNOWN_BANDS.get((num_perm, threshold))
    if known is not None:
        return known
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def affine32_permutations(num_perm: int, seed: int = 1) -> np.ndarray:
    """The (a, b) rows datasketch's ``MinHash(num_perm, seed, scheme="affine32").permutations``
    holds, drawn the same way (odd 32-bit multipliers, then 32-bit offsets, one RandomState)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([a, b])


class _BandIndex:
    """LSH over the signatures: ``bands`` bands of ``rows`` values each, every band folded into one
    integer key; two documents are candidates when any band key is equal. Signatures are
    rows of one numpy matrix; a replaced signature's row is marked dead, never reused."""

    def __init__(self, num_perm: int, bands: int, rows: int):
        self.bands, self.rows = bands, rows
        self._tables: list[dict[int, int | list[int]]] = [{} for _ in range(bands)]
        self.matrix = np.empty((1024, num_perm), dtype=np.uint32)
        self.ids: list[str | None] = []
        self.clusters: list[str] = []
        self.row_of: dict[str, int] = {}
        self._last_values: np.ndarray | None = None
        self._last_keys: list[int] = []

    def band_keys(self, values: np.ndarray) -> list[int]:
        """One key per band: the hash of the band's bytes (a few times quicker than tuples of its
        values; bytes hash differently in each process, and this index lives in memory only,
        rebuilt at load; equal keys of different bands never meet, each band has its table).
        The keys of the last signature are kept: a query is followed by an insert of the same."""
        if values is self._last_values:
            return self._last_keys
        raw, width = values.tobytes(), self.rows * values.itemsize
        keys = [hash(raw[start : start + width]) for start in range(0, self.bands * width, width)]
        self._last_values, self._last_keys = values, keys
        return keys

    def add_many(self, ids: list[str], clusters: list[str], values: np.ndarray) -> None:
        """Add signatures (one a row); ids not yet in the index."""
        self._reserve(len(self.ids) + len(ids))
        for article_id, cluster_id, row_values in zip(ids, clusters, values, strict=True):
            self._insert(article_id, cluster_id, row_values)

    def add(self, article_id: str, cluster_id: str, values: np.ndarray) -> None:
        """Add or replace the signature of ``article_id``."""
        row = self.row_of.get(article_id)
        if row is not None:
            if np.array_equal(self.matrix[row], values):
                self.clusters[row] = cluster_id
                return
            self.remove(article_id)
        self._insert(article_id, cluster_id, values)

    def _insert(self, article_id: str, cluster_id: str, values: np.ndarray) -> None:
        row = len(self.ids)
        if row >= len(self.matrix):
            self._reserve(row + 1)
        self.matrix[row] = values
        self.ids.append(article_id)
        self.clusters.append(cluster_id)
        self.row_of[article_id] = row
        for table, key in zip(self._tables, self.band_keys(values), strict=True):
            found = table.get(key)
            if found is None:
                table[key] = row
            elif isinstance(found, list):
                found.append(row)
            else:
                table[key] = [found, row]

    def remove(self, article_id: str) -> None:
        row = self.row_of.pop(article_id, None)
        if row is not None:
            self.ids[row] = None

    def candidates(self, values: np.ndarray) -> list[int]:
        """Rows sharing at least one band with ``values`` (live rows only)."""
        found: set[int] = set()
        for table, key in zip(self._tables, self.band_keys(values), strict=True):
            hit = table.get(key)
            if hit is None:
                continue
            if isinstance(hit, list):
                found.update(hit)
            else:
                found.add(hit)
        ids = self.ids
        return [row for row in found if ids[row] is not None]

    def _reserve(self, size: int) -> None:
        if size > len(self.matrix):
            grown = np.empty((max(size, 2 * len(self.matrix)), self.matrix.shape[1]), dtype=np.uint32)
            grown[: len(self.ids)] = self.matrix[: len(self.ids)]
            self.matrix = grown


@dataclass
class _Cluster:
    representative_id: str
    representative_key: OrderKey
    # while pending: the Article (serialised at commit) or the JSON line its caller wrote; compressed
    # bytes once stored; None once pruned
    representative_json: Article | str | bytes | None
    size: int


@dataclass
class Assignment:
    cluster_id: str
    is_representative: bool
    status: str  # new | joined | updated | unchanged
    demoted: Article | None = None  # the former representative, now is_representative=False
    not_reissued: str | None = None  # a former representative displaced whose JSON was pruned


class DuplicateIndex:
    """Assigns each article to a duplicate cluster; the state persists in ``path``."""

    def __init__(self, path: Path, num_perm: int = 64, threshold: float = 0.7):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.num_perm = num_perm
        self.threshold = threshold
        self._db = open_state(self.path)
        self._permutations = permutation_columns(affine32_permutations(num_perm))
        self._bands = _BandIndex(num_perm, *lsh_bands(num_perm, threshold))
        # what changed since the last commit: written in one transaction by ``commit``
        self._members: dict[str, tuple[str, str, int | None, int, bytes | None]] = {}
        self._hashes: dict[int, list[str]] = {}  # content key → ids of members stored since
        self._clusters: dict[str, _Cluster] = {}
        # every member id, and every content key: most documents are new and unlike any other, and
        # these answer "not there" without asking SQLite
        self._known_ids: set[str] = set()
        self._known_hashes: set[int] = set()
        self._load()

    def _load(self) -> None:
        ids, clusters, blobs = [], [], []
        for article_id, cluster_id, key, blob in self._db.execute(
            "SELECT article_id, cluster_id, content_key, minhash FROM members"
        ):
            self._known_ids.add(article_id)
            if key is not None:
                self._known_hashes.add(key)
            if blob is not None and len(blob) == self.num_perm * 4:
                ids.append(article_id)
                clusters.append(cluster_id)
                blobs.append(blob)
        if ids:
            values = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(ids), self.num_perm)
            self._bands.add_many(ids, clusters, values)

    def signature(self, text: str, language: str, hash_words: np.ndarray | None = None) -> np.ndarray | None:
        hashes = shingle_hashes(text, language, hash_words)
        if len(hashes) < MIN_SHINGLES:
            return None
        return minhash_values(hashes, self._permutations)

    def signatures(self, documents: list[tuple[str, str, np.ndarray | None]]) -> list[np.ndarray | None]:
        """``signature`` of each (text, language, hash_words), the MinHash of them all at once
        (``minhash_many``); each a row of one array."""
        hashes = shingle_hashes_many(documents)
        signed = [number for number, found in enumerate(hashes) if len(found) >= MIN_SHINGLES]
        found: list[np.ndarray | None] = [None] * len(documents)
        if signed:
            rows = minhash_many([hashes[number] for number in signed], self._permutations)
            for number, row in zip(signed, rows, strict=True):
                found[number] = row
        return found

    def _near_cluster(self, article_id: str, values: np.ndarray) -> str | None:
        """The cluster of the most similar indexed document at or above the threshold. At most
        MAX_CANDIDATES candidates are compared (members of one big cluster all collide)."""
        bands = self._bands
        rows = [row for row in bands.candidates(values) if bands.ids[row] != article_id]
        if not rows:
            return None
        rows = sorted(rows, key=bands.ids.__getitem__)[:MAX_CANDIDATES]
        similarity = (bands.matrix[rows] == values).mean(axis=1)
        best = int(np.argmax(similarity))
        return bands.clusters[rows[best]] if similarity[best] >= self.threshold else None

    def assign(
        self,
        article: Article,
        text: str,
        hash_words: np.ndarray | None = None,
        signature: np.ndarray | None | object = UNSIGNED,
    ) -> Assignment:
        """Put ``article`` (processed, with content_hash) in a cluster and remember it; ``text`` is
        compared (``hash_words``: its words as the content hash joined them, if known; ``signature``:
        its ``signature``, if worked out already, with ``signatures``)."""
        key = order_key(article)
        values = self.signature(text, article.language, hash_words) if signature is UNSIGNED else signature
        hashed = content_key(article.content_hash)
        member = self._member(article.id) if article.id in self._known_ids else None
        if member is not None:
            cluster_id, old_hash = member
            status = "unchanged" if old_hash == hashed else "updated"
            self._store_member(article.id, cluster_id, hashed, key, values)
            return self._settle(article, cluster_id, key, status, new_member=False)
        cluster_id = None
        if hashed is not None and hashed in self._known_hashes:
            cluster_id = self._cluster_with_hash(hashed)
        if cluster_id is None and values is not None:
            cluster_id = self._near_cluster(article.id, values)
        status = "joined" if cluster_id else "new"
        cluster_id = cluster_id or article.id
        self._store_member(article.id, cluster_id, hashed, key, values)
        return self._settle(article, cluster_id, key, status, new_member=True)

    def _member(self, article_id: str) -> tuple[str, int | None] | None:
        pending = self._members.get(article_id)
        if pending is not None:
            return pending[1], pending[2]
        return self._db.execute(
            "SELECT cluster_id, content_key FROM members WHERE article_id = ?", (article_id,)
        ).fetchone()

    def _cluster_with_hash(self, hashed: int) -> str | None:
        for article_id, cluster_id in self._db.execute(
            "SELECT article_id, cluster_id FROM members WHERE content_key = ?", (hashed,)
        ):
            pending = self._members.get(article_id)
            if pending is None or pending[2] == hashed:  # not since changed in this batch
                return cluster_id
        for article_id in self._hashes.get(hashed, ()):
            pending = self._members[article_id]
            if pending[2] == hashed:
                return pending[1]
        return None

    def _store_member(
        self, article_id: str, cluster_id: str, hashed: int | None, key: OrderKey, values: np.ndarray | None
    ) -> None:
        blob = values.tobytes() if values is not None else None
        self._members[article_id] = (article_id, cluster_id, hashed, key[0] // 1_000_000, blob)
        self._known_ids.add(article_id)
        if hashed is not None:
            self._known_hashes.add(hashed)
            self._hashes.setdefault(hashed, []).append(article_id)
        if values is not None:
            self._bands.add(article_id, cluster_id, values)
        else:
            self._bands.remove(article_id)

    def _cluster(self, cluster_id: str) -> _Cluster | None:
        cluster = self._clusters.get(cluster_id)
        if cluster is None:
            row = self._db.execute(
                "SELECT representative_id, representative_published, representative_fetched, json, size "
                "FROM clusters LEFT JOIN representatives USING (cluster_id) WHERE cluster_id = ?",
                (cluster_id,),
            ).fetchone()
            if row is not None:
                rep_id, published, fetched, rep_json, size = row
                cluster = self._clusters[cluster_id] = _Cluster(rep_id, (published, fetched), rep_json, size)
        return cluster

    def _settle(
        self, article: Article, cluster_id: str, key: OrderKey, status: str, new_member: bool
    ) -> Assignment:
        """Decide the representative; keep its processed JSON to re-issue it if it is demoted."""
        article.cluster_id = cluster_id
        # a new cluster's id is its first member's id, which no stored cluster can have
        cluster = None if status == "new" else self._cluster(cluster_id)
        if cluster is None:
            article.is_representative = True
            self._clusters[cluster_id] = _Cluster(article.id, key, article, 1)
            return Assignment(cluster_id, True, status)
        if new_member:
            cluster.size += 1
        rep_id, rep_json = cluster.representative_id, cluster.representative_json
        if rep_id == article.id or key < cluster.representative_key:
            article.is_representative = True
            cluster.representative_id, cluster.representative_key = article.id, key
            cluster.representative_json = article
            if rep_id == article.id:
                return Assignment(cluster_id, True, status)
            if not rep_json:
                return Assignment(cluster_id, True, status, not_reissued=rep_id)
            if isinstance(rep_json, bytes):
                rep_json = _unpacked(rep_json)
            elif isinstance(rep_json, Article):
                rep_json = rep_json.to_json_bytes()  # a copy: the caller may hold the pending one
            demoted = Article.from_json(rep_json)
            demoted.is_representative = False
            return Assignment(cluster_id, True, status, demoted)
        article.is_representative = False
        return Assignment(cluster_id, False, status)

    def serialised(self, article: Article, line: str) -> None:
        """``article``, final, has been serialised as ``line`` (the line its caller writes): when it
        is a pending representative, that line is what is stored, not a second serialisation. Its
        story fields are in it; a re-issued representative has them set afresh."""
        cluster = self._clusters.get(article.cluster_id) if article.cluster_id else None
        if cluster is not None and cluster.representative_json is article:
            cluster.representative_json = line

    def cluster_size(self, cluster_id: str) -> int:
        cluster = self._cluster(cluster_id)
        return cluster.size if cluster else 0

    def commit(self) -> None:
        """Write what changed since the last commit, in one transaction."""
        compressor = zstd.ZstdCompressor(level=_ZSTD_LEVEL)
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?)", self._members.values()
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO clusters VALUES (?, ?, ?, ?, ?)",
                [
                    (cid, c.representative_id, *c.representative_key, c.size)
                    for cid, c in self._clusters.items()
                ],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO representatives VALUES (?, ?)",
                [
                    (cid, _packed(c.representative_json, compressor))
                    for cid, c in self._clusters.items()
                    # bytes are stored already; None was pruned
                    if isinstance(c.representative_json, (str, Article))
                ],
            )
        self._members.clear()
        self._hashes.clear()
        self._clusters.clear()

    def close(self) -> None:
        self.commit()
        self._db.close()


def _packed(
    representative_json: Article | str | bytes | None, compressor: zstd.ZstdCompressor | None = None
) -> bytes | None:
    """Compressed JSON; one ``compressor`` for a whole commit saves making a context per row (the
    same bytes as ``zstd.compress``: each row is its own frame)."""
    if isinstance(representative_json, (Article, str)):
        data = (
            representative_json.to_json_bytes()
            if isinstance(representative_json, Article)
            else representative_json.encode("utf-8")
        )
        if compressor is None:
            return zstd.compress(data, _ZSTD_LEVEL)
        return compressor.compress(data, mode=zstd.ZstdCompressor.FLUSH_FRAME)
    return representative_json


def _unpacked(blob: bytes) -> str:
    """A stored representative's JSON: zstd, or zlib in a state written before."""
    if blob.startswith(_ZSTD_MAGIC):
        return zstd.decompress(blob).decode("utf-8")
    return zlib.decompress(blob).decode("utf-8")


def open_state(path: Path) -> sqlite3.Connection:
    """The state database, created or converted from the earlier layout (text keys, JSON as text)."""
    db = sqlite3.connect(path, timeout=60)
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version < SCHEMA_VERSION:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with db:
            if "members" in tables:
                _convert_v1(db)
            else:
                _create_tables(db)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if "members" in tables:
            db.execute("VACUUM")
    return db


def _create_tables(db: sqlite3.Connection) -> None:
    """The schema, statement by statement (``executescript`` would commit the open transaction)."""
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _convert_v1(db: sqlite3.Connection) -> None:
    """The first layout (order keys and content hashes as text, JSON uncompressed) to this one."""
    db.execute("ALTER TABLE members RENAME TO members_v1")
    db.execute("ALTER TABLE clusters RENAME TO clusters_v1")
    db.execute("DROP INDEX IF EXISTS members_by_hash")
    _create_tables(db)
    db.executemany(
        "INSERT INTO members VALUES (?, ?, ?, ?, ?)",
        (
            (article_id, cluster_id, content_key(content_hash), _v1_key(key)[0] // 1_000_000, blob)
            for article_id, cluster_id, content_hash, key, blob in db.execute(
                "SELECT article_id, cluster_id, content_hash, order_key, minhash FROM members_v1"
            )
        ),
    )
    db.executemany(
        "INSERT INTO clusters VALUES (?, ?, ?, ?, ?)",
        (
            (cluster_id, rep_id, *_v1_key(key), size)
            for cluster_id, rep_id, key, size in db.execute(
                "SELECT cluster_id, representative_id, representative_key, size FROM clusters_v1"
            )
        ),
    )
    db.executemany(
        "INSERT INTO representatives VALUES (?, ?)",
        (
            (cluster_id, _packed(rep_json))
            for cluster_id, rep_json in db.execute(
                "SELECT cluster_id, representative_json FROM clusters_v1 WHERE representative_json IS NOT NULL"
            )
        ),
    )
    db.execute("DROP TABLE members_v1")
    db.execute("DROP TABLE clusters_v1")


def _v1_key(text: str) -> OrderKey:
    published, fetched = text.split("|")
    return (_micros(datetime.fromisoformat(published)), _micros(datetime.fromisoformat(fetched)))


@dataclass
class StatePrune:
    members: int  # members older than the window (dropped, or to drop)
    clusters: int  # clusters left without members
    representatives: int  # representatives' JSON past REISSUE_DAYS
    bytes_before: int
    bytes_after: int


def prune_state(path: Path, now: datetime, keep_days: int, dry_run: bool = False) -> StatePrune:
    """Drop members dated more than ``keep_days`` before ``now`` (0: none), clusters left empty,
    and representatives' JSON older than REISSUE_DAYS; then VACUUM so the file shrinks. A copy of a
    dropped article is no longer matched to it; everything kept clusters as before."""
    size = path.stat().st_size if path.exists() else 0
    if not path.exists():
        return StatePrune(0, 0, 0, 0, 0)
    db = open_state(path)
    try:
        members_before = int((now - timedelta(days=keep_days)).timestamp()) if keep_days else None
        json_before = _micros(now - timedelta(days=REISSUE_DAYS))
        stale_members = (
            db.execute("SELECT count(*) FROM members WHERE dated < ?", (members_before,)).fetchone()[0]
            if members_before is not None
            else 0
        )
        empty = (
            "SELECT cluster_id FROM clusters WHERE cluster_id NOT IN "
            "(SELECT cluster_id FROM members WHERE dated >= ?)"
        )
        stale_clusters = (
            db.execute(f"SELECT count(*) FROM ({empty})", (members_before,)).fetchone()[0]
            if members_before is not None
            else 0
        )
        stale = "SELECT cluster_id FROM clusters WHERE representative_published < ?"
        stale_json = db.execute(
            f"SELECT count(*) FROM representatives WHERE cluster_id IN ({stale})", (json_before,)
        ).fetchone()[0]
        if not dry_run:
            with db:
                if members_before is not None:
                    db.execute(
                        f"DELETE FROM representatives WHERE cluster_id IN ({empty})", (members_before,)
                    )
                    db.execute(f"DELETE FROM clusters WHERE cluster_id IN ({empty})", (members_before,))
                    db.execute("DELETE FROM members WHERE dated < ?", (members_before,))
                db.execute(f"DELETE FROM representatives WHERE cluster_id IN ({stale})", (json_before,))
            db.execute("VACUUM")
    finally:
        db.close()
    return StatePrune(stale_members, stale_clusters, stale_json, size, path.stat().st_size)
