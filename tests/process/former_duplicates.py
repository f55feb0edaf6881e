"""The duplicate index as it was before issue 13 (commit ec6fc32): text keys, JSON uncompressed.
Kept only to prove the compact layout assigns the same clusters (tests/process/test_duplicate_state.py)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from processing.characters import WordScanner
from whirlpool.article import Article

MAX_SHINGLES = 256
MIN_SHINGLES = 5
MAX_CANDIDATES = 64
_WORDS = WordScanner(r"\w")
_CJK_LANGUAGES = ("zh", "ja")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MASK32 = np.uint64(0xFFFFFFFF)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS members (
    article_id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    content_hash TEXT,
    order_key TEXT NOT NULL,
    minhash BLOB
);
CREATE INDEX IF NOT EXISTS members_by_hash ON members(content_hash);
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id TEXT PRIMARY KEY,
    representative_id TEXT NOT NULL,
    representative_key TEXT NOT NULL,
    representative_json TEXT,
    size INTEGER NOT NULL
);
"""


def shingle_hashes(text: str, language: str) -> np.ndarray:
    """32-bit hashes of the document's shingles: character n-grams over its words (4 characters
    for Chinese and Japanese, 9 with single spaces between words otherwise), computed with numpy.
    Distinct, and at most MAX_SHINGLES of them: the smallest hashes (the same bottom-k selection
    in every copy keeps large documents comparable and cheap)."""
    if language in _CJK_LANGUAGES:
        n, units = 4, _WORDS.joined(text[: MAX_SHINGLES * 4].lower(), separator=False)
    else:
        n, units = 9, _WORDS.joined(text[: MAX_SHINGLES * 12].lower())
    units = units.astype(np.uint64)
    if len(units) < n:
        return np.empty(0, dtype=np.uint64)
    count = len(units) - n + 1
    grams = units[:count].copy()
    for k in range(1, n):  # array arithmetic wraps around silently (only scalars warn)
        np.multiply(grams, _MIX, out=grams)
        np.add(grams, units[k : count + k], out=grams)
    grams ^= grams >> np.uint64(29)
    grams &= _MASK32
    grams.sort()
    distinct = np.empty(len(grams), dtype=bool)
    distinct[0] = True
    np.not_equal(grams[1:], grams[:-1], out=distinct[1:])
    return grams[distinct][:MAX_SHINGLES]


def order_key(article: Article) -> str:
    """Sorts members by publication time, then fetch time (earliest first)."""
    return f"{_stamp(article.published_at or article.fetched_at)}|{_stamp(article.fetched_at)}"


def _stamp(value: datetime) -> str:
    """``%Y-%m-%dT%H:%M:%S.%f`` (isoformat writes the same, faster, from the year 1000 on)."""
    if value.year >= 1000:
        return value.isoformat(timespec="microseconds")[:26]
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")


# fmix32 constants of MurmurHash3, as datasketch applies them before its affine permutations
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


def minhash_values(hashes: np.ndarray, permutations: np.ndarray) -> np.ndarray:
    """datasketch's ``affine32`` MinHash of already-hashed 32-bit values, in one numpy expression
    (what ``MinHash(hashfunc=int, scheme="affine32").update_batch`` computes, without its
    per-value Python calls)."""
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hashes.astype(np.uint32)
    hv = hv ^ (hv >> s1)
    hv = hv * m1
    hv = hv ^ (hv >> s2)
    hv = hv * m2
    hv = hv ^ (hv >> s3)
    a, b = permutations
    return (np.multiply.outer(hv, a) + b).min(axis=0)


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
        """One key per band: the hash of the band's values (ints and tuples of ints hash the same
        in every process; equal keys of different bands never meet, each band has its table).
        The keys of the last signature are kept: a query is followed by an insert of the same."""
        if values is self._last_values:
            return self._last_keys
        flat, rows = values.tolist(), self.rows
        keys = [hash(tuple(flat[start : start + rows])) for start in range(0, self.bands * rows, rows)]
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
    representative_key: str
    representative_json: str | None
    size: int


@dataclass
class Assignment:
    cluster_id: str
    is_representative: bool
    status: str  # new | joined | updated | unchanged
    demoted: Article | None = None  # the former representative, now is_representative=False


class DuplicateIndex:
    """Assigns each article to a duplicate cluster; the state persists in ``path``."""

    def __init__(self, path: Path, num_perm: int = 64, threshold: float = 0.7):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.num_perm = num_perm
        self.threshold = threshold
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)
        self._permutations = MinHash(num_perm=num_perm, seed=1, scheme="affine32").permutations
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)  # only for its optimal b and r
        self._bands = _BandIndex(num_perm, lsh.b, lsh.r)
        # what changed since the last commit: written in one transaction by ``commit``
        self._members: dict[str, tuple[str, str, str | None, str, bytes | None]] = {}
        self._hashes: dict[str, list[str]] = {}  # content hash → ids of members stored since
        self._clusters: dict[str, _Cluster] = {}
        # every member id, and the Python hashes of every content hash: most documents are new and
        # unlike any other, and these answer "not there" without asking SQLite
        self._known_ids: set[str] = set()
        self._known_hashes: set[int] = set()
        self._load()

    def _load(self) -> None:
        ids, clusters, blobs = [], [], []
        for article_id, cluster_id, content_hash, blob in self._db.execute(
            "SELECT article_id, cluster_id, content_hash, minhash FROM members"
        ):
            self._known_ids.add(article_id)
            if content_hash:
                self._known_hashes.add(hash(content_hash))
            if blob is not None and len(blob) == self.num_perm * 4:
                ids.append(article_id)
                clusters.append(cluster_id)
                blobs.append(blob)
        if ids:
            values = np.frombuffer(b"".join(blobs), dtype=np.uint32).reshape(len(ids), self.num_perm)
            self._bands.add_many(ids, clusters, values)

    def signature(self, text: str, language: str) -> np.ndarray | None:
        hashes = shingle_hashes(text, language)
        if len(hashes) < MIN_SHINGLES:
            return None
        return minhash_values(hashes, self._permutations)

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

    def assign(self, article: Article, text: str) -> Assignment:
        """Put ``article`` (processed, with content_hash) in a cluster and remember it."""
        key = order_key(article)
        values = self.signature(text, article.language)
        member = self._member(article.id) if article.id in self._known_ids else None
        if member is not None:
            cluster_id, old_hash = member
            status = "unchanged" if old_hash == article.content_hash else "updated"
            self._store_member(article.id, cluster_id, article.content_hash, key, values)
            return self._settle(article, cluster_id, key, status, new_member=False)
        content_hash = article.content_hash
        cluster_id = None
        if content_hash and hash(content_hash) in self._known_hashes:
            cluster_id = self._cluster_with_hash(content_hash)
        if cluster_id is None and values is not None:
            cluster_id = self._near_cluster(article.id, values)
        status = "joined" if cluster_id else "new"
        cluster_id = cluster_id or article.id
        self._store_member(article.id, cluster_id, article.content_hash, key, values)
        return self._settle(article, cluster_id, key, status, new_member=True)

    def _member(self, article_id: str) -> tuple[str, str | None] | None:
        pending = self._members.get(article_id)
        if pending is not None:
            return pending[1], pending[2]
        return self._db.execute(
            "SELECT cluster_id, content_hash FROM members WHERE article_id = ?", (article_id,)
        ).fetchone()

    def _cluster_with_hash(self, content_hash: str) -> str | None:
        for article_id, cluster_id in self._db.execute(
            "SELECT article_id, cluster_id FROM members WHERE content_hash = ?", (content_hash,)
        ):
            pending = self._members.get(article_id)
            if pending is None or pending[2] == content_hash:  # not since changed in this batch
                return cluster_id
        for article_id in self._hashes.get(content_hash, ()):
            pending = self._members[article_id]
            if pending[2] == content_hash:
                return pending[1]
        return None

    def _store_member(
        self, article_id: str, cluster_id: str, content_hash: str | None, key: str, values: np.ndarray | None
    ) -> None:
        blob = values.tobytes() if values is not None else None
        self._members[article_id] = (article_id, cluster_id, content_hash, key, blob)
        self._known_ids.add(article_id)
        if content_hash:
            self._known_hashes.add(hash(content_hash))
            self._hashes.setdefault(content_hash, []).append(article_id)
        if values is not None:
            self._bands.add(article_id, cluster_id, values)
        else:
            self._bands.remove(article_id)

    def _cluster(self, cluster_id: str) -> _Cluster | None:
        cluster = self._clusters.get(cluster_id)
        if cluster is None:
            row = self._db.execute(
                "SELECT representative_id, representative_key, representative_json, size FROM clusters "
                "WHERE cluster_id = ?",
                (cluster_id,),
            ).fetchone()
            if row is not None:
                cluster = self._clusters[cluster_id] = _Cluster(*row)
        return cluster

    def _settle(
        self, article: Article, cluster_id: str, key: str, status: str, new_member: bool
    ) -> Assignment:
        """Decide the representative; keep its processed JSON to re-issue it if it is demoted."""
        article.cluster_id = cluster_id
        # a new cluster's id is its first member's id, which no stored cluster can have
        cluster = None if status == "new" else self._cluster(cluster_id)
        if cluster is None:
            article.is_representative = True
            self._clusters[cluster_id] = _Cluster(article.id, key, article.to_json(), 1)
            return Assignment(cluster_id, True, status)
        if new_member:
            cluster.size += 1
        rep_id, rep_json = cluster.representative_id, cluster.representative_json
        if rep_id == article.id or key < cluster.representative_key:
            article.is_representative = True
            cluster.representative_id, cluster.representative_key = article.id, key
            cluster.representative_json = article.to_json()
            demoted = None
            if rep_id != article.id and rep_json:
                demoted = Article.from_json(rep_json)
                demoted.is_representative = False
            return Assignment(cluster_id, True, status, demoted)
        article.is_representative = False
        return Assignment(cluster_id, False, status)

    def cluster_size(self, cluster_id: str) -> int:
        cluster = self._cluster(cluster_id)
        return cluster.size if cluster else 0

    def commit(self) -> None:
        """Write what changed since the last commit, in one transaction."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?)", self._members.values()
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO clusters VALUES (?, ?, ?, ?, ?)",
                [
                    (cid, c.representative_id, c.representative_key, c.representative_json, c.size)
                    for cid, c in self._clusters.items()
                ],
            )
        self._members.clear()
        self._hashes.clear()
        self._clusters.clear()

    def close(self) -> None:
        self.commit()
        self._db.close()
