"""Lifecycle (replicas, ILM policy, rollover) and least privilege (the pipeline's role, user, API key).

Behaviour runs on noida-db (templates, index settings, aliases, rollover). noida-db has no ILM and no
security API, so the requests for those are checked against Elasticsearch 9's documented format on a
recording server (tests/index/recording_es.py); no real Elasticsearch runs here."""

from __future__ import annotations

import re
import uuid

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch

from indexing.elasticsearch_backend import ElasticsearchBackend
from indexing.lifecycle import LifecyclePlan, apply_lifecycle, ilm_policy, plan_from_settings
from indexing.security import (
    PIPELINE_USER,
    WRITER_INDEX_PRIVILEGES,
    WRITER_ROLE,
    create_pipeline_api_key,
    ensure_writer,
)
from tests.index.corpus import CORPUS
from tests.index.recording_es import recording_elasticsearch
from whirlpool.cli import main
from whirlpool.settings import load_settings

# Elasticsearch 9 reference: the fields each API accepts.
ILM_PHASES = {"hot", "warm", "cold", "frozen", "delete"}
ROLLOVER_CONDITIONS = {
    "max_age", "max_docs", "max_size", "max_primary_shard_size", "max_primary_shard_docs",
    "min_age", "min_docs", "min_size", "min_primary_shard_size", "min_primary_shard_docs",
}  # fmt: skip
TIME_UNIT = re.compile(r"^\d+(d|h|m|s|ms|micros|nanos)$")
ROLE_FIELDS = {
    "applications", "cluster", "description", "global", "indices", "metadata", "run_as",
    "remote_indices", "remote_cluster", "transient_metadata",
}  # fmt: skip
INDEX_PRIVILEGE_FIELDS = {"names", "privileges", "field_security", "query", "allow_restricted_indices"}
INDEX_PRIVILEGES = {
    "all", "auto_configure", "create", "create_doc", "create_index", "cross_cluster_replication",
    "cross_cluster_replication_internal", "delete", "delete_index", "index", "maintenance", "manage",
    "manage_data_stream_lifecycle", "manage_follow_index", "manage_ilm", "manage_leader_index",
    "monitor", "none", "read", "read_cross_cluster", "view_index_metadata", "write",
}  # fmt: skip
USER_FIELDS = {"email", "enabled", "full_name", "metadata", "password", "password_hash", "roles"}
API_KEY_FIELDS = {"name", "role_descriptors", "expiration", "metadata"}
# The index privilege each request of the pipeline needs (Elasticsearch's privilege → action table).
PRIVILEGE_FOR = {"_bulk": "write", "_refresh": "maintenance", "_count": "read", "_search": "read",
                 "_alias": "view_index_metadata"}  # fmt: skip


def _cli(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, ["index", *args], env=env, catch_exceptions=False)


def _env(tmp_path, url: str, prefix: str, **extra: str) -> dict[str, str]:
    return {
        "WHIRLPOOL_DATA_DIR": str(tmp_path / "data"),
        "WHIRLPOOL_ES_URL": url,
        "WHIRLPOOL__ELASTICSEARCH__INDEX_PREFIX": prefix,
        **extra,
    }


# -- on noida-db -------------------------------------------------------------------------------------
def test_setup_gives_new_and_existing_indices_the_replicas_from_settings(tmp_path, elasticsearch_url):
    prefix = f"life-{uuid.uuid4().hex[:8]}"
    client = Elasticsearch(elasticsearch_url)
    existing = ElasticsearchBackend(client, prefix, tmp_path / "dl")
    existing.ensure_ready()  # an index made before the lifecycle existed: default replicas
    result = _cli(_env(tmp_path, elasticsearch_url, prefix, WHIRLPOOL__ELASTICSEARCH__REPLICAS="0"), "setup")
    assert result.exit_code == 0, result.output
    assert "replicas 0" in result.output and "no ILM API" in result.output  # noida-db has none
    index = f"{prefix}-v1-000001"
    assert client.indices.get_settings(index=index)[index]["settings"]["index"]["number_of_replicas"] == "0"
    template = client.indices.get_index_template(name=prefix)["index_templates"][0]
    assert str(template["index_template"]["template"]["settings"]["index"]["number_of_replicas"]) == "0"
    existing.rollover()
    rolled = f"{prefix}-v1-000002"  # made from the template: replicas 0 as well
    assert client.indices.get_settings(index=rolled)[rolled]["settings"]["index"]["number_of_replicas"] == "0"
    client.close()


def test_index_rollover_command_rolls_the_write_alias_when_asked_or_when_a_condition_holds(
    tmp_path, elasticsearch_url
):
    prefix = f"roll-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, elasticsearch_url, prefix)
    assert _cli(env, "setup").exit_code == 0
    backend = ElasticsearchBackend(Elasticsearch(elasticsearch_url), prefix, tmp_path / "dl")
    backend.upsert(list(CORPUS.values())[:3])
    held = _cli(env, "rollover", "--max-docs", "1000")
    assert held.exit_code == 0 and "not rolled over" in held.output
    assert backend.alias_indices() == {f"{prefix}-v1-000001": True}
    done = _cli(env, "rollover", "--max-docs", "2")
    assert done.exit_code == 0, done.output
    assert f"rolled over {prefix}-v1-000001 → {prefix}-v1-000002" in done.output
    assert backend.alias_indices()[f"{prefix}-v1-000002"] is True
    assert backend.count() == 3
    backend.close()


def test_setup_on_a_server_without_security_says_so_and_still_succeeds(tmp_path, elasticsearch_url):
    prefix = f"sec-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, elasticsearch_url, prefix, WHIRLPOOL_ES_PIPELINE_PASSWORD="pipeline-pw")
    result = _cli(env, "setup")
    assert result.exit_code == 0, result.output
    assert "security is off on this server" in result.output


# -- request bodies against the documented format -----------------------------------------------------
def test_ilm_policy_rolls_over_by_size_and_age_and_deletes_after_the_retention():
    plan = LifecyclePlan("whirlpool-articles", 0, "50gb", "30d", delete_after_days=365)
    phases = ilm_policy(plan)["phases"]
    assert set(phases) <= ILM_PHASES
    rollover = phases["hot"]["actions"]["rollover"]
    assert set(rollover) <= ROLLOVER_CONDITIONS and any(key.startswith("max_") for key in rollover)
    assert rollover == {"max_primary_shard_size": "50gb", "max_age": "30d"}
    assert phases["delete"] == {"min_age": "365d", "actions": {"delete": {}}}
    assert all(TIME_UNIT.match(phase["min_age"]) for phase in phases.values())
    assert "delete" not in ilm_policy(LifecyclePlan("whirlpool-articles"))["phases"]  # no retention: keep


def test_lifecycle_plan_reads_replicas_rollover_and_the_retention_section_when_present(tmp_path):
    settings = load_settings(
        tmp_path,
        environ={
            "WHIRLPOOL__ELASTICSEARCH__REPLICAS": "0",
            "WHIRLPOOL__ELASTICSEARCH__ROLLOVER_MAX_AGE": "7d",
        },
    )
    plan = plan_from_settings(settings)
    assert (plan.replicas, plan.max_age, plan.max_primary_shard_size) == (0, "7d", "50gb")
    assert plan.delete_after_days == 365  # retention.index_days, default a year
    ninety = load_settings(tmp_path, environ={"WHIRLPOOL__RETENTION__INDEX_DAYS": "90"})
    assert plan_from_settings(ninety).delete_after_days == 90
    forever = load_settings(tmp_path, environ={"WHIRLPOOL__RETENTION__INDEX_DAYS": "0"})
    assert plan_from_settings(forever).delete_after_days is None


def test_setup_puts_the_policy_then_a_template_that_uses_it_with_the_write_alias(tmp_path):
    plan = LifecyclePlan("wp", replicas=0, delete_after_days=30)
    with recording_elasticsearch() as (url, recorded):
        backend = ElasticsearchBackend(Elasticsearch(url), "wp", tmp_path / "dl")
        result = apply_lifecycle(backend, plan)
        backend.close()
    assert result.policy == "wp-policy"
    paths = [(method, path.split("?")[0]) for method, path, _ in recorded.requests]
    policy_at = paths.index(("PUT", "/_ilm/policy/wp-policy"))
    template_at = paths.index(("PUT", "/_index_template/wp"))
    assert policy_at < template_at < paths.index(("PUT", "/wp-v1-000001"))
    (policy,) = recorded.bodies("PUT", "/_ilm/policy/wp-policy")
    assert set(policy) == {"policy"} and policy["policy"]["phases"]["delete"]["min_age"] == "30d"
    (template,) = recorded.bodies("PUT", "/_index_template/wp")
    settings = template["template"]["settings"]
    assert settings["index.lifecycle.name"] == "wp-policy"
    assert settings["index.lifecycle.rollover_alias"] == "wp"
    assert settings["number_of_replicas"] == 0
    assert template["index_patterns"] == ["wp-v*"]
    (index,) = recorded.bodies("PUT", "/wp-v1-000001")
    assert index["aliases"] == {"wp": {"is_write_index": True}}  # the rollover alias's write index


def test_writer_role_and_pipeline_user_follow_the_documented_format_and_grant_only_the_whirlpool_indices():
    with recording_elasticsearch() as (url, recorded):
        client = Elasticsearch(url)
        result = ensure_writer(client, "wp", "pipeline-pw")
        encoded = create_pipeline_api_key(client, "wp", expiration="90d")
        client.close()
    assert (result.role, result.user) == (WRITER_ROLE, PIPELINE_USER)
    (role,) = recorded.bodies("PUT", f"/_security/role/{WRITER_ROLE}")
    assert set(role) <= ROLE_FIELDS and role["cluster"] == []
    (grant,) = role["indices"]
    assert set(grant) <= INDEX_PRIVILEGE_FIELDS
    assert grant["names"] == ["wp", "wp-*"]
    assert set(grant["privileges"]) <= INDEX_PRIVILEGES
    assert not {"all", "manage", "delete_index", "create_index", "manage_ilm"} & set(grant["privileges"])
    (user,) = recorded.bodies("PUT", f"/_security/user/{PIPELINE_USER}")
    assert set(user) <= USER_FIELDS and user["roles"] == [WRITER_ROLE] and user["password"] == "pipeline-pw"
    (key,) = recorded.bodies("PUT", "/_security/api_key")  # POST or PUT, both documented
    assert set(key) <= API_KEY_FIELDS and key["expiration"] == "90d"
    assert key["role_descriptors"][WRITER_ROLE]["indices"] == role["indices"]
    assert encoded == "azE6c2VjcmV0"


def test_the_pipeline_on_a_set_up_alias_needs_only_the_writer_privileges(tmp_path):
    with recording_elasticsearch() as (url, recorded):
        recorded.existing_aliases.add("wp")
        backend = ElasticsearchBackend(Elasticsearch(url), "wp", tmp_path / "dl")
        backend.ensure_ready()  # what run_index and the alerts engine call first
        result = backend.upsert(list(CORPUS.values())[:2])
        backend.count()
        from indexing.backend import SearchRequest

        backend.search(SearchRequest(query="nuclear"))
        backend.close()
    assert result.indexed == 2
    needed = set()
    for method, path, _ in recorded.requests:
        parts = [part for part in path.split("?")[0].split("/") if part]
        endpoint = next((part for part in parts if part.startswith("_")), None)
        assert endpoint in PRIVILEGE_FOR, f"{method} {path}: not a writer request (template, cluster?)"
        needed.add(PRIVILEGE_FOR[endpoint])
    assert needed <= set(WRITER_INDEX_PRIVILEGES)


@pytest.mark.parametrize("body", ["no handler found for uri", "Security must be explicitly enabled"])
def test_security_off_is_recognised_from_the_servers_answer(body):
    from elasticsearch import ApiError

    from indexing.security import _security_off

    class Meta:
        status = 400

    assert _security_off(ApiError(body, Meta(), {"error": body}))
