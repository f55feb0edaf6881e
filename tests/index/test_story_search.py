"""`whirlpool search --group story`: one line per story among the hits, on the embedded index."""

from __future__ import annotations

import json

from processing.duplicates import DuplicateIndex
from processing.pipeline import Processor
from processing.stories import StoryIndex
from processing.story_evaluation import LABELLED_DIR, as_article, load_items
from tests.index.conftest import embedded_cli
from whirlpool.report import StageReport
from whirlpool.settings import ProcessSettings, default_config_dir
from whirlpool.stagestore import PROCESSED, StageStore
from whirlpool.taxonomy import load_taxonomy

STORIES = ("volodin-pyongyang-2025-08-14", "putin-lauds-kursk-soldiers-2025-08-13")


def test_search_grouped_by_story_prints_one_line_per_story_with_its_languages(tmp_path):
    items = sorted(
        (i for i in load_items(LABELLED_DIR / "tuning.jsonl") if i.story in STORIES),
        key=lambda i: i.published_at,
    )
    taxonomy = load_taxonomy(default_config_dir() / "taxonomy.yaml")
    processor = Processor(
        taxonomy,
        DuplicateIndex(tmp_path / "d.sqlite3"),
        ProcessSettings(),
        StoryIndex(tmp_path / "s.sqlite3"),
    )
    processed = list(processor.process([as_article(i) for i in items], StageReport("process")))
    processor.close()
    StageStore(tmp_path / "data").write_batch(PROCESSED, processed)
    assert embedded_cli(tmp_path, "index").exit_code == 0

    result = embedded_cli(tmp_path, "search", "--group", "story", "--json", "--limit", "50")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == len(STORIES)
    assert all(set(line["languages"]) == {"ko", "ru", "en"} for line in lines)
    story_of = {article.id: article.story_id for article in processed}
    assert {line["story_id"] for line in lines} == set(story_of.values())
    for line in lines:
        assert {story_of[i] for i in line["articles"]} == {line["story_id"]}
        assert line["first_source"] and line["first_seen"]

    table = embedded_cli(tmp_path, "search", "--group", "story")
    assert table.exit_code == 0 and f"{len(STORIES)} stories among {len(items)} hit(s)" in table.output
