"""Index backends: embedded (tantivy, the default) and Elasticsearch, behind one interface."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexing.backend import IndexBackend
    from whirlpool.settings import Settings


def open_backend(settings: Settings, backend: str | None = None) -> IndexBackend:
    """The backend the settings name (``backend`` overrides), with the taxonomy for expansion.

    Raises BackendNotConfigured (naming the setting) when Elasticsearch is chosen without a URL."""
    from indexing.expansion import load_concept_lookup

    which = backend or settings.index_backend
    if which == "elasticsearch":
        if not settings.elasticsearch.url:
            from indexing.backend import BackendNotConfigured

            raise BackendNotConfigured(
                "the elasticsearch backend needs a URL: set WHIRLPOOL_ES_URL "
                "(or elasticsearch.url in settings.yaml)"
            )
        from indexing.elasticsearch_backend import ElasticsearchBackend

        opened: IndexBackend = ElasticsearchBackend.from_settings(settings)
    elif which == "embedded":
        from indexing.embedded import EmbeddedBackend

        opened = EmbeddedBackend(settings.embedded_index_dir)
    else:
        raise ValueError(f"unknown index backend {which!r} (embedded or elasticsearch)")
    opened.taxonomy = load_concept_lookup(settings.config_path("taxonomy.yaml"))
    return opened
