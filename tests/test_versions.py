"""One Elastic Stack version: ELASTIC_VERSION in .env names the Elasticsearch and Kibana images, and the
elasticsearch client pinned in pyproject.toml sits on the same 9.x minor.

Elastic's promise: "Language clients are forward compatible; meaning that the clients support
communicating with greater or equal minor versions of Elasticsearch without breaking"
(https://www.elastic.co/guide/en/elasticsearch/client/python-api/current/overview.html). A 9.5 client
against a 9.1 server is outside it; a 9.1 client against a 9.1.y server is inside."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def elastic_version() -> tuple[int, int, int]:
    text = (REPO / ".env").read_text(encoding="utf-8")
    found = re.search(r"^ELASTIC_VERSION=(\d+)\.(\d+)\.(\d+)\s*$", text, re.M)
    assert found, ".env must set ELASTIC_VERSION=<major>.<minor>.<patch>"
    return tuple(int(part) for part in found.groups())  # type: ignore[return-value]


def client_pin() -> tuple[int, int, int]:
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    pin = next(d for d in dependencies if d.startswith("elasticsearch=="))
    return tuple(int(part) for part in pin.split("==")[1].split("."))  # type: ignore[return-value]


def test_client_pin_is_on_the_images_minor_and_not_newer():
    server, client = elastic_version(), client_pin()
    assert server[0] == client[0] == 9
    assert client[1] <= server[1], f"client {client} newer than server {server}: outside the promise"
    assert client[1] == server[1], f"client {client} and server {server} on different minors"


def test_every_elastic_image_takes_its_version_from_elastic_version():
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    images = re.findall(r"image:\s*(docker\.elastic\.co/\S+)", text)
    assert len(images) >= 3  # elasticsearch, the kibana-password job, kibana
    for image in images:
        assert image.endswith(":${ELASTIC_VERSION:?set"), f"{image}: hard-coded version"


def test_installed_client_is_the_pinned_one():
    assert tuple(int(p) for p in version("elasticsearch").split(".")[:3]) == client_pin()
