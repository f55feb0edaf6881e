"""whirlpool_alerts: evaluate the alert rules often, and at the daily digest's hour, and after indexing.

Runs on a frequent cron (WHIRLPOOL_SPIKE_CRON, default every 15 minutes) for spikes, watches and
coverage gaps, on a daily cron at the digest rule's hour and time zone (config/alerts.yaml), and when
``whirlpool_index_updated`` is emitted. Rules are evaluated at the run's logical date, and the alert
state (cooldowns, digests sent, an outbox with stable message ids) makes a re-run send nothing twice.
Catchup is off: a late alert about the past is noise. SMTP: connection ``whirlpool_smtp`` or env.
"""

from __future__ import annotations

from datetime import timedelta

from _whirlpool import INDEX_UPDATED, dag_arguments, run_stage
from airflow.sdk import AssetOrTimeSchedule, MultipleCronTriggerTimetable, dag, task

from whirlpool.orchestration import alert_crons

CRONS, TIMEZONE = alert_crons()
SCHEDULE = AssetOrTimeSchedule(
    timetable=MultipleCronTriggerTimetable(*CRONS, timezone=TIMEZONE), assets=[INDEX_UPDATED]
)


@dag(**dag_arguments("whirlpool_alerts", SCHEDULE, __doc__, timedelta(minutes=30)))
def whirlpool_alerts():
    @task(execution_timeout=timedelta(minutes=15))
    def evaluate_alert_rules(*, logical_date=None, dag_run=None) -> dict:
        """run_alerts at the run's time; emails that could not be sent stay in the outbox for the next
        run, and rules not evaluated (the index down) make Airflow retry."""
        from whirlpool.orchestration import alert_time
        from whirlpool.pipeline import run_alerts

        return run_stage(run_alerts, now=alert_time(logical_date, dag_run.run_after))

    evaluate_alert_rules()


whirlpool_alerts()
