"""Kibana saved objects (generated, so they follow the alias name and the mapping) and their loader.

Objects, in the saved-object format of the pinned Kibana (``KIBANA_VERSION``, the image in
docker-compose.yml): a data view over the write alias; a saved search per theme and the latest
relevant stories; Lens visualisations (story clusters per day by theme, by language and by source
kind; top entities and top sources by name; relevant clusters; a stories table — one row per
``story_id`` with its first source, languages and articles — and first reports per day by the
first source's kind); a map of places; a dashboard of them all. Every object carries ``coreMigrationVersion`` and ``typeMigrationVersion``.
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
LIST_COLUMNS = ["title", "source_name", "language", "themes", "entity_labels", "relevance"]

# The Kibana these objects are written for: docker-compose.yml pins the same image
# (tests/index/test_kibana_saved_objects.py checks it).
KIBANA_VERSION = "9.1.0"
# Kibana's last core migration is 8.8.0: every export from 8.8 on, 9.x included, carries it.
CORE_MIGRATION_VERSION = "8.8.0"
# Each type's newest migration that Kibana 9.1 has (``10.N.0`` is model version N). Import refuses
# an object newer than the running Kibana and migrates an older one up, so these are the versions
# the attributes below are written in. Sources (elastic/kibana): data views end with the 8.0.0
# migration; saved searches had model version 5 by 8.17 (version 6, Discover tabs, came after
# 9.1); Lens's last migration is 8.9.0 (its model version 1 came after 9.1); dashboards have had
# model version 2 since 8.x; maps end with the 8.4.0 migration.
TYPE_MIGRATION_VERSIONS = {
    "index-pattern": "8.0.0",
    "search": "10.5.0",
    "lens": "8.9.0",
    "map": "8.4.0",
    "dashboard": "10.2.0",
}
PANEL_VERSION = "8.8.0"  # the embeddable version dashboards write into their panels since 8.8

# What the panels count: story clusters (one per duplicate cluster), as the alerts count them.
CLUSTERS = "is_representative : true"
RECORDS = "___records___"  # Lens's source field for a document count
# Articles that belong to a story (processing.stories): what the story panels read.
IN_A_STORY = "story_id : *"


class KibanaError(Exception):
    """Kibana could not be reached or refused the import (the message says why, in one line)."""


def data_view_id(prefix: str) -> str:
    """The saved data view's id (what Discover links and every visualisation refer to)."""
    return f"{prefix}-data-view"


def _saved(kind: str, object_id: str, attributes: dict[str, Any], references: list[dict]) -> dict[str, Any]:
    return {
        "type": kind,
        "id": object_id,
        "attributes": attributes,
        "references": references,
        "managed": False,
        "coreMigrationVersion": CORE_MIGRATION_VERSION,
        "typeMigrationVersion": TYPE_MIGRATION_VERSIONS[kind],
    }


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
    attributes = {
        "title": prefix,
        "name": "Whirlpool articles",
        "timeFieldName": "published_at",
        "fieldFormatMap": json.dumps(formats),
    }
    return _saved("index-pattern", data_view_id(prefix), attributes, [])


def saved_search(
    prefix: str, object_id: str, title: str, kuery: str, time_range: str | None = None, description: str = ""
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "title": title,
        "description": description,
        "columns": LIST_COLUMNS,
        "sort": [["published_at", "desc"]],
        "grid": {},
        "hideChart": False,
        "isTextBasedQuery": False,
        "timeRestore": bool(time_range),
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(kuery)},
    }
    if time_range:
        attributes["timeRange"] = {"from": time_range, "to": "now"}
    return _saved("search", object_id, attributes, [_ref(prefix)])


# -- Lens ----------------------------------------------------------------------------------------
def _count_column(label: str = "Story clusters") -> dict[str, Any]:
    return {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": "count",
        "isBucketed": False,
        "scale": "ratio",
        "sourceField": RECORDS,
        "params": {"emptyAsNull": True},
    }


def _day_column() -> dict[str, Any]:
    return {
        "label": "Day",
        "customLabel": True,
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": "published_at",
        "isBucketed": True,
        "scale": "interval",
        "params": {"interval": "1d", "includeEmptyRows": True, "dropPartials": False},
    }


def _terms_column(field: str, label: str, size: int, order_by: str) -> dict[str, Any]:
    return {
        "label": label,
        "customLabel": True,
        "dataType": "string",
        "operationType": "terms",
        "sourceField": field,
        "isBucketed": True,
        "scale": "ordinal",
        "params": {
            "size": size,
            "orderBy": {"type": "column", "columnId": order_by},
            "orderDirection": "desc",
            "otherBucket": True,
            "missingBucket": False,
            "parentFormat": {"id": "terms"},
        },
    }


def _metric_column(operation: str, field: str, label: str, data_type: str = "number") -> dict[str, Any]:
    """A metric over ``field``: ``unique_count`` (distinct values), or ``last_value`` (the value of
    the newest-processed document: the one that knew its story best)."""
    column = {
        "label": label,
        "customLabel": True,
        "dataType": data_type,
        "operationType": operation,
        "isBucketed": False,
        "scale": "ratio" if data_type == "number" else "ordinal",
        "sourceField": field,
        "params": {"emptyAsNull": True},
    }
    if operation == "last_value":
        column["params"] = {"sortField": "processed_at", "showArrayValues": False}
        column["filter"] = {"query": f"{field} : *", "language": "kuery"}
    return column


def lens(
    prefix: str,
    object_id: str,
    title: str,
    visualization_type: str,
    columns: dict[str, dict[str, Any]],
    visualization: dict[str, Any],
    kuery: str = CLUSTERS,
    description: str = "",
) -> dict[str, Any]:
    """A Lens visualisation with one form-based layer over the data view (layer id: ``visualization``'s)."""
    layer_id = visualization.get("layerId") or visualization["layers"][0]["layerId"]
    state = {
        "datasourceStates": {
            "formBased": {
                "layers": {
                    layer_id: {"columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}
                }
            }
        },
        "visualization": visualization,
        "query": {"query": kuery, "language": "kuery"},
        "filters": [],
        "internalReferences": [],
        "adHocDataViews": {},
    }
    attributes = {
        "title": title,
        "description": description,
        "visualizationType": visualization_type,
        "state": state,
    }
    return _saved("lens", object_id, attributes, [_ref(prefix, f"indexpattern-datasource-layer-{layer_id}")])


def lens_per_day(
    prefix: str, object_id: str, title: str, field: str, label: str, series: str
) -> dict[str, Any]:
    """Story clusters per day, stacked by the top values of ``field`` (``series``: bar_stacked, area_stacked)."""
    layer = f"{object_id}-layer"
    columns = {
        "day": _day_column(),
        "split": _terms_column(field, label, 10, "count"),
        "count": _count_column(),
    }
    visualization = {
        "legend": {"isVisible": True, "position": "right"},
        "valueLabels": "hide",
        "fittingFunction": "None",
        "preferredSeriesType": series,
        "axisTitlesVisibilitySettings": {"x": False, "yLeft": True, "yRight": True},
        "layers": [
            {
                "layerId": layer,
                "layerType": "data",
                "seriesType": series,
                "xAccessor": "day",
                "splitAccessor": "split",
                "accessors": ["count"],
                "palette": {"type": "palette", "name": "default"},
            }
        ],
    }
    return lens(prefix, object_id, title, "lnsXY", columns, visualization)


def lens_top(
    prefix: str, object_id: str, title: str, field: str, label: str, size: int = 20
) -> dict[str, Any]:
    """A table of the top ``size`` values of ``field`` (a label field: names, not ids) by story clusters."""
    layer = f"{object_id}-layer"
    columns = {"label": _terms_column(field, label, size, "count"), "count": _count_column()}
    visualization = {
        "layerId": layer,
        "layerType": "data",
        "columns": [
            {"columnId": "label", "isTransposed": False},
            {"columnId": "count", "isTransposed": False},
        ],
        "sorting": {"columnId": "count", "direction": "desc"},
    }
    return lens(prefix, object_id, title, "lnsDatatable", columns, visualization)


def lens_stories(prefix: str, object_id: str, size: int = 50) -> dict[str, Any]:
    """The stories table: one row per ``story_id`` (the ``size`` with most articles), with its first
    source and its kind (as the newest-processed article knew them), how many languages and
    articles it has in the time range."""
    layer = f"{object_id}-layer"
    columns = {
        "story": _terms_column("story_id", "Story", size, "articles"),
        "first_source": _metric_column("last_value", "story_first_source", "First reported by", "string"),
        "first_kind": _metric_column("last_value", "story_first_source_kind", "Source kind", "string"),
        "languages": _metric_column("unique_count", "language", "Languages"),
        "articles": _count_column("Articles"),
    }
    visualization = {
        "layerId": layer,
        "layerType": "data",
        "columns": [{"columnId": column, "isTransposed": False} for column in columns],
        "sorting": {"columnId": "articles", "direction": "desc"},
    }
    return lens(prefix, object_id, "Stories", "lnsDatatable", columns, visualization, IN_A_STORY,
                "One row per story across languages: who reported it first, in how many languages")  # fmt: skip


def lens_first_reports(prefix: str, object_id: str) -> dict[str, Any]:
    """Stories per day of their first report, stacked by the kind of the source that reported them
    first (state media, wire, independent…)."""
    layer = f"{object_id}-layer"
    day = {**_day_column(), "label": "First reported", "sourceField": "story_first_seen"}
    columns = {
        "day": day,
        "split": _terms_column("story_first_source_kind", "First source kind", 10, "stories"),
        "stories": _metric_column("unique_count", "story_id", "Stories"),
    }
    visualization = {
        "legend": {"isVisible": True, "position": "right"},
        "valueLabels": "hide",
        "fittingFunction": "None",
        "preferredSeriesType": "bar_stacked",
        "axisTitlesVisibilitySettings": {"x": False, "yLeft": True, "yRight": True},
        "layers": [
            {
                "layerId": layer,
                "layerType": "data",
                "seriesType": "bar_stacked",
                "xAccessor": "day",
                "splitAccessor": "split",
                "accessors": ["stories"],
                "palette": {"type": "palette", "name": "default"},
            }
        ],
    }
    return lens(prefix, object_id, "First reports per day by source kind", "lnsXY", columns, visualization,
                IN_A_STORY, "Stories by the day of their first report and who reported them first")  # fmt: skip


def lens_metric(prefix: str, object_id: str, title: str, kuery: str) -> dict[str, Any]:
    layer = f"{object_id}-layer"
    visualization = {"layerId": layer, "layerType": "data", "metricAccessor": "count"}
    return lens(prefix, object_id, title, "lnsMetric", {"count": _count_column()}, visualization, kuery)


# -- Maps ----------------------------------------------------------------------------------------
def places_map(prefix: str, object_id: str) -> dict[str, Any]:
    """A map of story clusters per place: a basemap and a grid-aggregation layer on place_locations."""
    base = {
        "sourceDescriptor": {
            "type": "EMS_TMS",
            "isAutoSelect": True,
            "lightModeDefault": "road_map_desaturated",
        },
        "id": f"{object_id}-basemap",
        "label": None,
        "minZoom": 0,
        "maxZoom": 24,
        "alpha": 1,
        "visible": True,
        "style": {"type": "EMS_VECTOR_TILE"},
        "includeInFitToBounds": True,
        "type": "EMS_VECTOR_TILE",
    }
    by_count = {"name": "doc_count", "origin": "source"}
    places = {
        "sourceDescriptor": {
            "type": "ES_GEO_GRID",
            "id": f"{object_id}-places-source",
            "geoField": "place_locations",
            "requestType": "point",
            "resolution": "COARSE",
            "metrics": [{"type": "count", "label": "Story clusters"}],
            "applyGlobalQuery": True,
            "applyGlobalTime": True,
            "applyForceRefresh": True,
            "indexPatternRefName": "layer_1_source_index_pattern",
        },
        "id": f"{object_id}-places",
        "label": "Story clusters by place",
        "minZoom": 0,
        "maxZoom": 24,
        "alpha": 0.8,
        "visible": True,
        "style": {
            "type": "VECTOR",
            "isTimeAware": True,
            "properties": {
                "fillColor": {"type": "STATIC", "options": {"color": "#E7664C"}},
                "lineColor": {"type": "STATIC", "options": {"color": "#FFFFFF"}},
                "lineWidth": {"type": "STATIC", "options": {"size": 1}},
                "symbolizeAs": {"options": {"value": "circle"}},
                "iconSize": {
                    "type": "DYNAMIC",
                    "options": {
                        "minSize": 6,
                        "maxSize": 32,
                        "field": by_count,
                        "fieldMetaOptions": {"isEnabled": True, "sigma": 3},
                    },
                },
                "labelText": {"type": "DYNAMIC", "options": {"field": by_count}},
            },
        },
        "includeInFitToBounds": True,
        "type": "GEOJSON_VECTOR",
        "joins": [],
    }
    map_state = {
        "zoom": 3,
        "center": {"lon": 100.0, "lat": 48.0},  # Moscow to Pyongyang
        "timeFilters": {"from": "now-30d", "to": "now"},
        "refreshConfig": {"isPaused": True, "interval": 0},
        "query": {"query": CLUSTERS, "language": "kuery"},
        "filters": [],
        "settings": {"autoFitToDataBounds": False},
    }
    attributes = {
        "title": "Places in the news",
        "description": "Story clusters per place named in them (taxonomy coordinates)",
        "mapStateJSON": json.dumps(map_state),
        "layerListJSON": json.dumps([base, places]),
        "uiStateJSON": json.dumps({"isLayerTOCOpen": True, "openTOCDetails": []}),
    }
    return _saved("map", object_id, attributes, [_ref(prefix, "layer_1_source_index_pattern")])


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
        prefix,
        f"{prefix}-relevant-24h",
        "Latest relevant stories",
        f"relevant : true and {CLUSTERS}",
        "now-24h",
        "Relevant story clusters of the last 24 hours, newest first",
    )
    objects.append(latest)
    panels = [
        lens_metric(prefix, f"{prefix}-lens-relevant", "Relevant story clusters", f"relevant : true and {CLUSTERS}"),
        lens_per_day(prefix, f"{prefix}-lens-themes", "Story clusters per day by theme", "themes", "Theme", "bar_stacked"),
        lens_per_day(prefix, f"{prefix}-lens-languages", "Story clusters per day by language", "language", "Language", "area_stacked"),
        lens_per_day(prefix, f"{prefix}-lens-source-kinds", "Story clusters per day by source kind", "source_kind", "Source kind", "bar_stacked"),
        lens_top(prefix, f"{prefix}-lens-entities", "Top entities", "entity_labels", "Entity"),
        lens_top(prefix, f"{prefix}-lens-sources", "Top sources", "source_name", "Source"),
        places_map(prefix, f"{prefix}-map-places"),
        lens_stories(prefix, f"{prefix}-lens-stories"),
        lens_first_reports(prefix, f"{prefix}-lens-first-reports"),
    ]  # fmt: skip
    objects.extend(panels)
    objects.append(dashboard(prefix, [*panels, latest]))
    return objects


# (width, height) of each panel on the dashboard's 48-column grid, in the order saved_objects gives them
_PANEL_SIZES = [(12, 8), (36, 14), (24, 14), (24, 14), (24, 16), (24, 16), (48, 18), (28, 18), (20, 18), (48, 16)]


def dashboard(prefix: str, panel_objects: list[dict[str, Any]]) -> dict[str, Any]:
    """A dashboard of the given objects, by reference, laid out row by row."""
    panels, references = [], []
    x = y = row_height = 0
    for number, (obj, (width, height)) in enumerate(zip(panel_objects, _PANEL_SIZES, strict=True)):
        if x + width > 48:
            x, y, row_height = 0, y + row_height, 0
        panel_index = str(number)
        ref_name = f"panel_{panel_index}"
        panels.append(
            {
                "version": PANEL_VERSION,
                "type": obj["type"],
                "gridData": {"x": x, "y": y, "w": width, "h": height, "i": panel_index},
                "panelIndex": panel_index,
                "embeddableConfig": {"enhancements": {}},
                "panelRefName": ref_name,
            }
        )
        references.append({"name": f"{panel_index}:{ref_name}", "type": obj["type"], "id": obj["id"]})
        x, row_height = x + width, max(row_height, height)
    attributes = {
        "title": "Whirlpool: Russia–DPRK coverage",
        "description": "Story clusters per day by theme, language and source kind; top entities and "
        "sources; places; stories across languages and their first reports; latest relevant stories",
        "panelsJSON": json.dumps(panels),
        "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": "now-30d",
        "timeTo": "now",
        "refreshInterval": {"pause": True, "value": 60000},
        "kibanaSavedObjectMeta": {
            "searchSourceJSON": json.dumps({"query": {"query": "", "language": "kuery"}, "filter": []})
        },
    }
    return _saved("dashboard", f"{prefix}-dashboard", attributes, references)


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
