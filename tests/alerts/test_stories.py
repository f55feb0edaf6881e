"""Alerts count stories: one event reported in several languages is one story, listed once with its
first report (a real index on each backend, a real SMTP server on 127.0.0.1)."""

from __future__ import annotations

from datetime import timedelta

from alerting.engine import run_alert_rules
from tests.alerts.conftest import NOW, background, index_articles, make_article, make_settings
from whirlpool.timetext import local_time

WEEK_RULES = """
groups:
  analysts: [analysts@example.org]
rules:
  - name: summit-spike
    type: spike
    dimension: themes
    window: 1d
    baseline_windows: 7
    min_count: 5
    recipients: analysts{count}
"""
LANGUAGES = ["ko", "ru", "en", "ja", "zh"]
FIRST_SEEN = NOW - timedelta(hours=9)


def summit_story() -> list:
    """One summit reported first by KCNA, then by four outlets in four more languages: six articles,
    six duplicate clusters, one story."""
    outlets = [("kcna", "ko", "state_media"), ("tass", "ru", "state_media"), ("yonhap", "en", "wire"),
               ("nhk", "ja", "state_media"), ("xinhua", "zh", "state_media"), ("tass", "en", "state_media")]  # fmt: skip
    articles = []
    for number, (source, language, kind) in enumerate(outlets):
        article = make_article(
            7000 + number, FIRST_SEEN + timedelta(hours=number), ["summit"], f"Summit report in {language} {number}",
            language=language, source_id=source,
        )  # fmt: skip
        articles.append(article.model_copy(update={
            "source_kind": kind, "story_id": "story-summit", "story_first_source": "KCNA",
            "story_first_source_kind": "state_media", "story_first_seen": FIRST_SEEN,
            "story_languages": LANGUAGES[: number + 1] if number < 5 else LANGUAGES,
        }))  # fmt: skip
    return articles


def other_stories(count: int) -> list:
    return [make_article(8000 + i, NOW - timedelta(hours=2, minutes=i), ["summit"], f"Other summit news {i}")
            for i in range(count)]  # fmt: skip


def test_a_week_spike_counts_one_event_in_five_languages_once(tmp_path, smtp_server, index_env):
    articles = background(days=8, per_day=1, theme="summit") + summit_story() + other_stories(2)
    (tmp_path / "stories").mkdir()
    (tmp_path / "clusters").mkdir()
    stories = make_settings(tmp_path / "stories", smtp_server.port, WEEK_RULES.format(count=""), index_env)
    index_articles(stories, articles)
    assert run_alert_rules(stories, now=NOW).counts.get("fired", 0) == 0  # 3 stories today: no spike
    clusters = make_settings(
        tmp_path / "clusters", smtp_server.port, WEEK_RULES.format(count="\n    count: clusters"),
        {**index_env, "WHIRLPOOL__ELASTICSEARCH__INDEX_PREFIX": index_env.get(
            "WHIRLPOOL__ELASTICSEARCH__INDEX_PREFIX", "") + "-clusters"}
    )  # fmt: skip
    index_articles(clusters, articles)
    assert run_alert_rules(clusters, now=NOW).counts["fired"] == 1  # 8 clusters: the same day is a spike
    message = smtp_server.messages[0][1]
    assert message["Subject"].startswith("Spike: summit 8 story clusters in 1d")
    assert "clusters per day" in message.get_body(("html",)).get_content()  # the chart says what it counts
    assert "Clusters per day, last 14 days:" in message.get_body(("plain",)).get_content()


def test_spike_email_lists_the_story_once_with_its_first_report(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port, WEEK_RULES.format(count=""))
    index_articles(settings, background(days=8, per_day=1, theme="summit") + summit_story() + other_stories(5))

    report = run_alert_rules(settings, now=NOW)

    assert report.counts["sent"] == 1
    message = smtp_server.messages[0][1]
    assert message["Subject"].startswith("Spike: summit 6 stories in 1d")  # 5 others and the summit
    text = " ".join(message.get_body(("plain",)).get_content().split())
    html = message.get_body(("html",)).get_content()
    first = local_time(FIRST_SEEN, settings.alerts.timezone)
    line = f"First reported by KCNA (state media) at {first}; then 4 outlets in 5 languages"
    assert line in text and line in html
    assert text.count("Summit report in") == 1  # the story once, listed by its earliest article
    assert "stories per day" in html and "Stories per day, last 14 days:" in text
    assert "Summit report in ko 0" in text
