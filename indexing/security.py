"""Least privilege on Elasticsearch: the pipeline's role, user and API key.

``whirlpool index setup`` runs as the superuser and creates the role ``whirlpool_writer``: read and
write the documents behind the alias ``<prefix>`` (and its indices ``<prefix>-*``), see their aliases
and settings, refresh them. No cluster privilege, no index creation, no template, no other index: the
template, the first index, ILM and rollover are setup's. Then either the user ``whirlpool_pipeline``
with that role (when a password is given: ``WHIRLPOOL_ES_PIPELINE_PASSWORD``; what docker-compose.yml
does), or, on demand, an API key limited to the same role (``whirlpool index create-api-key``; the
pipeline reads it from ``WHIRLPOOL_ES_API_KEY``).

Formats, Elasticsearch 9 reference: ``PUT _security/role/<name>`` (cluster, indices: names,
privileges), ``PUT _security/user/<name>`` (password, roles), ``POST _security/api_key`` (name,
role_descriptors, expiration); https://www.elastic.co/docs/api/doc/elasticsearch/group/endpoint-security
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from indexing.backend import IndexUnavailable

WRITER_ROLE = "whirlpool_writer"
PIPELINE_USER = "whirlpool_pipeline"
# read: search, count, get; write: index, update, delete (also delete_by_query); view_index_metadata:
# the alias lookups; maintenance: refresh after a bulk.
WRITER_INDEX_PRIVILEGES = ("read", "write", "view_index_metadata", "maintenance")


def writer_role(alias: str) -> dict[str, Any]:
    """The body of ``PUT _security/role/whirlpool_writer``."""
    return {
        "cluster": [],
        "indices": [{"names": [alias, f"{alias}-*"], "privileges": list(WRITER_INDEX_PRIVILEGES)}],
        "description": f"Whirlpool pipeline: read and write the documents behind {alias}, nothing else",
        "metadata": {"managed_by": "whirlpool index setup"},
    }


@dataclass
class SecurityResult:
    role: str | None
    user: str | None
    note: str = ""


def _security_off(exc: ApiError) -> bool:
    text = str(exc.body)
    return "no handler found" in text or "Security must be explicitly enabled" in text


def ensure_writer(client: Elasticsearch, alias: str, password: str | None) -> SecurityResult:
    """Create or update the role, and the user when ``password`` is given (idempotent)."""
    try:
        client.security.put_role(name=WRITER_ROLE, **writer_role(alias))
        if not password:
            return SecurityResult(WRITER_ROLE, None, "no WHIRLPOOL_ES_PIPELINE_PASSWORD: user not created")
        client.security.put_user(
            username=PIPELINE_USER,
            password=password,
            roles=[WRITER_ROLE],
            full_name="Whirlpool pipeline",
            metadata={"managed_by": "whirlpool index setup"},
        )
        return SecurityResult(WRITER_ROLE, PIPELINE_USER)
    except ApiError as exc:
        if _security_off(exc):
            return SecurityResult(None, None, "security is off on this server: no role or user created")
        raise IndexUnavailable(f"Elasticsearch refused the pipeline role: {exc}") from exc
    except TransportError as exc:
        raise IndexUnavailable(f"Elasticsearch refused the pipeline role: {exc}") from exc


def create_pipeline_api_key(
    client: Elasticsearch, alias: str, name: str = "whirlpool-pipeline", expiration: str | None = None
) -> str:
    """A new API key limited to the writer role; returns the ``encoded`` value for WHIRLPOOL_ES_API_KEY."""
    role = {key: value for key, value in writer_role(alias).items() if key in ("cluster", "indices")}
    body: dict[str, Any] = {"name": name, "role_descriptors": {WRITER_ROLE: role}}
    if expiration:
        body["expiration"] = expiration
    try:
        return client.security.create_api_key(**body)["encoded"]
    except (TransportError, ApiError) as exc:
        raise IndexUnavailable(f"Elasticsearch refused the API key: {exc}") from exc
