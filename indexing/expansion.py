"""Cross-script expansion: a query word or phrase naming a taxonomy concept also finds the
articles tagged with that concept, in every language and script (Ким Чен Ын → entity:person.kim_jong_un).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexing.query import And, Keyword, Node, Not, Or, Text

SKIPPED_KINDS = {"actor"}  # "Russia" would match every tagged article: not an expansion worth making


def _tags(text: str, taxonomy: Any) -> list[Node]:
    """The tag filters for the concepts ``text`` names (themes by id and by bare code)."""
    tags: list[Node] = []
    for concept in taxonomy.concepts_for_phrase(text):
        if concept.kind in SKIPPED_KINDS:
            continue
        if concept.kind == "theme":
            tags += [Keyword("themes", concept.id), Keyword("themes", concept.id.split(".", 1)[1])]
        elif concept.kind == "place":
            tags.append(Keyword("places", concept.id))
        else:
            tags.append(Keyword("entities", concept.id))
    return tags


def _is_plain_word(node: Node) -> bool:
    return isinstance(node, Text) and not node.fields and not node.prefix and not node.phrase


def _expand_and(items: tuple[Node, ...], taxonomy: Any) -> Node:
    """Runs of plain words naming a concept ("Kim Jong-un" typed without quotes) expand as one."""
    result: list[Node] = []
    position = 0
    while position < len(items):
        end = position
        while end < len(items) and _is_plain_word(items[end]):
            end += 1
        matched = False
        for stop in range(end, position + 1, -1):  # longest run of two or more words first
            words = items[position:stop]
            tags = _tags(" ".join(w.text for w in words), taxonomy)  # type: ignore[union-attr]
            if tags:
                result.append(Or((And(words), *tags)))
                position = stop
                matched = True
                break
        if not matched:
            result.append(expand(items[position], taxonomy))
            position += 1
    return result[0] if len(result) == 1 else And(tuple(result))


def load_concept_lookup(taxonomy_path: Path) -> Any | None:
    """The processing taxonomy, or None when it (or its module) is not there: no expansion then."""
    if not taxonomy_path.exists():
        return None
    try:
        from whirlpool.taxonomy import load_taxonomy
    except ImportError:
        return None
    return load_taxonomy(taxonomy_path)


def expand(node: Node, taxonomy: Any | None) -> Node:
    """OR every text leaf naming a concept with the concept's tag filter."""
    if taxonomy is None:
        return node
    if isinstance(node, Text) and not node.prefix:
        tags = _tags(node.text, taxonomy)
        return Or((node, *tags)) if tags else node
    if isinstance(node, And):
        return _expand_and(node.items, taxonomy)
    if isinstance(node, Or):
        return Or(tuple(expand(i, taxonomy) for i in node.items))
    if isinstance(node, Not):
        return Not(expand(node.item, taxonomy))
    return node
