"""Duplicate clusters that persist between runs: exact (same canonical URL, same normalised text)
and near-duplicate (MinHash LSH with datasketch over word or character shingles).

A cluster's id is the id of its first member seen; its representative is its earliest member (by
published_at, then fetched_at). When a late copy turns out to be earlier than the representative,
the former representative's stored Article is handed back, demoted, so the index can be updated.
State lives in one SQLite file under ``state_dir`` (transactions make each batch atomic).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from whirlpool.article import Article

MAX_SHINGLES = 256
MIN_SHINGLES = 5
MAX_CANDIDATES = 64
_WORD = re.compile(r"\w+")
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
        n, chars = 4, "".join(_WORD.findall(text[: MAX_SHINGLES * 4].lower()))
    else:
        n, chars = 9, " ".join(_WORD.findall(text[: MAX_SHINGLES * 12].lower()))
    units = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(units) < n:
        return np.empty(0, dtype=np.uint64)
    count = len(units) - n + 1
    grams = units[:count].copy()
    with np.errstate(over="ignore"):
        for k in range(1, n):
            grams = grams * _MIX + units[k : count + k]
        grams ^= grams >> np.uint64(29)
    grams = np.sort(grams & _MASK32)
    distinct = np.empty(len(grams), dtype=bool)
    distinct[0] = True
    np.not_equal(grams[1:], grams[:-1], out=distinct[1:])
    return grams[distinct][:MAX_SHINGLES]


def order_key(article: Article) -> str:
    """Sorts members by publication time, then fetch time (earliest first)."""

    def stamp(value: datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")

    return f"{stamp(article.published_at or article.fetched_at)}|{stamp(article.fetched_at)}"


class _Signature:
    """What MinHashLSH reads of a MinHash (its hash values and scheme), without rebuilding one."""

    __slots__ = ("hashvalues",)
    scheme = "affine32"

    def __init__(self, hashvalues: np.ndarray):
        self.hashvalues = hashvalues

    def __len__(self) -> int:
        return len(self.hashvalues)


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
        self._template = MinHash(num_perm=num_perm, seed=1, scheme="affine32")
        self._dtype = self._template.hashvalues.dtype
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._signatures: dict[str, np.ndarray] = {}
        self._clusters_of: dict[str, str] = {}
        self._load()

    def _load(self) -> None:
        rows = self._db.execute(
            "SELECT article_id, cluster_id, minhash FROM members WHERE minhash IS NOT NULL"
        )
        with self._lsh.insertion_session() as session:
            for article_id, cluster_id, blob in rows:
                values = np.frombuffer(blob, dtype=self._dtype)
                self._signatures[article_id] = values
                self._clusters_of[article_id] = cluster_id
                session.insert(article_id, self._minhash_from(values), check_duplication=False)

    @staticmethod
    def _minhash_from(values: np.ndarray) -> _Signature:
        return _Signature(values)

    def signature(self, text: str, language: str) -> np.ndarray | None:
        hashes = shingle_hashes(text, language)
        if len(hashes) < MIN_SHINGLES:
            return None
        minhash = MinHash(
            num_perm=self.num_perm, permutations=self._template.permutations, scheme="affine32", hashfunc=int
        )
        minhash.update_batch(hashes.tolist())  # already hashed: ``int`` passes them through
        return minhash.hashvalues.copy()

    def _near_cluster(self, article_id: str, values: np.ndarray) -> str | None:
        """The cluster of the most similar indexed document at or above the threshold. At most
        MAX_CANDIDATES candidates are compared (members of one big cluster all collide)."""
        candidates = sorted(c for c in self._lsh.query(self._minhash_from(values)) if c != article_id)
        if not candidates:
            return None
        candidates = candidates[:MAX_CANDIDATES]
        similarity = (np.stack([self._signatures[c] for c in candidates]) == values).mean(axis=1)
        best = int(np.argmax(similarity))
        return self._clusters_of.get(candidates[best]) if similarity[best] >= self.threshold else None

    def assign(self, article: Article, text: str) -> Assignment:
        """Put ``article`` (processed, with content_hash) in a cluster and remember it."""
        key = order_key(article)
        values = self.signature(text, article.language)
        row = self._db.execute(
            "SELECT cluster_id, content_hash FROM members WHERE article_id = ?", (article.id,)
        ).fetchone()
        if row is not None:
            cluster_id, old_hash = row
            status = "unchanged" if old_hash == article.content_hash else "updated"
            self._store_member(article.id, cluster_id, article.content_hash, key, values)
            return self._settle(article, cluster_id, key, status, new_member=False)
        cluster_id = None
        if article.content_hash:
            hit = self._db.execute(
                "SELECT cluster_id FROM members WHERE content_hash = ? LIMIT 1", (article.content_hash,)
            ).fetchone()
            cluster_id = hit[0] if hit else None
        if cluster_id is None and values is not None:
            cluster_id = self._near_cluster(article.id, values)
        status = "joined" if cluster_id else "new"
        cluster_id = cluster_id or article.id
        self._store_member(article.id, cluster_id, article.content_hash, key, values)
        return self._settle(article, cluster_id, key, status, new_member=True)

    def _store_member(
        self, article_id: str, cluster_id: str, content_hash: str | None, key: str, values: np.ndarray | None
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO members VALUES (?, ?, ?, ?, ?)",
            (article_id, cluster_id, content_hash, key, values.tobytes() if values is not None else None),
        )
        if article_id in self._signatures:
            self._lsh.remove(article_id)
            del self._signatures[article_id]
        if values is not None:
            self._lsh.insert(article_id, self._minhash_from(values), check_duplication=False)
            self._signatures[article_id] = values
            self._clusters_of[article_id] = cluster_id

    def _settle(
        self, article: Article, cluster_id: str, key: str, status: str, new_member: bool
    ) -> Assignment:
        """Decide the representative; keep its processed JSON to re-issue it if it is demoted."""
        cluster = self._db.execute(
            "SELECT representative_id, representative_key, representative_json FROM clusters WHERE cluster_id = ?",
            (cluster_id,),
        ).fetchone()
        article.cluster_id = cluster_id
        if cluster is None:
            article.is_representative = True
            self._db.execute(
                "INSERT INTO clusters VALUES (?, ?, ?, ?, 1)",
                (cluster_id, article.id, key, article.to_json()),
            )
            return Assignment(cluster_id, True, status)
        rep_id, rep_key, rep_json = cluster
        if new_member:
            self._db.execute("UPDATE clusters SET size = size + 1 WHERE cluster_id = ?", (cluster_id,))
        if rep_id == article.id or key < rep_key:
            article.is_representative = True
            self._db.execute(
                "UPDATE clusters SET representative_id = ?, representative_key = ?, representative_json = ? "
                "WHERE cluster_id = ?",
                (article.id, key, article.to_json(), cluster_id),
            )
            demoted = None
            if rep_id != article.id and rep_json:
                demoted = Article.from_json(rep_json)
                demoted.is_representative = False
            return Assignment(cluster_id, True, status, demoted)
        article.is_representative = False
        return Assignment(cluster_id, False, status)

    def cluster_size(self, cluster_id: str) -> int:
        row = self._db.execute("SELECT size FROM clusters WHERE cluster_id = ?", (cluster_id,)).fetchone()
        return int(row[0]) if row else 0

    def commit(self) -> None:
        self._db.commit()

    def close(self) -> None:
        self._db.commit()
        self._db.close()
