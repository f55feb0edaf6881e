"""Cross-script expansion: a query word or phrase naming a taxonomy concept also finds the
articles tagged with that concept, in every language and script (Ким Чен Ын → entity:person.kim_jong_un).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexing.query import And, Keyword, Node, Not, Or, Text

_FIELD_FOR_KIND = {"place": "places", "theme": "themes"}  # everything else is an entity


def load_concept_lookup(taxonomy_path: Path) -> Any | None:
    """The processing taxonomy, or None when it (or its module) is not there: no expansion then."""
    if not taxonomy_path.exists():
        return None
    try:
        from processing.taxonomy import load_taxonomy
    except ImportError:
        return None
    return load_taxonomy(taxonomy_path)


def expand(node: Node, taxonomy: Any | None) -> Node:
    """OR every text leaf naming a concept with the concept's tag filter."""
    if taxonomy is None:
        return node
    if isinstance(node, Text) and not node.prefix:
        concepts = taxonomy.concepts_for_phrase(node.text)
        if not concepts:
            return node
        tags = [Keyword(_FIELD_FOR_KIND.get(c.kind, "entities"), c.id) for c in concepts]
        return Or((node, *tags))
    if isinstance(node, And):
        return And(tuple(expand(i, taxonomy) for i in node.items))
    if isinstance(node, Or):
        return Or(tuple(expand(i, taxonomy) for i in node.items))
    if isinstance(node, Not):
        return Not(expand(node.item, taxonomy))
    return node
