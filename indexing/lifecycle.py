"""Index lifecycle on Elasticsearch: an ILM policy, replicas, and rollover of the write alias.

``whirlpool index setup`` applies it (as the superuser): the policy ``<prefix>-policy`` rolls the write
index over when its primary shard reaches ``elasticsearch.rollover_max_primary_shard_size`` or its age
``elasticsearch.rollover_max_age``, and, when a retention is set, deletes an index that many days after
its rollover (so a document lives between the retention and the retention plus the rollover age). The
index template (mapping from :mod:`indexing.mapping`) gains the policy, the rollover alias and
``elasticsearch.replicas``; indices already behind the alias get the same settings.

Formats, Elasticsearch 9 reference: ILM policy and rollover action
https://www.elastic.co/docs/reference/elasticsearch/index-lifecycle-actions/ilm-rollover (the rollover
alias and its write index ``…-000001`` must carry ``index.lifecycle.rollover_alias``), delete action
``{"delete": {}}`` in a ``delete`` phase with ``min_age``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from indexing.backend import IndexUnavailable
from indexing.elasticsearch_backend import ElasticsearchBackend
from whirlpool.settings import Settings


@dataclass(frozen=True)
class LifecyclePlan:
    alias: str
    replicas: int = 1
    max_primary_shard_size: str = "50gb"
    max_age: str = "30d"
    delete_after_days: int | None = None  # None: keep every index

    @property
    def policy_name(self) -> str:
        return f"{self.alias}-policy"


def retention_days(settings: Settings) -> int | None:
    """Days to keep an index after rollover: ``retention.index_days`` (0 keeps it for ever). ILM
    deletes whole indices, a coarse backstop beside ``whirlpool prune``'s delete by date."""
    return settings.retention.index_days or None


def plan_from_settings(settings: Settings) -> LifecyclePlan:
    es = settings.elasticsearch
    return LifecyclePlan(
        alias=es.index_prefix,
        replicas=es.replicas,
        max_primary_shard_size=es.rollover_max_primary_shard_size,
        max_age=es.rollover_max_age,
        delete_after_days=retention_days(settings),
    )


def ilm_policy(plan: LifecyclePlan) -> dict[str, Any]:
    """The ``policy`` body of ``PUT _ilm/policy/<name>``."""
    phases: dict[str, Any] = {
        "hot": {
            "min_age": "0ms",
            "actions": {
                "rollover": {"max_primary_shard_size": plan.max_primary_shard_size, "max_age": plan.max_age}
            },
        }
    }
    if plan.delete_after_days:
        phases["delete"] = {"min_age": f"{plan.delete_after_days}d", "actions": {"delete": {}}}
    return {"phases": phases, "_meta": {"managed_by": "whirlpool index setup"}}


def index_settings(plan: LifecyclePlan) -> dict[str, Any]:
    """Settings every index behind the alias carries (template and existing indices alike)."""
    return {
        "number_of_replicas": plan.replicas,
        "index.lifecycle.name": plan.policy_name,
        "index.lifecycle.rollover_alias": plan.alias,
    }


@dataclass
class LifecycleResult:
    policy: str | None  # None: the server has no ILM API (a development server)
    indices_updated: list[str]
    note: str = ""


def apply_lifecycle(backend: ElasticsearchBackend, plan: LifecyclePlan) -> LifecycleResult:
    """Put the ILM policy, then the template with it and the replicas; create the alias's first index
    if missing, and give the indices already behind it the same settings. On a server without the ILM
    API (noida-db) only the replicas are applied, and the result says so."""
    client = backend.client
    try:
        policy: str | None = plan.policy_name
        note = ""
        try:
            client.ilm.put_lifecycle(name=plan.policy_name, policy=ilm_policy(plan))
        except ApiError as exc:
            if "no handler found" not in str(exc.body):
                raise
            policy, note = None, "this server has no ILM API: policy not applied (replicas are)"
        settings = index_settings(plan) if policy else {"number_of_replicas": plan.replicas}
        backend.template_settings = dict(settings)
        updated: list[str] = []
        if client.indices.exists_alias(name=plan.alias):
            backend.put_template()
            updated = sorted(client.indices.get_alias(name=plan.alias))
            client.indices.put_settings(index=",".join(updated), settings=settings)
        else:
            backend.ensure_ready()  # the template, then the first index behind the write alias
        return LifecycleResult(policy, updated, note)
    except (TransportError, ApiError) as exc:
        raise IndexUnavailable(f"Elasticsearch refused the lifecycle setup: {exc}") from exc


def rollover(client: Elasticsearch, alias: str, conditions: dict[str, Any] | None = None) -> dict[str, Any]:
    """Roll the write alias over now (no conditions) or when one of ``conditions`` holds; returns
    Elasticsearch's answer (``rolled_over``, ``old_index``, ``new_index``, ``conditions``)."""
    try:
        return dict(client.indices.rollover(alias=alias, conditions=conditions or None))
    except (TransportError, ApiError) as exc:
        raise IndexUnavailable(f"Elasticsearch refused the rollover of {alias}: {exc}") from exc
