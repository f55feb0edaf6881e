"""Kibana saved objects (generated, so they follow the alias name and the mapping) and their loader.

Objects: a data view over the write alias with field formats; a saved search per theme and one
for "relevant in the last 24 h"; aggregation-based visualizations and a dashboard (volume per
theme over time, languages, top sources and source kinds, top entities, latest relevant articles).
``python -m indexing.kibana [PREFIX] [THEME ...]`` prints them as NDJSON.
"""

from __future__ import annotations

import base64
import json
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from typing import Any

from whirlpool.taxonomy import THEME_CODES

# The taxonomy's themes (config/taxonomy.yaml); `whirlpool index setup` passes the loaded ones.
# Articles carry the bare code (``sanctions``), so the saved searches filter on that.
DEFAULT_THEMES = tuple(f"theme.{code}" for code in THEME_CODES)
LIST_COLUMNS = ["title", "source_name", "language", "themes", "relevance"]


class KibanaError(Exception):
    """Kibana could not be reached or refused the import (the message says why, in one line)."""


def data_view_id(prefix: str) -> str:
    """The saved data view's id (what Discover links and every visualisation refer to)."""
    return f"{prefix}-data-view"


def _ref(prefix: str, name: str = "kibanaSavedObjectMeta.searchSourceJSON.index") -> dict[str, str]:
    return {"name": name, "type": "index-pattern", "id": data_view_id(prefix)}


def _search_source(kuery: str, filters: list | None = None) -> str:
    return json.dumps(
        {
            "query": {"query": kuery, "language": "kuery"},
            "filter": filters or [],
            "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
        }
    )


def data_view(prefix: str) -> dict[str, Any]:
    formats = {
        "url": {"id": "url", "params": {"labelTemplate": "{{value}}"}},
        "canonical_url": {"id": "url", "params": {"labelTemplate": "{{value}}"}},
        "relevance": {"id": "number", "params": {"pattern": "0.00"}},
        "published_at": {"id": "date", "params": {"pattern": "YYYY-MM-DD HH:mm"}},
    }
    return {
        "type": "index-pattern",
        "id": data_view_id(prefix),
        "attributes": {
            "title": prefix,
            "name": "Whirlpool articles",
            "timeFieldName": "published_at",
            "fieldFormatMap": json.dumps(formats),
        },
        "references": [],
    }


def saved_search(
    prefix: str, object_id: str, title: str, kuery: str, time_range: str | None = None
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "title": title,
        "columns": LIST_COLUMNS,
        "sort": [["published_at", "desc"]],
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(kuery)},
    }
    if time_range:
        attributes["timeRestore"] = True
        attributes["timeRange"] = {"from": time_range, "to": "now"}
    return {"type": "search", "id": object_id, "attributes": attributes, "references": [_ref(prefix)]}


def visualization(prefix: str, object_id: str, title: str, vis_type: str, aggs: list[dict]) -> dict[str, Any]:
    vis_state = {
        "title": title,
        "type": vis_type,
        "params": {"addLegend": True, "addTooltip": True},
        "aggs": aggs,
    }
    return {
        "type": "visualization",
        "id": object_id,
        "attributes": {
            "title": title,
            "visState": json.dumps(vis_state),
            "uiStateJSON": "{}",
            "description": "",
            "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source("is_representative : true")},
        },
        "references": [_ref(prefix)],
    }


def _terms(agg_id: str, field: str, size: int, schema: str = "segment") -> dict[str, Any]:
    params = {"field": field, "size": size, "order": "desc", "orderBy": "1"}
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema, "params": params}


_COUNT = {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def saved_objects(prefix: str, themes: Iterable[str] = DEFAULT_THEMES) -> list[dict[str, Any]]:
    """Every saved object, data view first (the import resolves references in order)."""
    objects = [data_view(prefix)]
    for theme in themes:
        short = theme.split(".", 1)[-1]
        objects.append(
            saved_search(
                prefix, f"{prefix}-theme-{short}", f"Theme: {short.replace('_', ' ')}", f'themes : "{short}"'
            )
        )
    latest = saved_search(
        prefix, f"{prefix}-relevant-24h", "Relevant in the last 24 h", "relevant : true", "now-24h"
    )
    objects.append(latest)
    histogram = {
        "id": "2",
        "enabled": True,
        "type": "date_histogram",
        "schema": "segment",
        "params": {"field": "published_at", "interval": "auto", "min_doc_count": 1},
    }
    panels = [
        visualization(
            prefix,
            f"{prefix}-vis-theme-volume",
            "Volume per theme over time",
            "histogram",
            [_COUNT, histogram, _terms("3", "themes", 10, "group")],
        ),
        visualization(
            prefix, f"{prefix}-vis-languages", "Languages", "pie", [_COUNT, _terms("2", "language", 10)]
        ),
        visualization(
            prefix,
            f"{prefix}-vis-sources",
            "Top sources",
            "table",
            [_COUNT, _terms("2", "source_id", 20, "bucket")],
        ),
        visualization(
            prefix,
            f"{prefix}-vis-source-kinds",
            "Source kinds",
            "pie",
            [_COUNT, _terms("2", "source_kind", 10)],
        ),
        visualization(
            prefix,
            f"{prefix}-vis-entities",
            "Top entities",
            "table",
            [_COUNT, _terms("2", "entities", 20, "bucket")],
        ),
    ]
    objects.extend(panels)
    objects.append(dashboard(prefix, [p["id"] for p in panels], latest["id"]))
    return objects


def dashboard(prefix: str, visualization_ids: list[str], search_id: str) -> dict[str, Any]:
    panels, references = [], []
    for number, object_id in enumerate([*visualization_ids, search_id]):
        kind = "search" if object_id == search_id else "visualization"
        ref_name = f"panel_{number}"
        grid = {
            "x": (number % 2) * 24,
            "y": (number // 2) * 15,
            "w": 48 if kind == "search" else 24,
            "h": 15,
            "i": str(number),
        }
        panels.append(
            {
                "version": "9.0.0",
                "type": kind,
                "gridData": grid,
                "panelIndex": str(number),
                "embeddableConfig": {},
                "panelRefName": ref_name,
            }
        )
        references.append({"name": ref_name, "type": kind, "id": object_id})
    attributes = {
        "title": "Whirlpool: Russia–DPRK coverage",
        "description": "Volume per theme, languages, sources, entities, latest relevant articles",
        "panelsJSON": json.dumps(panels),
        "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": "now-30d",
        "timeTo": "now",
        "kibanaSavedObjectMeta": {
            "searchSourceJSON": json.dumps({"query": {"query": "", "language": "kuery"}, "filter": []})
        },
    }
    return {
        "type": "dashboard",
        "id": f"{prefix}-dashboard",
        "attributes": attributes,
        "references": references,
    }


def to_ndjson(objects: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)


def import_saved_objects(
    kibana_url: str,
    prefix: str,
    username: str | None = None,
    password: str | None = None,
    themes: Iterable[str] = DEFAULT_THEMES,
) -> int:
    """POST the objects to Kibana's import API (overwrite): returns how many Kibana took."""
    ndjson = to_ndjson(saved_objects(prefix, themes)).encode("utf-8")
    boundary = "whirlpool-" + uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="whirlpool.ndjson"\r\n'
            "Content-Type: application/ndjson\r\n\r\n"
        ).encode()
        + ndjson
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"kbn-xsrf": "whirlpool", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if username and password:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    url = kibana_url.rstrip("/") + "/api/saved_objects/_import?overwrite=true"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            result = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        raise KibanaError(f"Kibana at {kibana_url} refused the import: HTTP {exc.code} {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise KibanaError(f"cannot reach Kibana at {kibana_url}: {exc}") from exc
    if not result.get("success", False):
        errors = "; ".join(
            f"{e.get('id')}: {e.get('error', {}).get('type')}" for e in result.get("errors", [])
        )
        raise KibanaError(
            f"Kibana imported {result.get('successCount', 0)} object(s) but refused others: {errors}"
        )
    return int(result.get("successCount", 0))


if __name__ == "__main__":
    sys.stdout.write(
        to_ndjson(
            saved_objects(
                sys.argv[1] if len(sys.argv) > 1 else "whirlpool-articles", sys.argv[2:] or DEFAULT_THEMES
            )
        )
    )
