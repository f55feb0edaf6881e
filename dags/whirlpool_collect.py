"""whirlpool_collect: every 10 minutes, poll the due sources, one mapped task per source group.

Catchup is off on purpose: a feed only shows what is current, so a missed interval is covered by the
next run, not by polling again for the past. One run at a time, as runs share the seen-URL state.
A new raw batch emits the ``whirlpool_raw_batches`` asset, which starts ``whirlpool_process``.
"""

from __future__ import annotations

from datetime import timedelta

from _whirlpool import RAW_BATCHES, dag_arguments, log
from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from whirlpool.orchestration import COLLECT_CRON

SCHEDULE = CronTriggerTimetable(COLLECT_CRON, timezone="UTC")


@dag(**dag_arguments("whirlpool_collect", SCHEDULE, __doc__, timedelta(minutes=45)))
def whirlpool_collect():
    @task
    def list_source_groups() -> list[str]:
        """Seal raw batches an interrupted run left, then name the groups to fan out over."""
        from whirlpool.orchestration import prepare_collect, task_settings

        return prepare_collect(task_settings())

    @task(map_index_template="{{ source_group }}", execution_timeout=timedelta(minutes=20))
    def collect_group(group: str) -> dict:
        """Poll this group's due sources into one raw batch. A bad feed is reported, not raised; the
        task fails (without retries: sources back off on their own) only when every source it polled
        failed, which points at the network rather than at one feed, or when the crawl stopped before
        finishing (a crash, a failed write): what it wrote is kept, unpolled sources stay due."""
        from whirlpool.orchestration import (
            collect_group,
            collect_outage,
            report_lines,
            task_settings,
            xcom_summary,
        )

        get_current_context()["source_group"] = group  # names the mapped task in the UI
        report = collect_group(task_settings(), group)
        for line in report_lines(report):
            log.info("%s", line)
        if outage := collect_outage(report, group):
            raise AirflowFailException(outage)  # what was fetched is in the raw batch, announced below
        return xcom_summary(report)

    @task(outlets=[RAW_BATCHES], trigger_rule="all_done")
    def announce_raw_batches(*, outlet_events=None) -> list[str]:
        """Emit the asset when raw batches wait for processing (also those of a group that failed)."""
        from whirlpool.orchestration import pending_batches, task_settings
        from whirlpool.stagestore import RAW

        batches = pending_batches(task_settings(), RAW)
        if not batches:
            raise AirflowSkipException("no raw batch waiting for processing")
        outlet_events[RAW_BATCHES].extra = {"batches": batches}
        return batches

    @task(trigger_rule="one_failed", retries=0)
    def fail_run_if_a_task_failed() -> None:
        """Airflow colours a run by its last tasks; this one makes a failed group show on the run."""
        raise AirflowFailException("a collect task failed: its log names the sources and why")

    collected = collect_group.expand(group=list_source_groups())
    announced = collected >> announce_raw_batches()
    [collected, announced] >> fail_run_if_a_task_failed()


whirlpool_collect()
