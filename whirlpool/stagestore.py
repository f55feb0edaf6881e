"""The files that connect the stages: an append-only, partitioned store of Article batches.

Layout under ``<data_dir>/stages``::

    raw/date=2026-11-25/20261125T101500Z-ab12cd.jsonl.gz        collect writes
    processed/date=2026-11-25/20261125T101500Z-ab12cd.jsonl.gz  process writes (same batch name)
    <stage>/_consumed/<consumer>.txt                             which batches a consumer has finished

The crawl writes a batch line by line to ``*.partial`` (flushed per article, so a crash keeps what
was fetched), then compresses it to a temporary name and renames it; a stage whose input is still
on disk (process) writes its whole batch compressed to the temporary name directly.
``recover_partials`` turns the leftovers of a crashed crawl into ordinary batches. Consumers list
``pending`` batches and mark them done only after their own output is safe, so every stage can be
re-run without doing work twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from isal import igzip
from pydantic import ValidationError

from whirlpool.article import Article

RAW = "raw"
PROCESSED = "processed"


# gzip by ISA-L (``isal``): at its level 2 a processed article's line is compressed in ~16 µs against
# zlib's ~73 at level 1, into a file of the same size, and read back in half the time (issue 11: the
# process command's own cost); any gzip reader reads the files
GZIP_LEVEL = 2
SEAL_PIECE = 1 << 20
WRITE_LINES_CHUNK = 64  # lines joined into one compressor call


def new_batch_name(now: datetime | None = None) -> str:
    """``20261125T085535.123456Z-1a2b3c``: names sort in the order batches were started."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S.%f}Z-{secrets.token_hex(3)}"


def batch_started(batch_name: str) -> datetime | None:
    """When a batch was started, from its name; None for a name not made by ``new_batch_name``."""
    try:
        return datetime.strptime(batch_name[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _partition_of(batch_name: str) -> str:
    day = batch_name[:8]
    return f"date={day[:4]}-{day[4:6]}-{day[6:8]}"


class BatchWriter:
    """Writes one batch; use as a context manager. Empty batches leave no file."""

    def __init__(self, store: StageStore, stage: str, batch_name: str | None = None):
        self.store = store
        self.stage = stage
        self.name = batch_name or new_batch_name()
        self.path = store.batch_path(stage, self.name)
        self.partial = self.path.with_name(self.path.name.replace(".jsonl.gz", ".partial"))
        self.count = 0
        self._fh = None

    def __enter__(self) -> BatchWriter:
        return self

    def write(self, article: Article) -> None:
        self.write_line(article.to_json())

    def write_line(self, line: str) -> None:
        """One article already serialised (``Article.to_json``), without its newline."""
        if self._fh is None:
            self.partial.parent.mkdir(parents=True, exist_ok=True)
            # "w": a partial left by a crashed run of this same batch is written again, not appended to
            self._fh = open(self.partial, "w", encoding="utf-8")  # noqa: SIM115
        self._fh.write(line + "\n")
        self._fh.flush()
        self.count += 1

    def close(self) -> Path | None:
        """Seal the batch; returns its path, or None when nothing was written."""
        if self._fh is None:
            return None
        self._fh.close()
        self._fh = None
        self.store.seal_partial(self.partial)
        return self.path

    def __exit__(self, exc_type, exc, tb) -> None:
        # Sealed even on error: what was fetched before the failure is kept.
        self.close()


class StageStore:
    def __init__(self, data_dir: Path):
        self.root = Path(data_dir) / "stages"

    # -- paths -----------------------------------------------------------------------------
    def stage_dir(self, stage: str) -> Path:
        return self.root / stage

    def batch_path(self, stage: str, batch_name: str) -> Path:
        return self.stage_dir(stage) / _partition_of(batch_name) / f"{batch_name}.jsonl.gz"

    @staticmethod
    def batch_name(path: Path) -> str:
        return path.name.removesuffix(".jsonl.gz")

    # -- writing -----------------------------------------------------------------------------
    def writer(self, stage: str, batch_name: str | None = None) -> BatchWriter:
        return BatchWriter(self, stage, batch_name)

    def write_batch(
        self, stage: str, articles: Iterable[Article], batch_name: str | None = None
    ) -> Path | None:
        return self.write_lines(stage, (article.to_json() for article in articles), batch_name)

    def write_lines(self, stage: str, lines: Iterable[str], batch_name: str | None = None) -> Path | None:
        """A whole batch of articles already serialised, one JSON line each, compressed as it comes
        to a temporary name and renamed once complete; None (no file) when there were no lines.

        Unlike ``writer`` there is no ``.partial`` flushed line by line: the lines come from a file
        the caller still holds (the process stage re-runs a raw batch it has not marked consumed), so
        a crash or an error leaves no batch at all, and the re-run writes it whole. The partial file
        and its per-line flush, then reading it back to compress it, cost the process command ~30 µs
        an article (issue 11)."""
        path = self.batch_path(stage, batch_name or new_batch_name())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        count = 0
        try:
            with igzip.open(tmp, "wb", compresslevel=GZIP_LEVEL) as fh:
                lines = iter(lines)
                while chunk := list(islice(lines, WRITE_LINES_CHUNK)):
                    fh.write(("\n".join(chunk) + "\n").encode("utf-8"))
                    count += len(chunk)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if not count:
            tmp.unlink()
            return None
        os.replace(tmp, path)
        # a .partial of this batch left by a crashed ``writer`` is superseded by the whole batch
        path.with_name(path.name.replace(".jsonl.gz", ".partial")).unlink(missing_ok=True)
        return path

    def seal_partial(self, partial: Path) -> Path | None:
        """Compress a ``.partial`` file's complete lines into its batch file, atomically."""
        final = partial.with_name(partial.name.replace(".partial", ".jsonl.gz"))
        tmp = final.with_name(final.name + ".tmp")
        count = 0
        # bytes, in large pieces: the writer wrote whole UTF-8 lines, so its complete lines are the
        # bytes up to the last newline (one gzip write a megabyte, not a decode and write a line)
        with open(partial, "rb") as src, igzip.open(tmp, "wb", compresslevel=GZIP_LEVEL) as dst:
            rest = b""
            while piece := src.read(SEAL_PIECE):
                piece = rest + piece
                end = piece.rfind(b"\n") + 1  # a line cut short by a crash stays out
                dst.write(piece[:end])
                count += piece.count(b"\n", 0, end)
                rest = piece[end:]
        if count:
            os.replace(tmp, final)
        else:
            tmp.unlink(missing_ok=True)
        partial.unlink()
        return final if count else None

    def recover_partials(self, stage: str) -> list[Path]:
        """Seal batches a crashed run left half-written; returns the recovered batch paths."""
        recovered = []
        for partial in sorted(self.stage_dir(stage).glob("date=*/*.partial")):
            path = self.seal_partial(partial)
            if path:
                recovered.append(path)
        return recovered

    # -- reading -----------------------------------------------------------------------------
    def batches(self, stage: str) -> list[Path]:
        return sorted(self.stage_dir(stage).glob("date=*/*.jsonl.gz"), key=lambda p: p.name)

    def read_batch(self, path: Path, errors: list[str] | None = None) -> Iterator[Article]:
        """Yield the batch's articles; a line that does not validate is reported, not raised."""
        # bytes: pydantic parses UTF-8 JSON itself (a str line would be decoded, then encoded again)
        with igzip.open(path, "rb") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield Article.from_json(line)
                except (ValidationError, json.JSONDecodeError) as exc:
                    if errors is not None:
                        errors.append(f"{path}:{number}: not a valid article: {str(exc).splitlines()[0]}")

    # -- consumer ledgers ----------------------------------------------------------------------
    def _ledger(self, stage: str, consumer: str) -> Path:
        return self.stage_dir(stage) / "_consumed" / f"{consumer}.txt"

    def consumed(self, stage: str, consumer: str) -> set[str]:
        ledger = self._ledger(stage, consumer)
        if not ledger.exists():
            return set()
        return {line.strip() for line in ledger.read_text(encoding="utf-8").splitlines() if line.strip()}

    def pending(self, stage: str, consumer: str) -> list[Path]:
        done = self.consumed(stage, consumer)
        return [p for p in self.batches(stage) if self.batch_name(p) not in done]

    def mark_consumed(self, stage: str, consumer: str, path: Path) -> None:
        ledger = self._ledger(stage, consumer)
        ledger.parent.mkdir(parents=True, exist_ok=True)
        with open(ledger, "a", encoding="utf-8") as fh:
            fh.write(self.batch_name(path) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    # -- retention -------------------------------------------------------------------------------
    def ledger_consumers(self, stage: str) -> set[str]:
        """Every consumer that keeps a ledger for ``stage``."""
        return {path.stem for path in (self.stage_dir(stage) / "_consumed").glob("*.txt")}

    def finished_batches(self, stage: str, before: datetime, consumers: Iterable[str]) -> list[Path]:
        """Sealed batches started before ``before`` that every consumer has finished: the named
        ones (which must read every batch) and any other with a ledger. Never a batch still pending."""
        everyone = set(consumers) | self.ledger_consumers(stage)
        done = [self.consumed(stage, consumer) for consumer in everyone]
        finished = []
        for path in self.batches(stage):
            name = self.batch_name(path)
            started = batch_started(name)
            if started is not None and started < before and all(name in ledger for ledger in done):
                finished.append(path)
        return finished

    def remove_batches(self, paths: Iterable[Path]) -> int:
        """Delete whole batch files (and date folders left empty); returns the bytes freed."""
        freed = 0
        for path in paths:
            try:
                freed += path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty
        return freed
