"""The real `whirlpool process` command in a fresh interpreter: what it loads, and when.

Its start-up is part of every run's CPU (issue 11): it must not import the index, crawl or
orchestration libraries (nor the index backends' module, the sources' schema or, off a terminal,
rich's progress bars), and Kiwi's model (~2 s of CPU, ~300 MB) loads only when Korean text needs
it, and then still tags the Korean headline."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from tests.conftest import REPO
from tests.process.conftest import make_article
from whirlpool.stagestore import PROCESSED, RAW, StageStore

# runs `whirlpool process` twice in one interpreter, a raw batch written before each run, and
# reports after each which libraries are loaded
SCRIPT = """
import json, sys
from pathlib import Path
from whirlpool.cli import main
from whirlpool.stagestore import RAW, StageStore

WATCHED = ("kiwipiepy", "elasticsearch", "scrapy", "twisted", "airflow", "tantivy", "trafilatura",
           "indexing.backend", "whirlpool.sources", "rich.progress")
store = StageStore(Path(sys.argv[1]))
loaded = []
for batch in sys.argv[2:]:
    store.write_lines(RAW, Path(batch).read_text(encoding="utf-8").splitlines())
    try:
        main(["process"], standalone_mode=False)
    except SystemExit as exc:
        assert not exc.code, exc.code
    loaded.append(sorted(name for name in WATCHED if name in sys.modules))
print(json.dumps(loaded))
"""


def test_the_process_command_loads_kiwi_only_for_korean_text_and_no_index_or_crawl_library(tmp_path):
    english = make_article(
        "https://news.example/en/1",
        "Russia's top security official arrives in Pyongyang, scheduled to meet with Kim Jong Un",
        "Sergei Shoigu arrived in Pyongyang on Tuesday for talks with North Korean leader Kim Jong Un.",
    )
    korean = make_article("https://news.example/ko/1", "北최선희, 푸틴과 만나", "")
    batches = []
    for name, article in (("en", english), ("ko", korean)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text(article.to_json() + "\n", encoding="utf-8")
        batches.append(str(path))
    data = tmp_path / "data"
    env = _environment(data)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data), *batches],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    after_english, after_korean = json.loads(done.stdout.strip().splitlines()[-1])
    # no Kiwi for English text, no index, crawl or orchestration library; not even the index
    # backends' exceptions, the sources' schema or (not on a terminal) rich's progress bars
    assert after_english == []
    assert after_korean == ["kiwipiepy"]
    store = StageStore(data)
    assert store.pending(RAW, "process") == []
    processed = {a.language: a for path in store.batches(PROCESSED) for a in store.read_batch(path)}
    assert set(processed["ko"].actors) == {"dprk", "russia"}  # 北 and 푸틴 through the lazily loaded Kiwi
    assert set(processed["en"].actors) == {"dprk", "russia"}


# the program as its console script runs it, with an object only the interpreter's teardown would
# finalise and an exit handler
PROGRAM = """
import atexit, os, sys

class Finalised:
    def __del__(self):
        os.write(2, b"torn down\\n")

kept = Finalised()
atexit.register(lambda: os.write(2, b"exit handlers ran\\n"))
sys.argv = ["whirlpool", "process"]
from whirlpool.cli import run
run()
"""


def test_the_process_command_ends_without_the_interpreters_teardown_once_its_files_are_closed(tmp_path):
    """Freeing Kiwi, langdetect's profiles and every module at exit costs ~0.2 s of CPU a run: the
    `whirlpool` program skips it, after its batch, ledger and state are written and its summary
    printed; exit handlers still run, and the exit code is the command's."""
    data = tmp_path / "data"
    article = make_article(
        "https://news.example/en/2",
        "Russia and North Korea sign a military cooperation treaty in Pyongyang",
        "Vladimir Putin and Kim Jong Un signed the treaty on Wednesday.",
    )
    StageStore(data).write_lines(RAW, [article.to_json()])
    env = _environment(data)
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "exit handlers ran" in done.stderr
    assert "torn down" not in done.stderr
    assert "articles=1" in done.stdout and "output:" in done.stdout  # the summary, flushed
    store = StageStore(data)
    assert store.pending(RAW, "process") == []
    (processed,) = [a for path in store.batches(PROCESSED) for a in store.read_batch(path)]
    assert processed.relevant
    with sqlite3.connect(data / "state" / "duplicates.sqlite3") as db:
        assert db.execute("select count(*) from members").fetchone() == (1,)


def _environment(data) -> dict[str, str]:
    """This process's environment without its WHIRLPOOL settings, pointed at ``data`` and the repo's
    config, so that the child runs the repo's code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHIRLPOOL")}
    env.update(
        {
            "PYTHONPATH": str(REPO),
            "WHIRLPOOL_DATA_DIR": str(data),
            "WHIRLPOOL_CONFIG_DIR": str(REPO / "config"),
        }
    )
    return env
