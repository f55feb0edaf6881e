"""whirlpool_alerts: evaluate the alert rules often, and at the daily digest's hour, and after indexing.

Runs on a frequent cron (WHIRLPOOL_SPIKE_CRON, default every 15 minutes) for spikes, watches and
coverage gaps, on a daily cron at the digest rule's hour and time zone (config/alerts.yaml), and when
``whirlpool_index_updated`` is emitted. Rules are evaluated at the run's logical date, and the alert
state (cooldowns, digests sent, an outbox with stable message ids) makes a re-run send nothing twice.
Catchup is off: a late alert about the past is noise. SMTP: connection ``whirlpool_smtp`` or env.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset, AssetOrTimeSchedule, MultipleCronTriggerTimetable, dag, task

from whirlpool.orchestration import INDEXED_ASSET_URI, alert_crons, task_defaults

INDEX_UPDATED = Asset(name="whirlpool_index_updated", uri=INDEXED_ASSET_URI)
CRONS, TIMEZONE = alert_crons()


@dag(
    dag_id="whirlpool_alerts",
    schedule=AssetOrTimeSchedule(
        timetable=MultipleCronTriggerTimetable(*CRONS, timezone=TIMEZONE), assets=[INDEX_UPDATED]
    ),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=30),
    default_args=task_defaults(),
    tags=["whirlpool"],
    doc_md=__doc__,
)
def whirlpool_alerts():
    @task(execution_timeout=timedelta(minutes=15))
    def evaluate_alert_rules(*, logical_date=None, dag_run=None) -> dict:
        """run_alerts at the run's time; emails that could not be sent stay in the outbox for the next run."""
        from whirlpool.orchestration import (
            alert_time,
            report_lines,
            retry_reason,
            task_settings,
            xcom_summary,
        )
        from whirlpool.pipeline import run_alerts

        report = run_alerts(task_settings(), now=alert_time(logical_date, dag_run.run_after))
        print("\n".join(report_lines(report)))
        if problem := retry_reason(report):
            raise RuntimeError(problem)  # nothing was evaluated; Airflow retries with backoff
        return xcom_summary(report)

    evaluate_alert_rules()


whirlpool_alerts()
