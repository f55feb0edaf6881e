"""Every field a Kibana saved object refers to exists in the generated mapping; the loader
posts the NDJSON to a real HTTP server on 127.0.0.1 the way Kibana's import API expects."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from indexing.kibana import KibanaError, import_saved_objects, saved_objects, to_ndjson
from indexing.mapping import article_mapping

SHIPPED = Path(__file__).resolve().parents[2] / "indexing" / "saved_objects" / "whirlpool.ndjson"


def mapped_fields() -> set[str]:
    fields = set()
    for name, spec in article_mapping()["properties"].items():
        fields.add(name)
        fields.update(f"{name}.{sub}" for sub in spec.get("fields", {}))
    return fields


def referenced_fields(obj: dict) -> set[str]:
    attributes = obj["attributes"]
    found = set(attributes.get("columns", []))
    found.update(field for field, _order in attributes.get("sort", []))
    if attributes.get("timeFieldName"):
        found.add(attributes["timeFieldName"])
    found.update(json.loads(attributes.get("fieldFormatMap", "{}")))
    state = attributes.get("state", {})
    for layer in state.get("datasourceStates", {}).get("formBased", {}).get("layers", {}).values():
        found.update(
            c["sourceField"] for c in layer["columns"].values() if c["sourceField"] != "___records___"
        )
    found.update(re.findall(r"([A-Za-z_][\w.]*)\s*:", state.get("query", {}).get("query", "")))
    for layer in json.loads(attributes.get("layerListJSON", "[]")):
        if "geoField" in layer["sourceDescriptor"]:
            found.add(layer["sourceDescriptor"]["geoField"])
    source = json.loads(attributes.get("kibanaSavedObjectMeta", {}).get("searchSourceJSON", "{}"))
    kuery = source.get("query", {}).get("query", "")
    found.update(re.findall(r"([A-Za-z_][\w.]*)\s*:", kuery))
    return found


def test_every_field_a_saved_object_references_exists_in_the_mapping():
    fields = mapped_fields()
    objects = saved_objects("whirlpool-articles")
    checked = set()
    for obj in objects:
        missing = referenced_fields(obj) - fields
        assert not missing, f"{obj['type']} {obj['id']} refers to unmapped field(s) {sorted(missing)}"
        checked |= referenced_fields(obj)
    assert {
        "published_at",
        "themes",
        "language",
        "source_kind",
        "entity_labels",
        "source_name",
        "place_locations",
        "relevant",
        "is_representative",
    } <= checked


def test_saved_objects_include_the_data_view_searches_and_dashboard_with_resolvable_references():
    objects = saved_objects("whirlpool-articles", ["theme.sanctions", "theme.arms_transfers"])
    by_id = {o["id"]: o for o in objects}
    assert by_id["whirlpool-articles-data-view"]["attributes"]["title"] == "whirlpool-articles"
    titles = [o["attributes"]["title"] for o in objects if o["type"] == "search"]
    assert titles == ["Theme: sanctions", "Theme: arms transfers", "Latest relevant stories"]
    for obj in objects:
        for reference in obj["references"]:
            assert reference["id"] in by_id, f"{obj['id']} refers to missing {reference['id']}"
    panels = json.loads(by_id["whirlpool-articles-dashboard"]["attributes"]["panelsJSON"])
    assert len(panels) == 10


def test_the_shipped_ndjson_matches_what_the_generator_makes():
    assert SHIPPED.read_text(encoding="utf-8") == to_ndjson(saved_objects("whirlpool-articles"))


class _FakeKibanaImport(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        lines = [line for line in body.replace(b"\r\n", b"\n").split(b"\n") if line.startswith(b"{")]
        reply = json.dumps({"success": True, "successCount": len(lines)}).encode()
        self.send_response(200 if self.headers.get("kbn-xsrf") else 400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def kibana_url():
    server = HTTPServer(("127.0.0.1", 0), _FakeKibanaImport)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_loader_posts_multipart_ndjson_with_overwrite_and_xsrf_header(kibana_url):
    _FakeKibanaImport.received.clear()
    count = import_saved_objects(kibana_url, "whirlpool-articles", "elastic", "secret")
    path, headers, body = _FakeKibanaImport.received[0]
    assert path == "/api/saved_objects/_import?overwrite=true"
    assert headers["kbn-xsrf"] and headers["authorization"].startswith("Basic ")
    assert count == len(saved_objects("whirlpool-articles"))
    assert b'"type": "dashboard"' in body


def test_loader_reports_an_unreachable_kibana_in_one_line():
    from whirlpool.loopback import free_port

    with pytest.raises(KibanaError, match="cannot reach Kibana"):
        import_saved_objects(f"http://127.0.0.1:{free_port()}", "whirlpool-articles")
