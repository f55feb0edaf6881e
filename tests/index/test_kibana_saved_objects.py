"""The generated Kibana saved objects follow the saved-object format of the pinned Kibana: the
import envelope with migration versions, references that resolve, JSON-in-string attributes that
parse, Lens layers whose columns, accessors and references agree, a map on a geo_point field, and
dashboard panels that point at their references (Kibana 9.x export format, elastic/kibana)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexing.kibana import (
    CORE_MIGRATION_VERSION,
    KIBANA_VERSION,
    TYPE_MIGRATION_VERSIONS,
    data_view_id,
    saved_objects,
)
from indexing.mapping import article_mapping

ROOT = Path(__file__).resolve().parents[2]
OBJECTS = saved_objects("whirlpool-articles")
BY_KEY = {(o["type"], o["id"]): o for o in OBJECTS}
PROPERTIES = article_mapping()["properties"]
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
JSON_STRINGS = ("fieldFormatMap", "panelsJSON", "optionsJSON", "mapStateJSON", "layerListJSON", "uiStateJSON")
LENS_TYPES = {"lnsXY", "lnsDatatable", "lnsMetric"}
# Which field types each Lens operation reads (Kibana refuses a column on another type).
OPERATION_FIELD_TYPES = {
    "date_histogram": {"date"},
    "terms": {"keyword"},
    "unique_count": {"keyword"},
    "last_value": {"keyword"},
}


def ids(objects):
    return [f"{o['type']}:{o['id']}" for o in objects]


def field_type(name: str) -> str:
    base, _, sub = name.partition(".")
    spec = PROPERTIES[base]
    return spec["fields"][sub]["type"] if sub else spec["type"]


def pinned_kibana_version() -> str:
    """The Kibana image tag in docker-compose.yml (a literal, ``${VAR:-default}`` or ``${VAR:?message}``
with VAR set in .env)."""
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    match = re.search(r"kibana/kibana:(?:\$\{(\w+)(?::-([\d.]+)|:\?[^}]*)?\}|([\d.]+))", compose)
    assert match, "no Kibana image in docker-compose.yml"
    if match.group(3):
        return match.group(3)
    env = ROOT / ".env"
    if env.exists():
        found = re.search(rf"^{match.group(1)}=([\d.]+)", env.read_text(encoding="utf-8"), re.MULTILINE)
        if found:
            return found.group(1)
    return match.group(2)


def test_the_objects_are_written_for_the_kibana_that_docker_compose_pins():
    pinned = pinned_kibana_version()
    assert pinned.split(".")[:2] == KIBANA_VERSION.split(".")[:2], (
        f"docker-compose.yml pins Kibana {pinned}, the saved objects are written for {KIBANA_VERSION}: "
        "check each type's migration version for the new Kibana and update indexing/kibana.py"
    )


@pytest.mark.parametrize("obj", OBJECTS, ids=ids(OBJECTS))
def test_every_object_has_the_import_envelope_with_migration_versions(obj):
    assert {"type", "id", "attributes", "references", "coreMigrationVersion", "typeMigrationVersion"} <= set(
        obj
    )
    assert obj["coreMigrationVersion"] == CORE_MIGRATION_VERSION == "8.8.0"
    assert SEMVER.match(obj["typeMigrationVersion"])
    assert obj["typeMigrationVersion"] == TYPE_MIGRATION_VERSIONS[obj["type"]]
    assert obj["attributes"]["title"]
    json.dumps(obj)  # NDJSON-serialisable


def test_ids_are_unique_and_the_data_view_comes_first():
    assert len(BY_KEY) == len(OBJECTS)
    assert OBJECTS[0]["type"] == "index-pattern" and OBJECTS[0]["id"] == data_view_id("whirlpool-articles")


@pytest.mark.parametrize("obj", OBJECTS, ids=ids(OBJECTS))
def test_every_reference_resolves_and_json_in_string_attributes_parse(obj):
    names = [r["name"] for r in obj["references"]]
    assert len(names) == len(set(names)), "reference names must be unique within an object"
    for reference in obj["references"]:
        assert set(reference) == {"name", "type", "id"}
        assert (reference["type"], reference["id"]) in BY_KEY, f"unresolved reference {reference}"
    attributes = obj["attributes"]
    for key in JSON_STRINGS:
        if key in attributes:
            assert isinstance(attributes[key], str)
            json.loads(attributes[key])
    meta = attributes.get("kibanaSavedObjectMeta")
    if meta:
        source = json.loads(meta["searchSourceJSON"])
        assert source["query"]["language"] == "kuery"
        if "indexRefName" in source:
            assert source["indexRefName"] in names


@pytest.mark.parametrize(
    "obj", [o for o in OBJECTS if o["type"] == "lens"], ids=ids(o for o in OBJECTS if o["type"] == "lens")
)
def test_lens_layers_columns_accessors_and_references_agree(obj):
    attributes = obj["attributes"]
    assert attributes["visualizationType"] in LENS_TYPES
    state = attributes["state"]
    assert {"datasourceStates", "visualization", "query", "filters"} <= set(state)
    layers = state["datasourceStates"]["formBased"]["layers"]
    assert layers
    references = {r["name"]: r for r in obj["references"]}
    for layer_id, layer in layers.items():
        reference = references[f"indexpattern-datasource-layer-{layer_id}"]
        assert reference["type"] == "index-pattern"
        assert set(layer["columnOrder"]) == set(layer["columns"])
        for column_id, column in layer["columns"].items():
            assert {"label", "dataType", "operationType", "isBucketed", "sourceField"} <= set(column), (
                column_id
            )
            if column["operationType"] == "last_value":
                assert field_type(column["params"]["sortField"]) == "date"
            if column["operationType"] == "count":
                assert column["sourceField"] == "___records___" and not column["isBucketed"]
                continue
            assert column["sourceField"] in PROPERTIES, f"{column_id}: unmapped {column['sourceField']}"
            assert field_type(column["sourceField"]) in OPERATION_FIELD_TYPES[column["operationType"]]
            order = column["params"].get("orderBy", {})
            if order.get("type") == "column":
                assert order["columnId"] in layer["columns"]
    visualization = state["visualization"]
    vis_layers = visualization.get("layers", [visualization])
    assert {layer["layerId"] for layer in vis_layers} == set(layers)
    for vis_layer in vis_layers:
        columns = layers[vis_layer["layerId"]]["columns"]
        accessors = [
            *vis_layer.get("accessors", []),
            *[vis_layer[k] for k in ("xAccessor", "splitAccessor", "metricAccessor") if k in vis_layer],
            *[c["columnId"] for c in vis_layer.get("columns", [])],
        ]
        assert accessors and set(accessors) <= set(columns), f"accessor without a column in {obj['id']}"
        if attributes["visualizationType"] == "lnsXY":
            assert vis_layer["seriesType"] in {"bar_stacked", "area_stacked"}
            assert columns[vis_layer["xAccessor"]]["operationType"] == "date_histogram"


def test_the_lens_panels_cover_time_by_theme_language_and_source_kind_and_name_entities_and_sources():
    lenses = [o["attributes"] for o in OBJECTS if o["type"] == "lens"]
    split_fields = set()
    table_fields = set()
    for attributes in lenses:
        (layer,) = attributes["state"]["datasourceStates"]["formBased"]["layers"].values()
        fields = {c["sourceField"] for c in layer["columns"].values()}
        if attributes["visualizationType"] == "lnsXY":
            dates = {f for f in fields if f != "___records___" and field_type(f) == "date"}
            assert dates
            split_fields |= fields - dates - {"___records___"}
        if attributes["visualizationType"] == "lnsDatatable":
            table_fields |= fields - {"___records___"}
    assert split_fields == {"themes", "language", "source_kind", "story_first_source_kind", "story_id"}
    # names, not ids; and the stories table: a row per story, its first source and languages
    assert table_fields == {
        "entity_labels", "source_name", "story_id", "story_first_source", "story_first_source_kind", "language"
    }  # fmt: skip


def test_the_stories_table_has_a_row_per_story_with_first_source_languages_and_articles():
    (table,) = [o for o in OBJECTS if o["id"].endswith("-lens-stories")]
    state = table["attributes"]["state"]
    (layer,) = state["datasourceStates"]["formBased"]["layers"].values()
    columns = layer["columns"]
    rows = [c for c in columns.values() if c["isBucketed"]]
    assert [(c["operationType"], c["sourceField"]) for c in rows] == [("terms", "story_id")]
    metrics = {(c["operationType"], c["sourceField"]) for c in columns.values() if not c["isBucketed"]}
    assert metrics == {("last_value", "story_first_source"), ("last_value", "story_first_source_kind"),
                       ("unique_count", "language"), ("count", "___records___")}  # fmt: skip
    assert state["query"]["query"] == "story_id : *"
    (first_reports,) = [o for o in OBJECTS if o["id"].endswith("-lens-first-reports")]
    (layer,) = first_reports["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
    used = {(c["operationType"], c["sourceField"]) for c in layer["columns"].values()}
    assert used == {("date_histogram", "story_first_seen"), ("terms", "story_first_source_kind"),
                    ("unique_count", "story_id")}  # fmt: skip
    dashboard = next(o for o in OBJECTS if o["type"] == "dashboard")
    assert {table["id"], first_reports["id"]} <= {r["id"] for r in dashboard["references"]}


def test_the_map_draws_place_locations_from_the_data_view():
    (obj,) = [o for o in OBJECTS if o["type"] == "map"]
    layers = json.loads(obj["attributes"]["layerListJSON"])
    references = {r["name"]: r for r in obj["references"]}
    data_layers = [layer for layer in layers if "indexPatternRefName" in layer["sourceDescriptor"]]
    assert data_layers
    for layer in data_layers:
        source = layer["sourceDescriptor"]
        assert references[source["indexPatternRefName"]]["id"] == data_view_id("whirlpool-articles")
        assert field_type(source["geoField"]) == "geo_point"
    assert len({layer["id"] for layer in layers}) == len(layers)
    state = json.loads(obj["attributes"]["mapStateJSON"])
    assert {"zoom", "center", "timeFilters", "query"} <= set(state)


def test_dashboard_panels_point_at_their_references_on_a_48_column_grid():
    (obj,) = [o for o in OBJECTS if o["type"] == "dashboard"]
    panels = json.loads(obj["attributes"]["panelsJSON"])
    references = {r["name"]: r for r in obj["references"]}
    assert len(references) == len(panels)
    seen = set()
    for panel in panels:
        assert {"type", "gridData", "panelIndex", "panelRefName", "embeddableConfig"} <= set(panel)
        grid = panel["gridData"]
        assert grid["i"] == panel["panelIndex"] and panel["panelIndex"] not in seen
        seen.add(panel["panelIndex"])
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 48 and grid["h"] > 0
        reference = references[f"{panel['panelIndex']}:{panel['panelRefName']}"]
        assert reference["type"] == panel["type"]
    kinds = sorted(panel["type"] for panel in panels)
    assert kinds == ["lens"] * 8 + ["map", "search"]
    boxes = [(p["gridData"]["x"], p["gridData"]["y"], p["gridData"]["w"], p["gridData"]["h"]) for p in panels]
    for n, (x, y, w, h) in enumerate(boxes):
        for x2, y2, w2, h2 in boxes[n + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "panels overlap"


def test_saved_searches_list_mapped_columns_newest_first():
    for obj in (o for o in OBJECTS if o["type"] == "search"):
        attributes = obj["attributes"]
        assert set(attributes["columns"]) <= set(PROPERTIES)
        assert attributes["sort"] == [["published_at", "desc"]]
    latest = BY_KEY[("search", "whirlpool-articles-relevant-24h")]["attributes"]
    query = json.loads(latest["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
    assert "relevant : true" in query and latest["timeRange"]["from"] == "now-24h"
