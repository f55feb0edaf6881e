"""A recording HTTP server on 127.0.0.1 for the Elasticsearch APIs noida-db does not implement (ILM,
security): it answers each request with the smallest documented success body and keeps (method, path,
JSON body), so a test can check what Whirlpool sends against Elasticsearch's documented format. It is
not Elasticsearch: behaviour is tested on noida-db; this only proves the requests."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recorded:
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    existing_aliases: set[str] = field(default_factory=set)

    def bodies(self, method: str, path: str) -> list[Any]:
        return [body for m, p, body in self.requests if m == method and p.split("?")[0] == path]


def _answer(recorded: Recorded, method: str, path: str, body: Any) -> tuple[int, Any]:
    route = path.split("?")[0]
    parts = [part for part in route.split("/") if part]
    if route.startswith("/_alias/") and method == "HEAD":
        return (200 if parts[1] in recorded.existing_aliases else 404), None
    if route.startswith("/_alias/"):
        return 200, {f"{parts[1]}-v1-000001": {"aliases": {parts[1]: {"is_write_index": True}}}}
    if route == "/_security/api_key":
        return 200, {"id": "k1", "name": body["name"], "api_key": "secret", "encoded": "azE6c2VjcmV0"}
    if route.startswith("/_security/user/"):
        return 200, {"created": True}
    if route.startswith("/_security/role/"):
        return 200, {"role": {"created": True}}
    if route == "/_bulk":
        lines = body if isinstance(body, list) else []
        items = [
            {"index": {"_id": action["index"]["_id"], "status": 201}}
            for action in lines[::2]
            if "index" in action
        ]
        return 200, {"took": 1, "errors": False, "items": items}
    if parts and parts[-1] == "_count":
        return 200, {"count": 0}
    if parts and parts[-1] == "_search":
        return 200, {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}
    if parts and parts[-1] == "_refresh":
        return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
    if len(parts) == 1 and method == "PUT":  # create an index
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": parts[0]}
    return 200, {"acknowledged": True}


@contextmanager
def recording_elasticsearch() -> Iterator[tuple[str, Recorded]]:
    recorded = Recorded()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body: Any = None
            if raw:
                text = raw.decode()
                try:
                    body = json.loads(text)
                except json.JSONDecodeError:  # ndjson (bulk)
                    body = [json.loads(line) for line in text.splitlines() if line.strip()]
            recorded.requests.append((self.command, self.path, body))
            status, answer = _answer(recorded, self.command, self.path, body)
            payload = json.dumps(answer).encode() if answer is not None else b""
            self.send_response(status)
            self.send_header("X-Elastic-Product", "Elasticsearch")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", recorded
    finally:
        server.shutdown()
        server.server_close()
