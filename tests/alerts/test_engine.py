"""The alert stage end to end: a real embedded index, a real SMTP server on 127.0.0.1, state in SQLite."""

from __future__ import annotations

from datetime import timedelta

from alerting.engine import dry_run_dir, run_alert_rules
from tests.alerts.conftest import NOW, RULES, background, index_articles, make_article, make_settings
from whirlpool.article import DateSource


def spike_today(
    count: int, start_n: int = 1000, theme: str = "troop_deployment", title_prefix: str = "Troops"
):
    return [
        make_article(
            start_n + i, NOW - timedelta(hours=1 + i % 20, minutes=i), [theme], f"{title_prefix} report {i}"
        )
        for i in range(count)
    ]


def test_spike_is_emailed_with_top_clusters_chart_and_kibana_link(tmp_path, smtp_server, index_env):
    settings = make_settings(tmp_path, smtp_server.port, env=index_env)
    spike = spike_today(12)
    copies = [
        make_article(5000 + i, NOW - timedelta(minutes=30), ["troop_deployment"], cluster_of=1000)
        for i in range(3)
    ]
    index_articles(settings, background() + spike + copies)

    report = run_alert_rules(settings, now=NOW)

    assert report.errors == []
    assert report.counts["fired"] == 1 and report.counts["sent"] == 1
    recipients, message = smtp_server.messages[0]
    assert sorted(recipients) == ["analysts@example.org", "lead@example.org"]
    assert message["Subject"].startswith("Spike: troop_deployment 12 stories in 1d, 6× baseline")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Troops report 0" in text and "4 copies" in text  # the representative and its 3 copies
    assert "/app/discover#/" in html
    image = next(p for p in message.walk() if p.get_content_type() == "image/png")
    assert f"cid:{image['Content-ID'].strip('<>')}" in html
    assert image.get_content().startswith(b"\x89PNG")


def test_same_spike_is_not_sent_again_within_cooldown_but_refires_when_it_grows(
    tmp_path, smtp_server, index_env
):
    settings = make_settings(tmp_path, smtp_server.port, env=index_env)
    index_articles(settings, background() + spike_today(10))
    first = run_alert_rules(settings, now=NOW)
    second = run_alert_rules(settings, now=NOW + timedelta(hours=2))
    assert first.counts["sent"] == 1
    assert second.counts["sent"] == 0 and second.counts["suppressed_cooldown"] == 1
    assert len(smtp_server.messages) == 1

    index_articles(settings, spike_today(8, start_n=3000))  # 18 clusters now: grew past 1.5×
    third = run_alert_rules(settings, now=NOW + timedelta(hours=3))
    assert third.counts["sent"] == 1
    assert len(smtp_server.messages) == 2
    assert " 18 stories" in smtp_server.messages[1][1]["Subject"]


def test_guessed_dates_and_copies_do_not_make_a_spike(tmp_path, smtp_server, index_env):
    settings = make_settings(tmp_path, smtp_server.port, env=index_env)
    guessed = [
        make_article(2000 + i, NOW - timedelta(hours=2), ["troop_deployment"], date_source=DateSource.GUESSED)
        for i in range(15)
    ]
    copies = [
        make_article(4000 + i, NOW - timedelta(hours=3), ["troop_deployment"], cluster_of=4000)
        for i in range(1, 15)
    ]
    index_articles(
        settings,
        background()
        + guessed
        + [make_article(4000, NOW - timedelta(hours=4), ["troop_deployment"])]
        + copies,
    )

    report = run_alert_rules(settings, now=NOW)

    assert report.counts["fired"] == 0
    assert smtp_server.messages == []


def test_smtp_down_keeps_the_alert_and_sends_it_once_next_run(tmp_path, stopped_smtp_server, index_env):
    settings = make_settings(tmp_path, stopped_smtp_server.port, env=index_env)
    index_articles(settings, background() + spike_today(10))

    down = run_alert_rules(settings, now=NOW)
    assert down.counts["sent"] == 0 and down.counts["kept_for_retry"] == 1
    assert any(
        f"SMTP 127.0.0.1:{stopped_smtp_server.port} unreachable" in o.reason and "1 alert(s) kept" in o.reason
        for o in down.errors
    )

    stopped_smtp_server.start()
    up = run_alert_rules(settings, now=NOW + timedelta(hours=1))
    again = run_alert_rules(settings, now=NOW + timedelta(hours=2))

    assert up.counts["sent"] == 1 and up.counts["kept_for_retry"] == 0
    assert again.counts["sent"] == 0
    assert len(stopped_smtp_server.messages) == 1
    assert stopped_smtp_server.messages[0][1]["Subject"].startswith("Spike: troop_deployment 10 stories")


def test_dry_run_writes_eml_files_and_sends_nothing(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port)
    index_articles(settings, background() + spike_today(10))

    report = run_alert_rules(settings, dry_run=True, now=NOW)

    files = list(dry_run_dir(settings).glob("*.eml"))
    assert len(files) == 1 and b"Subject: Spike: troop_deployment 10 stories" in files[0].read_bytes()
    assert report.counts["would_send"] == 1 and smtp_server.messages == []
    assert str(dry_run_dir(settings)) in report.outputs[0]
    # a dry run leaves no state: the real run still sends
    assert run_alert_rules(settings, now=NOW).counts["sent"] == 1


DIGEST_RULES = """
groups:
  analysts: [analysts@example.org]
rules:
  - name: kn23-watch
    type: watch
    query: "KN-23"
    delivery: digest
    recipients: analysts
  - name: dead-feeds
    type: coverage_gap
    dimension: source_id
    values: [kcna, yonhap]
    silence: 24h
    recipients: analysts
  - name: daily
    type: digest
    hour: 13
    timezone: Europe/Moscow
    recipients: [desk@example.org]
"""


def test_digest_is_sent_once_a_day_with_watch_hits_gaps_and_escaped_titles(tmp_path, smtp_server, index_env):
    settings = make_settings(tmp_path, smtp_server.port, DIGEST_RULES, env=index_env)
    today = [
        make_article(
            1, NOW - timedelta(hours=3), ["arms_transfers"], "KN-23 <script>alert(1)</script> seen", "ru"
        ),
        make_article(2, NOW - timedelta(hours=5), ["diplomacy_treaty"], "조약 비준", "ko"),
    ]
    index_articles(settings, background(days=3, per_day=1) + today)

    early = run_alert_rules(settings, now=NOW)  # 12:00 in Moscow: before the digest hour
    assert [m[1]["Subject"] for m in smtp_server.messages] == ["Coverage gap: no items from kcna in 24h"]
    assert early.counts.get("watch_held_for_digest") == 1

    run_alert_rules(settings, now=NOW + timedelta(hours=4))  # 16:00 in Moscow
    run_alert_rules(settings, now=NOW + timedelta(hours=5))
    digests = [m for m in smtp_server.messages if m[1]["Subject"].startswith("Daily digest")]
    assert len(digests) == 1
    recipients, digest = digests[0]
    assert recipients == ["desk@example.org"]
    html = digest.get_body(("html",)).get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "Watched queries" in html and "no items from kcna" in html and "조약 비준" in html


def test_an_earlier_spike_in_the_baseline_does_not_hide_a_new_spike_on_a_quiet_theme(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port)
    others = ["arms_transfers", "sanctions", "diplomacy_treaty", "economy_trade", "labor_migration"]
    quiet = [
        a for n, t in enumerate(others) for a in background(per_day=1, theme=t, start_n=10_000 + 100 * n)
    ]
    earlier = [
        make_article(7000 + i, NOW - timedelta(days=5, hours=3, minutes=i), ["troop_deployment"])
        for i in range(14)
    ]
    index_articles(settings, background() + quiet + earlier + spike_today(8))

    report = run_alert_rules(settings, now=NOW)

    # The first detector's plain mean (3.0 with the earlier burst) made 8 unremarkable (Poisson p = 0.012).
    assert report.counts["fired"] == 1 and report.counts["sent"] == 1
    _, message = smtp_server.messages[0]
    assert message["Subject"].startswith("Spike: troop_deployment 8 stories in 1d")
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "baseline mean of 2.0" in text and "1 earlier spike window(s) left out of the baseline" in text


def test_coverage_gap_watches_only_sources_that_are_polled_and_says_which_are_not(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port, DIGEST_RULES)
    (tmp_path / "config" / "sources.yaml").write_text(
        "sources:\n"
        "  - {id: kcna, name: KCNA Watch, homepage: 'https://kcnawatch.org/', feeds: ['https://kcnawatch.org/feed/'],\n"
        "     language: en, country: US, kind: specialist}\n"
        "  - {id: yonhap, name: Yonhap, homepage: 'https://en.yna.co.kr/', feeds: ['https://en.yna.co.kr/RSS/nk.xml'],\n"
        "     language: en, country: KR, kind: wire,\n"
        "     enabled: false, disabled_reason: feed moved}\n",
        encoding="utf-8",
    )
    index_articles(settings, background(days=3, per_day=1))  # nothing from either source in 24 h
    from crawlers.health import HealthStore

    HealthStore(settings.state_dir).record_success("kcna", NOW - timedelta(days=2), 3, 1)  # polled before

    report = run_alert_rules(settings, now=NOW)

    assert [m[1]["Subject"] for m in smtp_server.messages] == ["Coverage gap: no items from kcna in 24h"]
    warnings = [o.line() for o in report.outcomes if "not watched" in o.line()]
    assert len(warnings) == 1 and "yonhap not enabled in sources.yaml" in warnings[0]


def test_digest_counts_a_story_with_several_themes_once(tmp_path, smtp_server):
    settings = make_settings(tmp_path, smtp_server.port, DIGEST_RULES)
    themes = ["arms_transfers", "troop_deployment", "sanctions"]
    story = make_article(1, NOW - timedelta(hours=2), themes, "Shells, troops and sanctions")
    copy = make_article(2, NOW - timedelta(hours=1), themes, "Shells, troops and sanctions", cluster_of=1)
    index_articles(settings, [story, copy])

    run_alert_rules(settings, now=NOW + timedelta(hours=4))  # 16:00 in Moscow: after the digest hour

    digests = [m[1]["Subject"] for m in smtp_server.messages if m[1]["Subject"].startswith("Daily digest")]
    assert digests == ["Daily digest 2026-03-20: 1 story, 0 alerts, 1 coverage gap"]


def test_digest_lists_a_spike_that_fires_in_the_same_run_even_when_the_digest_rule_comes_first(
    tmp_path, smtp_server
):
    digest_first = DIGEST_RULES.replace("rules:\n", "rules:\n" + """\
  - name: daily-first
    type: digest
    hour: 13
    timezone: Europe/Moscow
    recipients: [desk@example.org]
""") + RULES.split("rules:\n", 1)[1]  # fmt: skip
    settings = make_settings(tmp_path, smtp_server.port, digest_first)
    index_articles(settings, background() + spike_today(12))

    report = run_alert_rules(settings, now=NOW + timedelta(hours=4))  # 16:00 in Moscow: digest time

    assert report.counts["fired"] >= 2 and report.errors == []
    subjects = [m[1]["Subject"] for m in smtp_server.messages]
    assert any(s.startswith("Spike: troop_deployment") for s in subjects)
    digests = [m for m in smtp_server.messages if m[1]["Subject"].startswith("Daily digest")]
    assert len(digests) == 2 and all(", 1 alert," in m[1]["Subject"] for m in digests)
    text = " ".join(digests[0][1].get_body(("plain",)).get_content().split())
    assert "Alerts of the day" in text and "theme-spike: troop_deployment, 12 stories" in text


def test_first_day_sends_no_gap_for_sources_never_polled_and_no_empty_digest(tmp_path, smtp_server):
    """At scheduler start the alerts ran before the first collect: a coverage gap for sources never
    polled and 'Daily digest: 0 story clusters', which used up the day's digest (issue 13, 10)."""
    settings = make_settings(tmp_path, smtp_server.port, DIGEST_RULES)
    (tmp_path / "config" / "sources.yaml").write_text(
        "sources:\n"
        "  - {id: kcna, name: KCNA Watch, homepage: 'https://kcnawatch.org/', feeds: ['https://kcnawatch.org/feed/'],\n"
        "     language: en, country: US, kind: specialist}\n",
        encoding="utf-8",
    )
    at_digest_hour = NOW + timedelta(hours=4)  # 16:00 in Moscow
    report = run_alert_rules(settings, now=at_digest_hour)
    assert smtp_server.messages == []
    assert report.counts["digest_empty_not_sent"] == 1
    assert any("kcna not polled yet" in o.line() for o in report.outcomes)

    index_articles(
        settings, [make_article(1, at_digest_hour - timedelta(hours=1), ["arms_transfers"], "KN-23")]
    )
    run_alert_rules(settings, now=at_digest_hour + timedelta(minutes=30))
    assert [m[1]["Subject"][:12] for m in smtp_server.messages] == ["Daily digest"]
