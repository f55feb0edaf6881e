"""The story step alone: its decisions and its CPU time, replayed over prepared articles.

``python -m bench.process.stories record OUT.json [--docs N]`` prepares the articles (the real
process step up to the story step, recorded at ``StoryIndex.assign`` with the commits between),
for (a) N bench-corpus documents and (b) the labelled story set (tuning, then held-out, each in
its evaluation order), replays them through a fresh ``StoryIndex`` and writes every article's
story decision (story id, status, first source and kind, first seen, languages).
``... compare OLD.json NEW.json`` says whether two records decide alike (counts only: it never
prints an item). ``... time [--docs N] [--runs R] [--module OLD_STORIES.py]`` times
``StoryIndex.assign`` (and the commits) alone over the bench articles, each run in a fresh process,
taking turns between this tree's module and, when given, another version of
``processing/stories.py``; it prints the fastest and median CPU µs a document of each.

Prepared articles are cached in the temporary directory by corpus size.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import json
import pickle
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.process.corpus import build_corpus
from processing.duplicates import DuplicateIndex
from processing.evaluation import shared_data_dir
from processing.language import load_profiles
from processing.pipeline import Processor, story_limits
from processing.stories import STORY_TERMS_FILE, StoryIndex
from processing.story_evaluation import LABELLED_DIR, SET_FILES, as_article, load_items
from whirlpool.report import StageReport
from whirlpool.settings import ProcessSettings, Settings, config_dir
from whirlpool.taxonomy import load_taxonomy

CACHE = Path(tempfile.gettempdir()) / "whirlpool-bench-stories"
COMMIT = None  # an event: the step committed its state here


class _Recorder(StoryIndex):
    """A story index that records what the step hands it (a copy of each article, the commits)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.events: list = []

    def assign(self, article, cluster_status):
        self.events.append((article.model_copy(deep=True), cluster_status))
        return super().assign(article, cluster_status)

    def commit(self):
        self.events.append(COMMIT)
        super().commit()


def _record(articles, settings: ProcessSettings, taxonomy) -> list:
    with tempfile.TemporaryDirectory() as state:
        recorder = _Recorder(Path(state) / "stories.sqlite3", **story_limits(settings))
        processor = Processor(
            taxonomy,
            DuplicateIndex(
                Path(state) / "duplicates.sqlite3",
                num_perm=settings.minhash_permutations,
                threshold=settings.near_duplicate_threshold,
            ),
            settings,
            recorder,
        )
        try:
            for _ in processor.process(articles, StageReport("process")):
                pass
        finally:
            processor.close()
    return recorder.events


def prepared(docs: int) -> dict[str, list]:
    """Events per run: ``bench`` (N corpus documents), ``tuning`` and ``held-out``."""
    path = CACHE / f"events-{docs}.pickle"
    if path.exists():
        return pickle.loads(path.read_bytes())
    settings = Settings(data_dir=Path(tempfile.gettempdir()), config_dir=config_dir().path)
    taxonomy = load_taxonomy(settings.config_path("taxonomy.yaml"))
    load_profiles(settings.process.language_seed)
    runs = {"bench": _record(build_corpus(docs, shared_data_dir()), settings.process, taxonomy)}
    for name in ("tuning", "held-out"):  # each in its evaluation order, as assign_stories runs it
        items = sorted(load_items(LABELLED_DIR / SET_FILES[name]), key=lambda item: item.published_at)
        runs[name] = _record((as_article(i) for i in items), ProcessSettings(), taxonomy)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(runs))
    return runs


def replay(index_class, events: list, state: Path, record: list | None = None) -> float:
    """Replay the events through a fresh index; the CPU seconds of its assigns and commits."""
    index = index_class(state, **story_limits(ProcessSettings()))
    clock = time.process_time
    spent = 0.0
    for event in events:
        if event is COMMIT:
            t0 = clock()
            index.commit()
            spent += clock() - t0
            continue
        article, status = event
        t0 = clock()
        found = index.assign(article, status)
        spent += clock() - t0
        if record is not None:
            record.append(
                [
                    article.id,
                    found.status,
                    article.story_id,
                    article.story_first_source,
                    article.story_first_source_kind,
                    article.story_first_seen.isoformat() if article.story_first_seen else None,
                    article.story_languages,
                ]
            )
    index.close()
    return spent


def _digest(state: Path) -> str:
    db = sqlite3.connect(state)
    found = hashlib.sha256()
    for table in ("stories", "cluster_stories"):
        for row in db.execute(f"SELECT * FROM {table} ORDER BY 1"):
            if table == "stories":  # the members' sets in a fixed order (as stored: hash order)
                state = json.loads(row[-1])
                for member in state["members"]:
                    for key, value in member.items():
                        if isinstance(value, list):
                            member[key] = sorted(value)
                row = (*row[:-1], state)
            found.update(repr(row).encode())
    db.close()
    return found.hexdigest()


def _load_module(path: Path):
    spec = importlib.util.spec_from_file_location(f"_stories_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("out", type=Path)
    rec.add_argument("--docs", type=int, default=5000)
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("old", type=Path)
    cmp_.add_argument("new", type=Path)
    tim = sub.add_parser("time")
    tim.add_argument("--docs", type=int, default=5000)
    tim.add_argument("--runs", type=int, default=3)
    tim.add_argument("--module", type=Path, help="another processing/stories.py to interleave with")
    one = sub.add_parser("one")
    one.add_argument("--docs", type=int, default=5000)
    one.add_argument("--module", type=Path)
    args = parser.parse_args()

    if args.command == "record":
        runs = prepared(args.docs)
        decisions = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name, events in runs.items():
                decisions[name] = []
                state = Path(tmp) / f"{name}.sqlite3"
                replay(StoryIndex, events, state, decisions[name])
                decisions[f"{name} state"] = [_digest(state)]  # what was stored, alike too
        args.out.write_text(json.dumps(decisions, ensure_ascii=False))
        print({name: len(rows) for name, rows in decisions.items()})
    elif args.command == "compare":
        old, new = json.loads(args.old.read_text()), json.loads(args.new.read_text())
        same = True
        for name in old:
            differ = sum(a != b for a, b in zip(old[name], new.get(name, []), strict=False))
            differ += abs(len(old[name]) - len(new.get(name, [])))
            same = same and not differ
            print(f"{name}: {len(old[name])} decisions, {differ} differ")
        print("IDENTICAL" if same else "DIFFERENT")
        sys.exit(0 if same else 1)
    elif args.command == "one":  # one timed run, in a process of its own (see ``time``)
        events = prepared(args.docs)["bench"]
        index_class = StoryIndex
        if args.module:  # its terms from this tree's file (the default path is beside the module)
            other = _load_module(args.module)
            index_class = functools.partial(other.StoryIndex, terms=other.load_story_terms(STORY_TERMS_FILE))
        with tempfile.TemporaryDirectory() as tmp:
            print(replay(index_class, events, Path(tmp) / "stories.sqlite3"))
    else:
        events = prepared(args.docs)["bench"]  # made once, before the timed runs
        docs = sum(event is not COMMIT for event in events)
        versions = {"this tree": []}
        if args.module:
            versions[str(args.module)] = ["--module", str(args.module)]
        times: dict[str, list[float]] = {name: [] for name in versions}
        for _ in range(args.runs):  # each run in a fresh process, the versions taking turns
            for name, extra in versions.items():
                done = subprocess.run(
                    [sys.executable, "-m", "bench.process.stories", "one", "--docs", str(args.docs), *extra],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                times[name].append(float(done.stdout.split()[-1]))
        for name, spent in times.items():
            per_doc = [s / docs * 1e6 for s in spent]
            print(
                f"{name}: {docs:,} documents, µs a document fastest {min(per_doc):.0f}, "
                f"median {statistics.median(per_doc):.0f} (runs: {', '.join(f'{p:.0f}' for p in per_doc)})"
            )


if __name__ == "__main__":
    main()
