"""Every "Open in Kibana" link in every kind of alert email opens the saved data view, with the
email's query as KQL over mapped fields (cross-script expansion included) and the alert's window."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import prison

from alerting.engine import dry_run_dir, run_alert_rules
from indexing.kibana import saved_objects
from indexing.mapping import article_mapping
from tests.alerts.conftest import NOW, background, index_articles, make_article, make_settings
from tests.kql_reader import kql_clauses

ROOT = Path(__file__).resolve().parents[2]

RULES = """
groups:
  analysts: [analysts@example.org]
rules:
  - name: theme-spike
    type: spike
    dimension: themes
    window: 1d
    baseline_windows: 14
    min_count: 5
    recipients: analysts
  - name: new-weapons
    type: new_entity
    dimension: entities
    window: 12h
    baseline_windows: 14
    min_count: 3
    recipients: analysts
  - name: missiles-watch
    type: watch
    query: "KN-23 OR entity:weapon.kn23"
    lookback: 3d
    recipients: analysts
  - name: silent-korean
    type: coverage_gap
    dimension: language
    values: [ko]
    silence: 24h
    recipients: analysts
  - name: digest
    type: digest
    hour: 0
    timezone: UTC
    recipients: analysts
"""
# The window each email's stories (and so its link) cover.
WINDOWS = {
    "theme-spike": timedelta(days=1),
    "new-weapons": timedelta(hours=12),
    "missiles-watch": timedelta(days=3),
    "digest": timedelta(days=1),
}


def mapped_fields() -> set[str]:
    fields = set()
    for name, spec in article_mapping()["properties"].items():
        fields.add(name)
        fields.update(f"{name}.{sub}" for sub in spec.get("fields", {}))
    return fields


def discover_links(eml: bytes) -> list[str]:
    message = message_from_bytes(eml, policy=policy.default)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    hrefs = [unquote_html(h) for h in re.findall(r'href="([^"]+)"', html)]
    lines = re.findall(r"In Kibana: (\S+)", text)
    assert sorted(h for h in hrefs if "/app/discover" in h) == sorted(lines)
    return lines


def unquote_html(value: str) -> str:
    return value.replace("&amp;", "&").replace("&#39;", "'").replace("&#34;", '"')


def parse_discover(link: str) -> tuple[dict, dict]:
    """The ``_g`` and ``_a`` rison states of a Discover URL."""
    fragment = urlsplit(link).fragment
    assert fragment.startswith("/?"), link
    params = parse_qs(fragment[2:], keep_blank_values=True)
    return prison.loads(params["_g"][0]), prison.loads(params["_a"][0])


def kibana_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def build_emails(tmp_path) -> dict[str, bytes]:
    settings = make_settings(tmp_path, smtp_port=1, rules=RULES)
    shutil.copy(ROOT / "config" / "taxonomy.yaml", settings.config_dir / "taxonomy.yaml")
    spike = [
        make_article(1000 + i, NOW - timedelta(hours=1 + i), ["troop_deployment"], f"Troops report {i}")
        for i in range(12)
    ]
    weapons = [
        make_article(2000 + i, NOW - timedelta(hours=1 + i), ["arms_transfers"], f"KN-23 shipment {i}",
                     entities=["weapon.kn23"])
        for i in range(4)
    ]  # fmt: skip
    index_articles(settings, background() + spike + weapons)
    report = run_alert_rules(settings, dry_run=True, now=NOW)
    assert report.errors == []
    return {path.name.rsplit("-", 1)[0]: path.read_bytes() for path in dry_run_dir(settings).glob("*.eml")}


def test_every_alert_kind_links_to_the_saved_data_view_with_mapped_kql_and_the_alert_window(tmp_path):
    emails = build_emails(tmp_path)
    assert set(emails) == {"theme-spike", "new-weapons", "missiles-watch", "silent-korean", "digest"}
    data_views = {o["id"] for o in saved_objects("whirlpool-articles") if o["type"] == "index-pattern"}
    fields = mapped_fields()
    queries = {}
    for rule, eml in emails.items():
        links = discover_links(eml)
        if rule == "silent-korean":
            assert links == []  # a coverage gap lists what is missing: nothing to open
            continue
        assert links, f"{rule}: no Discover link"
        for link in links:
            g, a = parse_discover(link)
            assert a["dataSource"] == {"dataViewId": "whirlpool-articles-data-view", "type": "dataView"}
            assert a["dataSource"]["dataViewId"] in data_views
            assert a["query"]["language"] == "kuery"
            clauses = kql_clauses(a["query"]["query"])
            assert {field for field, _ in clauses} <= fields, f"{rule}: unmapped field in {a['query']}"
            assert kibana_time(g["time"]["to"]) == NOW, rule
            assert kibana_time(g["time"]["from"]) == NOW - WINDOWS[rule], rule
            queries.setdefault(rule, []).append(clauses)

    (spike,) = queries["theme-spike"]
    assert ("themes", "troop_deployment") in spike and ("is_representative", "true") in spike
    assert ("published_at_source", "page") in spike  # guessed dates left out, as in the count
    (new,) = queries["new-weapons"]
    assert ("entities", "weapon.kn23") in new
    (watch,) = queries["missiles-watch"]
    # the saved query over real fields, with the expansion of the free text "KN-23"
    assert (
        ("entities", "weapon.kn23") in watch and ("title", "KN-23") in watch and ("body.ru", "KN-23") in watch
    )
    assert ("relevant", "true") in watch
    assert any(("themes", "troop_deployment") in clauses for clauses in queries["digest"])
