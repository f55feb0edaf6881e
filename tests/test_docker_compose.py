"""docker-compose.yml (Elasticsearch 9, Kibana, Airflow 3 on PostgreSQL, Mailpit) and the Dockerfile,
checked without a Docker engine: with a Compose tool when one is installed (the executable named by
WHIRLPOOL_COMPOSE, else `docker compose`, else `docker-compose` on PATH; .ci/run sets WHIRLPOOL_COMPOSE
to /tmp/dc/bin/docker-compose when that exists), and for consistency with what Whirlpool and Airflow
read, always."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE, DOCKERFILE = REPO / "docker-compose.yml", REPO / "Dockerfile"
SECRETS = {
    "ELASTIC_PASSWORD": "pw-elastic",
    "KIBANA_PASSWORD": "pw-kibana",
    "KIBANA_ENCRYPTION_KEY": "k" * 32,
    "POSTGRES_PASSWORD": "pwpostgres",
    "AIRFLOW_JWT_SECRET": "jwt-secret-for-tests",
    "AIRFLOW_ADMIN_PASSWORD": "pw-admin",
    "AIRFLOW_FERNET_KEY": "fernet-key-for-tests",
    "WHIRLPOOL_ES_PIPELINE_PASSWORD": "pw-pipeline",
}
# Not a secret: the Elastic Stack version, from .env (see tests/test_versions.py).
ELASTIC_VERSION = next(
    line.split("=", 1)[1].strip()
    for line in (REPO / ".env").read_text(encoding="utf-8").splitlines()
    if line.startswith("ELASTIC_VERSION=")
)
ONE_SHOT = {"kibana-password", "whirlpool-setup", "airflow-init"}
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    """``<compose tool> config`` with exactly these secrets set; skips when no Compose tool is installed."""
    if os.environ.get("WHIRLPOOL_COMPOSE"):
        command = [os.environ["WHIRLPOOL_COMPOSE"]]
    elif (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        command = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        command = ["docker-compose"]
    else:
        pytest.skip(
            "no Compose tool installed (apt-get install docker-compose, the docker compose plugin, "
            "or WHIRLPOOL_COMPOSE=<path to docker-compose>)"
        )
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS} | env
    return subprocess.run(
        [*command, "-f", str(COMPOSE), "config"], capture_output=True, text=True, env=clean, cwd=REPO
    )


@pytest.fixture(scope="module")
def merged() -> dict:
    """The file as the Compose tool resolves it, every secret set."""
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="module")
def compose() -> dict:
    """The file as written."""
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


# -- the search stack ----------------------------------------------------------------------------
def test_compose_tool_accepts_the_file_and_resolves_the_kibana_password(merged):
    assert {"elasticsearch", "kibana-password", "kibana", "whirlpool-setup"} <= set(merged["services"])
    assert merged["services"]["kibana"]["environment"]["ELASTICSEARCH_PASSWORD"] == "pw-kibana"


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing):
    result = compose_config({k: v for k, v in SECRETS.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr


def test_elasticsearch_and_kibana_images_are_the_same_9_x_release(compose):
    images = {
        name: service["image"].replace("${ELASTIC_VERSION:?set ELASTIC_VERSION (see .env)}", ELASTIC_VERSION)
        for name, service in compose["services"].items()
    }
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
    assert variables == set(SECRETS) | {"ELASTIC_VERSION"}
    for name in [*SECRETS, "ELASTIC_VERSION"]:
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
    assert [*setup["entrypoint"], *setup["command"]] == ["whirlpool", "index", "setup"]
    known = set(settings._ENV_ALIASES) | {
        "WHIRLPOOL_CONFIG_DIR",
        "WHIRLPOOL_KIBANA_URL",
        "WHIRLPOOL_ES_PIPELINE_PASSWORD",
    }
    by_path = {name for name in setup["environment"] if name.startswith("WHIRLPOOL__")}
    assert set(setup["environment"]) - by_path <= known
    loaded = settings.load_settings(environ={name: str(v) for name, v in setup["environment"].items()})
    assert loaded.elasticsearch.replicas == 0  # one node: a replica could never be allocated
    assert setup["environment"]["WHIRLPOOL_ES_URL"] == "http://elasticsearch:9200"
    assert setup["environment"]["WHIRLPOOL_KIBANA_URL"] == "http://kibana:5601"


# -- Airflow -------------------------------------------------------------------------------------
def test_setup_job_runs_the_built_project_image_not_a_pip_install_at_every_up(compose):
    setup = compose["services"]["whirlpool-setup"]
    assert setup["image"] == compose["x-airflow-common"]["image"] and setup["build"] == "."
    text = " ".join([*setup.get("entrypoint", []), *setup["command"]])
    assert "pip" not in text


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            assert service["restart"] == "no", name
            continue
        assert "healthcheck" in service, f"{name} has no health check"
        assert service.get("restart") == "unless-stopped", name
    for name, kind in [
        ("airflow-scheduler", "SchedulerJob"),
        ("airflow-dag-processor", "DagProcessorJob"),
        ("airflow-triggerer", "TriggererJob"),
    ]:
        assert (
            f"airflow jobs check --job-type {kind} --local"
            in compose["services"][name]["healthcheck"]["test"][1]
        )


def test_superuser_password_reaches_only_elasticsearch_and_the_setup_jobs(merged):
    holders = {
        name
        for name, service in merged["services"].items()
        if "pw-elastic" in str(service.get("environment", {}))
    }
    assert holders == {"elasticsearch", "kibana-password", "whirlpool-setup"}
    for name in AIRFLOW_SERVICES:
        env = merged["services"][name]["environment"]
        assert (env["WHIRLPOOL_ES_USERNAME"], env["WHIRLPOOL_ES_PASSWORD"]) == (
            "whirlpool_pipeline",
            "pw-pipeline",
        )
    setup_env = merged["services"]["whirlpool-setup"]["environment"]
    assert setup_env["WHIRLPOOL_ES_PIPELINE_PASSWORD"] == "pw-pipeline"


def test_airflow_encrypts_connections_with_a_fernet_key_from_the_environment(merged):
    for name in AIRFLOW_SERVICES | {"airflow-init"}:
        assert merged["services"][name]["environment"]["AIRFLOW__CORE__FERNET_KEY"] == "fernet-key-for-tests"


def test_compose_runs_airflow_3_beside_the_search_stack(merged):
    services = set(merged["services"])
    assert AIRFLOW_SERVICES | {"airflow-init", "postgres", "mailpit"} <= services
    assert {"elasticsearch", "kibana", "whirlpool-setup"} <= services


def test_every_airflow_service_runs_the_project_image_with_the_same_secrets_and_the_dags(merged):
    for name in AIRFLOW_SERVICES | {"airflow-init"}:
        service = merged["services"][name]
        env = service["environment"]
        assert service["image"] == "whirlpool-airflow:latest" and "build" in service, name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "jwt-secret-for-tests", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith(":pwpostgres@postgres:5432/airflow"), name
        assert env["AIRFLOW_CONN_WHIRLPOOL_SMTP"] == "smtp://mailpit:1025", name
        assert env["WHIRLPOOL_ES_PASSWORD"] == "pw-pipeline", name
        assert any(
            str(v).endswith("/opt/airflow/dags:ro") or _target(v) == "/opt/airflow/dags"
            for v in service["volumes"]
        )
    commands = {name: merged["services"][name]["command"] for name in AIRFLOW_SERVICES}
    assert {name: c if isinstance(c, str) else " ".join(c) for name, c in commands.items()} == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }


def _target(volume) -> str | None:
    return volume.get("target") if isinstance(volume, dict) else None


def test_whirlpool_variables_in_compose_are_ones_whirlpool_reads(compose):
    from whirlpool import settings

    env = compose["x-airflow-common"]["environment"]
    names = {name for name in env if name.startswith("WHIRLPOOL")}
    assert names and names <= set(settings._ENV_ALIASES) | {"WHIRLPOOL_CONFIG_DIR"}


def test_dockerfile_builds_on_the_airflow_release_pinned_in_pyproject():
    pins = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    pinned = next(p.split("==")[1] for p in pins["airflow"] if p.startswith("apache-airflow=="))
    image = re.search(r"^ARG AIRFLOW_IMAGE=apache/airflow:(\S+)-python3\.11$", DOCKERFILE.read_text(), re.M)
    assert image and image.group(1) == pinned
    text = DOCKERFILE.read_text()
    assert '"apache-airflow==${AIRFLOW_VERSION}" "/opt/whirlpool/src[airflow]"' in text
    for package in ("whirlpool", "crawlers", "processing", "indexing", "alerting", "dags", "config"):
        assert re.search(rf"^COPY .*\b{package} ", text, re.M), f"the image lacks {package}/"
