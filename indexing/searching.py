"""What both backends do before translating a search: parse, then expand across scripts."""

from __future__ import annotations

from typing import Any

from indexing.backend import SearchRequest
from indexing.expansion import expand
from indexing.query import Node, parse_query, render


def prepare_query(request: SearchRequest, taxonomy: Any | None) -> tuple[Node, str | None]:
    """The parse tree to run and, when expansion changed it, the expanded query as text."""
    node = parse_query(request.query)
    if request.exact or taxonomy is None:
        return node, None
    expanded = expand(node, taxonomy)
    return expanded, (render(expanded) if expanded != node else None)
