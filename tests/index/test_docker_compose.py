"""docker-compose.yml cannot run here (no Docker engine): validate it with a Compose tool when one
is installed (`docker compose` or Debian's `docker-compose`), and check its consistency always."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = {
    "ELASTIC_PASSWORD": "pw-elastic",
    "KIBANA_PASSWORD": "pw-kibana",
    "KIBANA_ENCRYPTION_KEY": "k" * 32,
    # the Airflow services' (tests/dags/test_compose.py checks those)
    "POSTGRES_PASSWORD": "pwpostgres",
    "AIRFLOW_JWT_SECRET": "jwt-secret-for-tests",
    "AIRFLOW_ADMIN_PASSWORD": "pw-admin",
}


def compose_command() -> list[str] | None:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def run_config(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    command = compose_command()
    if command is None:
        pytest.skip(
            "no Compose tool installed (apt-get install docker-compose, or the docker compose plugin)"
        )
    env = {k: v for k, v in os.environ.items() if k not in SECRETS} | extra_env
    return subprocess.run(
        [*command, "-f", str(COMPOSE), "config"], capture_output=True, text=True, env=env, cwd=ROOT
    )


def test_compose_tool_accepts_the_file_with_the_secrets_set():
    result = run_config(SECRETS)
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert {"elasticsearch", "kibana-password", "kibana", "whirlpool-setup"} <= set(resolved["services"])
    assert resolved["services"]["kibana"]["environment"]["ELASTICSEARCH_PASSWORD"] == "pw-kibana"


def test_compose_tool_refuses_to_start_without_the_elastic_password():
    result = run_config({k: v for k, v in SECRETS.items() if k != "ELASTIC_PASSWORD"})
    assert result.returncode != 0
    assert "ELASTIC_PASSWORD" in result.stderr


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_elasticsearch_and_kibana_images_are_the_same_9_x_release(compose):
    images = {name: service["image"] for name, service in compose["services"].items()}
    es = re.fullmatch(
        r"docker\.elastic\.co/elasticsearch/elasticsearch:(9\.\d+\.\d+)", images["elasticsearch"]
    )
    kibana = re.fullmatch(r"docker\.elastic\.co/kibana/kibana:(9\.\d+\.\d+)", images["kibana"])
    assert es and kibana and es.group(1) == kibana.group(1)


def test_security_is_on_and_every_secret_comes_from_the_environment(compose):
    es_env = compose["services"]["elasticsearch"]["environment"]
    assert es_env["xpack.security.enabled"] == "true"
    text = COMPOSE.read_text(encoding="utf-8")
    variables = set(re.findall(r"\$\{(\w+)", text))
    assert variables == set(SECRETS)
    for name in SECRETS:
        assert f"${{{name}:?" in text, f"{name} must be required (${{{name}:?message}})"


def test_dependencies_volumes_and_ports_are_consistent(compose):
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown service {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith(".") or source in compose["volumes"], (
                f"{name}: undeclared volume {source}"
            )
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond this host"
    for name in ("elasticsearch", "kibana"):
        assert "healthcheck" in services[name]


def test_setup_service_runs_whirlpool_index_setup_with_variables_whirlpool_reads(compose):
    from whirlpool import settings

    setup = compose["services"]["whirlpool-setup"]
    assert "whirlpool index setup" in " ".join(setup["command"])
    known = set(settings._ENV_ALIASES) | {
        "WHIRLPOOL_CONFIG_DIR",
        "WHIRLPOOL_KIBANA_URL",
        "PIP_ROOT_USER_ACTION",
    }
    assert set(setup["environment"]) <= known
    assert setup["environment"]["WHIRLPOOL_ES_URL"] == "http://elasticsearch:9200"
    assert setup["environment"]["WHIRLPOOL_KIBANA_URL"] == "http://kibana:5601"
