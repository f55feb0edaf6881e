"""Index backends: embedded (tantivy, the default) and Elasticsearch, behind one interface."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from indexing.backend import IndexBackend
    from whirlpool.settings import Settings


def open_backend(settings: Settings, backend: str | None = None) -> IndexBackend:
    """The backend the settings name (``backend`` overrides), with the taxonomy for expansion."""
    from indexing.expansion import load_concept_lookup

    which = backend or settings.index_backend
    if which == "elasticsearch":
        from indexing.elasticsearch_backend import ElasticsearchBackend

        opened: IndexBackend = ElasticsearchBackend.from_settings(settings)
    elif which == "embedded":
        from indexing.embedded import EmbeddedBackend

        opened = EmbeddedBackend(settings.embedded_index_dir)
    else:
        raise ValueError(f"unknown index backend {which!r} (embedded or elasticsearch)")
    opened.taxonomy = load_concept_lookup(settings.config_path("taxonomy.yaml"))
    return opened
