"""Alert emails: multipart text + HTML from Jinja2 templates, with inline PNG charts (cid:)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import quote

import prison
from jinja2 import Environment, FileSystemLoader, select_autoescape

from alerting.chart import render_bar_chart
from indexing.kibana import LIST_COLUMNS
from whirlpool.timetext import local_time

_TEMPLATES = Path(__file__).parent / "templates"
_html_env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
_text_env = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=False)


@dataclass
class Story:
    """One story, shown once: the article listed for it, how many articles it has (copies and
    other outlets), and its first report (``processing.stories``) with the outlets and languages
    that followed."""

    id: str
    title: str
    source_name: str
    language: str
    published_at: datetime | None
    url: str
    copies: int = 1  # of the listed article (its duplicate cluster)
    snippet: str = ""
    first_source: str = ""
    first_source_kind: str = ""  # state_media, wire, independent…
    first_seen: datetime | None = None
    outlets: int = 1  # distinct sources
    languages: list[str] = field(default_factory=list)

    def first_report(self, zone: str = "UTC") -> str:
        """``First reported by KCNA (state media) at 2026-03-04 06:10 KST; then 5 outlets in 4
        languages``: empty when the first source is unknown or the story has one outlet (its
        listed article says it all)."""
        if not self.first_source or self.outlets < 2:
            return ""
        kind = f" ({self.first_source_kind.replace('_', ' ')})" if self.first_source_kind else ""
        line = f"First reported by {self.first_source}{kind} at {local_time(self.first_seen, zone)}"
        others = self.outlets - 1
        if others > 0:
            k = len(self.languages)
            line += f"; then {others} outlet{'s' if others != 1 else ''} in {k} language{'s' if k != 1 else ''}"
        return line


@dataclass
class Section:
    """One part of an email: a heading, why it is there, its stories, and optionally a chart."""

    heading: str
    reason: str = ""
    stories: list[Story] = field(default_factory=list)
    series: list[int] | None = None  # last 14 days, for the inline chart
    series_label: str = ""
    series_unit: str = "stories"  # what the series counts: stories or (duplicate) clusters
    kibana_link: str | None = None
    lines: list[str] = field(default_factory=list)  # plain items (coverage gaps, spikes of the day)
    chart_cid: str | None = None


@dataclass
class AlertEmail:
    rule: str
    key: str  # identifies what this email is about: same key + same window → same message id
    subject: str
    recipients: list[str]
    sections: list[Section]
    generated_at: datetime

    @property
    def message_id(self) -> str:
        digest = hashlib.sha1(f"{self.rule}|{self.key}".encode()).hexdigest()[:24]
        return f"<{digest}@whirlpool.alerts>"


def kibana_discover_link(kibana_url: str, data_view_id: str, kql: str, start: datetime, end: datetime) -> str:
    """A Kibana Discover URL: the saved data view, the query (KQL) and the time range [start, end],
    in Discover's rison URL state (``_g`` global time, ``_a`` app state)."""
    g = {"time": {"from": kibana_time(start), "to": kibana_time(end)}}
    a = {
        "columns": LIST_COLUMNS,
        "dataSource": {"dataViewId": data_view_id, "type": "dataView"},
        "filters": [],
        "query": {"language": "kuery", "query": kql},
        "sort": [["published_at", "desc"]],
    }
    safe = "(),:!"
    return (
        f"{kibana_url.rstrip('/')}/app/discover#/"
        f"?_g={quote(prison.dumps(g), safe=safe)}&_a={quote(prison.dumps(a), safe=safe)}"
    )


def kibana_time(moment: datetime) -> str:
    """An absolute time as Kibana writes it in URLs: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render_email(alert: AlertEmail, sender: str, timezone: str = "UTC") -> EmailMessage:
    """Build the MIME message: multipart/alternative (text, multipart/related (HTML, PNGs)); times
    are shown in ``timezone`` (the alerts.timezone setting)."""
    charts: list[tuple[str, bytes]] = []
    for number, section in enumerate(alert.sections):
        if section.series:
            cid = make_msgid(idstring=f"chart{number}", domain="whirlpool.alerts")
            section.chart_cid = cid[1:-1]
            charts.append((cid, render_bar_chart(section.series)))
    context = {
        "alert": alert,
        "sections": alert.sections,
        "local": lambda value: local_time(value, timezone),
        "first_report": lambda story: story.first_report(timezone),
    }
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = sender
    message["To"] = ", ".join(alert.recipients)
    message["Date"] = format_datetime(alert.generated_at)
    message["Message-ID"] = alert.message_id
    message.set_content(_text_env.get_template("alert.txt.j2").render(context))
    message.add_alternative(_html_env.get_template("alert.html.j2").render(context), subtype="html")
    html_part = message.get_payload()[1]
    for cid, png in charts:
        html_part.add_related(png, "image", "png", cid=cid, filename=f"{cid[1:].split('@')[0]}.png")
    return message
