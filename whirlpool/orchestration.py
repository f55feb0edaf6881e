"""What the Airflow DAGs need beyond the stage functions, as plain functions (Airflow imported lazily).

- Settings as a task sees them: the config folder from ``WHIRLPOOL_CONFIG_DIR`` (else as
  ``whirlpool.settings.config_dir`` finds it), the Elasticsearch
  cluster and SMTP server from the Airflow connections ``whirlpool_elasticsearch`` and ``whirlpool_smtp``
  (UI, secrets backend or ``AIRFLOW_CONN_*`` as URI or JSON), else the ``WHIRLPOOL_*`` environment.
- The collect fan-out: enabled sources grouped by ``Source.fan_out_group``, one mapped task per group.
- Names of the assets the DAGs emit and schedule on, and the alert schedule.
- Task defaults (retries with exponential backoff, timeouts) in one place.
- What goes to XCom: counts, paths and batch names from a StageReport, never articles.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from whirlpool.report import StageReport
from whirlpool.settings import Settings, load_settings
from whirlpool.settings import config_dir as find_config_dir
from whirlpool.sources import Source, load_sources

ES_CONN_ID = "whirlpool_elasticsearch"
SMTP_CONN_ID = "whirlpool_smtp"

# Asset URIs: a new raw batch, a new processed batch, new documents in the index.
RAW_ASSET_URI = "x-whirlpool://stages/raw"
PROCESSED_ASSET_URI = "x-whirlpool://stages/processed"
INDEXED_ASSET_URI = "x-whirlpool://index/articles"

COLLECT_CRON = "*/10 * * * *"
SPIKE_CRON_DEFAULT = "*/15 * * * *"


# -- settings from connections and the environment ------------------------------------------------
def parse_connection(value: str, conn_id: str = "whirlpool") -> dict[str, Any]:
    """An ``AIRFLOW_CONN_*`` value (URI or JSON), read by Airflow's own ``Connection``, as conn_type,
    host, port, login, password, schema, extra."""
    try:
        from airflow.sdk import Connection
    except ImportError:
        raise ValueError(
            "an AIRFLOW_CONN_* variable is set but Airflow is not installed: "
            "pip install 'whirlpool[airflow]', or set WHIRLPOOL_ES_*/WHIRLPOOL_SMTP_* instead"
        ) from None
    value = value.strip()
    if value.startswith("{"):
        return connection_fields(Connection.from_json(value, conn_id=conn_id))
    return connection_fields(Connection.from_uri(value, conn_id=conn_id))


def connection_fields(conn: Any) -> dict[str, Any]:
    """An Airflow ``Connection`` object as the plain dict :func:`parse_connection` returns."""
    return {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "port": conn.port,
        "login": conn.login,
        "password": conn.password,
        "schema": conn.schema or None,
        "extra": conn.extra_dejson,
    }


def airflow_connection(conn_id: str) -> dict[str, Any] | None:
    """The connection as Airflow resolves it in a running task; None when undefined or outside Airflow."""
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:
        return None
    try:
        return connection_fields(Connection.get(conn_id))
    except AirflowNotFoundException:
        return None


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def es_environ(conn: dict[str, Any]) -> dict[str, str]:
    """WHIRLPOOL_ES_* from an Elasticsearch connection (scheme from extra ``scheme``, default http)."""
    extra = conn.get("extra") or {}
    scheme = extra.get("scheme") or ("https" if conn.get("conn_type") == "https" else "http")
    env = {"WHIRLPOOL_ES_URL": f"{scheme}://{conn['host']}:{conn.get('port') or 9200}"}
    if conn.get("login"):
        env["WHIRLPOOL_ES_USERNAME"] = conn["login"]
    if conn.get("password"):
        env["WHIRLPOOL_ES_PASSWORD"] = conn["password"]
    if extra.get("api_key"):
        env["WHIRLPOOL_ES_API_KEY"] = extra["api_key"]
    if extra.get("ca_certs"):
        env["WHIRLPOOL_ES_CA_CERTS"] = extra["ca_certs"]
    return env


def smtp_environ(conn: dict[str, Any]) -> dict[str, str]:
    """WHIRLPOOL_SMTP_* from an SMTP connection.

    Extra: ``ssl``/``starttls`` (or the smtp provider's ``disable_ssl``/``disable_tls``), ``from_email``,
    ``timeout``. Unlike the provider, plain SMTP is the default, as a development catcher speaks it.
    """
    extra = conn.get("extra") or {}
    env = {
        "WHIRLPOOL_SMTP_HOST": conn.get("host") or "localhost",
        "WHIRLPOOL_SMTP_PORT": str(conn.get("port") or 25),
    }
    if conn.get("login"):
        env["WHIRLPOOL_SMTP_USERNAME"] = conn["login"]
    if conn.get("password"):
        env["WHIRLPOOL_SMTP_PASSWORD"] = conn["password"]
    flags = {"ssl": "disable_ssl", "starttls": "disable_tls"}
    for key, provider_key in flags.items():
        if key in extra:
            env[f"WHIRLPOOL__ALERTS__SMTP__{key.upper()}"] = str(_truthy(extra[key])).lower()
        elif provider_key in extra:
            env[f"WHIRLPOOL__ALERTS__SMTP__{key.upper()}"] = str(not _truthy(extra[provider_key])).lower()
    if extra.get("from_email"):
        env["WHIRLPOOL__ALERTS__SMTP__SENDER"] = extra["from_email"]
    if extra.get("timeout"):
        env["WHIRLPOOL__ALERTS__SMTP__TIMEOUT_SECONDS"] = str(extra["timeout"])
    return env


def settings_environ(
    environ: dict[str, str] | None = None,
    es_conn: dict[str, Any] | None = None,
    smtp_conn: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The environment with connection-derived overrides; connections default to ``AIRFLOW_CONN_*``."""
    env = dict(os.environ if environ is None else environ)
    if es_conn is None and env.get("AIRFLOW_CONN_WHIRLPOOL_ELASTICSEARCH"):
        es_conn = parse_connection(env["AIRFLOW_CONN_WHIRLPOOL_ELASTICSEARCH"], ES_CONN_ID)
    if smtp_conn is None and env.get("AIRFLOW_CONN_WHIRLPOOL_SMTP"):
        smtp_conn = parse_connection(env["AIRFLOW_CONN_WHIRLPOOL_SMTP"], SMTP_CONN_ID)
    if es_conn and es_conn.get("host"):
        env.update(es_environ(es_conn))
    if smtp_conn and smtp_conn.get("host"):
        env.update(smtp_environ(smtp_conn))
    return env


def task_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings as a DAG task sees them: config as config_dir() finds it (WHIRLPOOL_CONFIG_DIR under
    Airflow), secrets from connections/env."""
    return load_settings(
        environ=settings_environ(
            environ, es_conn=airflow_connection(ES_CONN_ID), smtp_conn=airflow_connection(SMTP_CONN_ID)
        )
    )


# -- collect fan-out -------------------------------------------------------------------------------
def source_groups(settings: Settings) -> list[str]:
    """Fan-out groups of the enabled sources, sorted, so each mapped task collects one group."""
    sources = load_sources(settings.config_path("sources.yaml"), only_enabled=True)
    return sorted({source.fan_out_group for source in sources})


def sources_in_group(settings: Settings, group: str) -> list[Source]:
    """The enabled sources of one fan-out group (empty if the group disappeared since mapping)."""
    sources = load_sources(settings.config_path("sources.yaml"), only_enabled=True)
    return [source for source in sources if source.fan_out_group == group]


def prepare_collect(settings: Settings) -> list[str]:
    """Before the parallel collect tasks start: seal raw batches an interrupted run left, list the groups."""
    from whirlpool.stagestore import RAW, StageStore

    StageStore(settings.data_dir).recover_partials(RAW)
    return source_groups(settings)


def collect_group(settings: Settings, group: str) -> StageReport:
    """Collect one fan-out group; safe beside other groups' tasks (no recovery of their partial batches)."""
    from whirlpool.pipeline import run_collect

    report = run_collect(settings, sources_in_group(settings, group), recover_partials=False)
    report.notes.append(f"group {group}")
    return report


def pending_batches(settings: Settings, stage: str) -> list[str]:
    """Names of the batches of ``stage`` (raw or processed) the next stage has not consumed yet."""
    from whirlpool.pipeline import PROCESS_CONSUMER, index_consumer
    from whirlpool.stagestore import PROCESSED, RAW, StageStore

    consumer = {RAW: PROCESS_CONSUMER, PROCESSED: index_consumer(settings)}[stage]
    store = StageStore(settings.data_dir)
    return [store.batch_name(path) for path in store.pending(stage, consumer)]


def batch_names(paths: list[str]) -> list[str]:
    """Batch names of the batch files among a report's outputs (other outputs are left out)."""
    return [Path(p).name.removesuffix(".jsonl.gz") for p in paths if p.endswith(".jsonl.gz")]


# -- schedules and task defaults ---------------------------------------------------------------------
def digest_time(config_dir: Path | None = None) -> tuple[int, str]:
    """(hour, time zone) of the first enabled digest rule in alerts.yaml; (7, alerts.timezone) when there is none.

    Read at DAG parse time, so it is one small YAML read that never raises: a broken alerts.yaml is
    reported by the alerts task itself, with file and line.
    """
    folder = Path(config_dir) if config_dir else find_config_dir().path
    zone = "UTC"
    try:  # a digest rule that names no time zone follows alerts.timezone in settings.yaml
        settings = yaml.safe_load((folder / "settings.yaml").read_text(encoding="utf-8")) or {}
        zone = str((settings.get("alerts") or {}).get("timezone") or "UTC")
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError):
        pass
    try:
        data = yaml.safe_load((folder / "alerts.yaml").read_text(encoding="utf-8")) or {}
        for rule in data.get("rules") or []:
            if rule.get("type") == "digest" and rule.get("enabled", True):
                return int(rule.get("hour", 7)), str(rule.get("timezone") or zone)
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError):
        pass
    return 7, zone


def alert_crons(
    environ: dict[str, str] | None = None, config_dir: Path | None = None
) -> tuple[list[str], str]:
    """([spike check cron, daily digest cron], time zone): WHIRLPOOL_SPIKE_CRON and the digest rule."""
    env = os.environ if environ is None else environ
    hour, timezone = digest_time(config_dir)
    return [env.get("WHIRLPOOL_SPIKE_CRON") or SPIKE_CRON_DEFAULT, f"0 {hour} * * *"], timezone


def task_defaults(environ: dict[str, str] | None = None) -> dict[str, Any]:
    """default_args of every Whirlpool DAG: retries with exponential backoff (WHIRLPOOL_TASK_RETRIES, 3)."""
    env = os.environ if environ is None else environ
    return {
        "owner": "whirlpool",
        "retries": int(env.get("WHIRLPOOL_TASK_RETRIES", "3")),
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
        "execution_timeout": timedelta(minutes=30),
    }


def alert_time(logical_date: datetime | None, run_after: datetime) -> datetime:
    """The "now" alert rules are evaluated at: the run's logical date (an asset-triggered run has none).

    Returned as a plain ``datetime`` in UTC: Airflow's pendulum datetimes do not mix with the stdlib's.
    """
    moment = logical_date or run_after
    return datetime.fromtimestamp(moment.timestamp(), tz=UTC)


# -- XCom --------------------------------------------------------------------------------------------
def xcom_summary(report: StageReport, max_errors: int = 20) -> dict[str, Any]:
    """A StageReport for XCom: counts, outputs (paths), notes, the first errors; never articles."""
    data = report.to_dict()
    keep = {key: data[key] for key in ("stage", "counts", "outputs", "notes")}
    keep["errors"] = data["errors"][:max_errors]
    keep["errors_total"] = len(data["errors"])
    return keep


def retry_reason(report: StageReport) -> str | None:
    """The report's first error marked ``retry_later`` (e.g. the index was down): the task should fail
    so Airflow retries it with backoff; what it could not do is still pending."""
    return next((o.line() for o in report.errors if o.retry_later), None)


def collect_outage(report: StageReport, group: str) -> str | None:
    """A line when every source a group polled failed (two or more): a network, proxy or DNS problem
    rather than one dead feed. One dead feed leaves the task green: the coverage-gap alert and
    ``whirlpool sources`` report it, and its back-off spaces out the next tries.

    Also when the crawl stopped before finishing (it crashed, or a write failed: its error is marked
    ``retry_later``): what it wrote is kept and the sources it did not poll are still due."""
    if stopped := retry_reason(report):
        return f"group {group}: {stopped}"
    polled, failed = report.counts.get("sources_polled", 0), report.counts.get("sources_failed", 0)
    if polled < 2 or failed < polled:
        return None
    first = report.errors[0].line() if report.errors else "no error recorded"
    return f"group {group}: all {polled} sources polled failed; the first: {first}"


def report_lines(report: StageReport) -> list[str]:
    """What a task logs: one line of counts, then each error and warning in one line."""
    counts = ", ".join(f"{name}={n}" for name, n in sorted(report.counts.items())) or "nothing counted"
    return [f"{report.stage}: {counts}", *(outcome.line() for outcome in report.outcomes), *report.outputs]
