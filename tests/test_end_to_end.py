"""The whole product through its real CLI, against the fixture news site on 127.0.0.1."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from whirlpool.article import article_id
from whirlpool.urls import canonical_url


def search(ws: Workspace, *args: str) -> list[dict]:
    result = ws.cli("search", "--json", *args)
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip().startswith("{")]


def test_run_then_search_finds_every_article_with_its_language_and_id(workspace: Workspace, news_site):
    run = workspace.cli("run", "--dry-run-alerts")
    assert "collect" in run.stdout and "index" in run.stdout, run.stdout

    vostochny = search(workspace, "Vostochny")
    assert [h["title"] for h in vostochny] == [
        "Kim Jong Un tours Vostochny cosmodrome as Russia offers satellite help"
    ]
    hit = vostochny[0]
    assert hit["language"] == "en"
    page = f"{news_site.url}/test-courier/vostochny-visit.html"
    assert hit["id"] == article_id(canonical_url(page))
    assert "strategic_tech" in hit["themes"]
    assert hit["relevant"] is True

    russian = search(workspace, "рабочих")
    assert [(h["title"], h["language"]) for h in russian] == [
        ("Тысячи рабочих из КНДР прибыли на стройки Дальнего Востока", "ru")
    ]
    korean = search(workspace, "두만강")
    # cleaning applies Unicode NFKC (issue 4): the page's "…" is stored as "..."
    assert [(h["title"], h["language"]) for h in korean] == [
        ("북러 두만강 자동차 다리 착공...물류 협력 확대", "ko")
    ]

    everything = search(workspace, "", "--limit", "50")
    assert len(everything) == 5
    festival = [h for h in everything if h["title"].startswith("Village harvest")]
    assert festival and festival[0]["relevant"] is False


def test_cross_script_query_finds_the_same_person_in_other_languages(workspace: Workspace):
    workspace.cli("run", "--dry-run-alerts")
    titles = {h["title"] for h in search(workspace, "김정은")}
    assert "Kim Jong Un tours Vostochny cosmodrome as Russia offers satellite help" in titles
    exact = {h["title"] for h in search(workspace, "--exact", "김정은")}
    assert "Kim Jong Un tours Vostochny cosmodrome as Russia offers satellite help" not in exact


def test_second_run_over_the_same_site_adds_nothing_to_the_index(workspace: Workspace, news_site):
    workspace.cli("run", "--dry-run-alerts")
    first = search(workspace, "", "--limit", "50")
    second_run = workspace.cli("run", "--dry-run-alerts", "--force")
    second = search(workspace, "", "--limit", "50")
    assert len(first) == len(second) == 5
    assert sorted(h["id"] for h in first) == sorted(h["id"] for h in second)
    assert "articles_new=" not in second_run.stdout.split("Summary")[-1].split("process")[0]


def test_unreachable_sources_are_named_and_demo_is_suggested(tmp_path):
    from tests.conftest import make_workspace

    sources = (
        "sources:\n"
        "  - {id: dead-feed, name: Dead, homepage: 'http://127.0.0.1:9/', feeds: ['http://127.0.0.1:9/rss.xml'],\n"
        "     language: en, country: GB, kind: wire}\n"
    )
    ws = make_workspace(tmp_path / "ws", sources)
    result = ws.cli("run", "--no-alerts", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "dead-feed" in result.stdout
    assert "No source could be reached" in result.stdout
    assert "whirlpool demo" in result.stdout


def test_invalid_sources_file_fails_with_file_line_and_field(tmp_path):
    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path / "ws", "sources:\n  - id: x\n    name: X\n    homepage: not-a-url\n")
    result = ws.cli("run", check=False)
    assert result.returncode == 2
    message = result.stderr.strip()
    assert "sources.yaml:4" in message and "homepage" in message, message
    assert "Traceback" not in result.stderr


def test_run_exits_1_when_the_index_is_down_and_keeps_the_batches(workspace: Workspace):
    """A stage that could not do its work fails the command, as it fails the Airflow task (issue 13,
    4): the articles were collected and processed, the index was not there, exit 1 says so."""
    from whirlpool.loopback import free_port

    workspace.env["WHIRLPOOL_INDEX_BACKEND"] = "elasticsearch"
    workspace.env["WHIRLPOOL_ES_URL"] = f"http://127.0.0.1:{free_port()}"
    result = workspace.cli("run", "--no-alerts", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "index unavailable" in result.stdout + result.stderr
    assert "batch(es) kept for the next run" in result.stdout + result.stderr
