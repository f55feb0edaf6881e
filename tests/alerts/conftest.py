"""Alert test parts: a real SMTP server (aiosmtpd) on 127.0.0.1, settings in a temp dir, a real index."""

from __future__ import annotations

import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.index.conftest import elasticsearch_url  # noqa: F401 - the shared Elasticsearch fixture
from whirlpool.article import Article, DateSource, article_id
from whirlpool.loopback import free_port
from whirlpool.settings import Settings, load_settings

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


class Inbox:
    """Collects every message the SMTP server accepts, parsed back with the email package."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.original_content, policy=policy.default))
        )
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        return self.inbox.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stopped_smtp_server():
    """A port with nothing listening (yet): the test starts it when it wants the server up."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


RULES = """
groups:
  analysts: [analysts@example.org, lead@example.org]
rules:
  - name: theme-spike
    type: spike
    dimension: themes
    window: 1d
    baseline_windows: 14
    min_count: 5
    cooldown: 1d
    refire_factor: 1.5
    recipients: analysts
"""


@pytest.fixture(params=["embedded", "elasticsearch"])
def index_env(request) -> dict[str, str]:
    """Environment for each backend: the embedded index, or the Elasticsearch API server (noida-db in CI)."""
    if request.param == "embedded":
        return {"WHIRLPOOL_INDEX_BACKEND": "embedded"}
    url = request.getfixturevalue("elasticsearch_url")
    prefix = f"alerts-test-{uuid.uuid4().hex[:10]}"
    return {
        "WHIRLPOOL_INDEX_BACKEND": "elasticsearch",
        "WHIRLPOOL_ES_URL": url,
        "WHIRLPOOL__ELASTICSEARCH__INDEX_PREFIX": prefix,
    }


def make_settings(
    tmp_path: Path, smtp_port: int, rules: str = RULES, env: dict[str, str] | None = None
) -> Settings:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "alerts.yaml").write_text(textwrap.dedent(rules), encoding="utf-8")
    environ = {
        "WHIRLPOOL_DATA_DIR": str(tmp_path / "data"),
        "WHIRLPOOL_INDEX_BACKEND": "embedded",
        "WHIRLPOOL_SMTP_HOST": "127.0.0.1",
        "WHIRLPOOL_SMTP_PORT": str(smtp_port),
        "WHIRLPOOL__ALERTS__SMTP__TIMEOUT_SECONDS": "5",
        **(env or {}),
    }
    return load_settings(config, environ=environ)


def make_article(
    n: int,
    published_at: datetime,
    themes: list[str],
    title: str | None = None,
    language: str = "en",
    source_id: str = "yonhap",
    cluster_of: int | None = None,
    date_source: DateSource = DateSource.PAGE,
    entities: list[str] | None = None,
) -> Article:
    url = f"https://news.example.org/{source_id}/{n}"
    rep_url = f"https://news.example.org/{source_id}/{cluster_of}" if cluster_of is not None else url
    return Article(
        id=article_id(url),
        url=url,
        canonical_url=url,
        source_id=source_id,
        source_name=source_id.upper(),
        source_kind="wire",
        title=title or f"Story {n} about {' and '.join(themes)}",
        summary=f"Summary of story {n}.",
        body=f"Body of story {n} on Russia and North Korea.",
        published_at=published_at,
        published_at_source=date_source,
        language=language,
        themes=themes,
        entities=entities or [],
        actors=["russia", "dprk"],
        relevance=0.9,
        relevant=True,
        cluster_id=article_id(rep_url),
        is_representative=cluster_of is None,
    )


def background(
    days: int = 15, per_day: int = 2, theme: str = "troop_deployment", start_n: int = 0
) -> list[Article]:
    """``per_day`` stories a day for the ``days`` days before NOW's window."""
    articles = []
    n = start_n
    for day in range(1, days + 1):
        for k in range(per_day):
            articles.append(make_article(n, NOW - timedelta(days=day, hours=2 + k), [theme]))
            n += 1
    return articles


def index_articles(settings: Settings, articles: list[Article]) -> None:
    from indexing import open_backend

    backend = open_backend(settings)
    try:
        backend.ensure_ready()
        result = backend.upsert(articles)
        assert result.failed == 0, result.errors
    finally:
        backend.close()
