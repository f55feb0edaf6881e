"""Settings: one place, documented defaults, validated at load, overridable by environment.

Precedence (last wins): defaults below < ``settings.yaml`` of the config folder < environment variables.

The config folder (settings.yaml, sources.yaml, taxonomy.yaml, alerts.yaml) is the first of, see
:func:`config_dir`: ``--config-dir``, ``WHIRLPOOL_CONFIG_DIR``, ``./config`` in the current folder, the
defaults shipped inside the package (``whirlpool/defaults``, built from the repository's ``config/``).

Environment variables:
- ``WHIRLPOOL_CONFIG_DIR``: the config folder, when ``--config-dir`` is not given.
- ``WHIRLPOOL_DATA_DIR``: where stage files, state and the embedded index live.
- ``WHIRLPOOL_ES_URL``, ``WHIRLPOOL_ES_USERNAME``, ``WHIRLPOOL_ES_PASSWORD``, ``WHIRLPOOL_ES_API_KEY``,
  ``WHIRLPOOL_ES_CA_CERTS``: the Elasticsearch cluster; unset URL means the embedded index.
- ``WHIRLPOOL_SMTP_HOST``, ``WHIRLPOOL_SMTP_PORT``, ``WHIRLPOOL_SMTP_USERNAME``, ``WHIRLPOOL_SMTP_PASSWORD``.
- ``WHIRLPOOL_KIBANA_URL``.
- Any field by path: ``WHIRLPOOL__<SECTION>__<FIELD>`` (e.g. ``WHIRLPOOL__PROCESS__RELEVANCE_THRESHOLD=0.6``;
  a whole section as JSON: ``WHIRLPOOL__ALERTS__SMTP='{"port": 2525}'``), read by pydantic-settings; a
  name that is no setting is an error, not silently ignored.

Secrets (passwords, API keys) come only from the environment or Airflow connections.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import EnvSettingsSource

from whirlpool.timetext import known_zone
from whirlpool.yamlconfig import ConfigError, load_model, read_yaml

# The folder above this package: a source checkout's root, or site-packages once installed. Not used to
# find config (see config_dir); source_checkout() tells which of the two it is. (The crawl child no
# longer starts from it: it imports the installed package.)
REPO_ROOT = Path(__file__).resolve().parent.parent

CONFIG_FILES = ("settings.yaml", "sources.yaml", "taxonomy.yaml", "alerts.yaml")


class ConfigLocation(NamedTuple):
    """The config folder in use and where it was found (``origin``), for summaries and ``--help``."""

    path: Path
    origin: str

    def describe(self) -> str:
        return f"{self.path} ({self.origin})"


def packaged_config_dir() -> Path:
    """The default config shipped inside the package: ``whirlpool/defaults/*.yaml``."""
    return Path(str(resources.files("whirlpool.defaults")))


def config_dir(
    option: Path | str | None = None, environ: dict[str, str] | None = None, cwd: Path | None = None
) -> ConfigLocation:
    """The config folder: the first of ``--config-dir`` (``option``), ``WHIRLPOOL_CONFIG_DIR``,
    ``./config`` in the current folder (when it holds any of :data:`CONFIG_FILES`), and the defaults
    packaged with Whirlpool. The first two are taken as given, so a mistyped folder is reported, not
    silently replaced by the defaults."""
    env = os.environ if environ is None else environ
    if option:
        return ConfigLocation(Path(option), "--config-dir")
    if env.get("WHIRLPOOL_CONFIG_DIR"):
        return ConfigLocation(Path(env["WHIRLPOOL_CONFIG_DIR"]), "WHIRLPOOL_CONFIG_DIR")
    local = (Path.cwd() if cwd is None else cwd) / "config"
    if any((local / name).is_file() for name in CONFIG_FILES):
        return ConfigLocation(local.absolute(), "./config in the current folder")
    return ConfigLocation(packaged_config_dir(), "packaged defaults")


def source_checkout() -> Path | None:
    """The repository checkout this package runs from (also an editable install); None once installed."""
    return REPO_ROOT if (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "config").is_dir() else None


_locate_config = config_dir  # for load_settings, whose argument is named config_dir too


def default_config_dir() -> Path:
    return config_dir().path


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class CollectSettings(_Section):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    user_agent: str = (
        "WhirlpoolBot/0.1 (+https://github.com/whirlpool-monitoring/whirlpool; media monitoring)"
    )
    timeout_seconds: float = Field(20.0, gt=0)
    max_response_bytes: int = Field(5 * 1024 * 1024, gt=0)
    concurrent_requests: int = Field(16, ge=1)
    concurrent_requests_per_domain: int = Field(2, ge=1)
    download_delay_seconds: float = Field(0.5, ge=0)
    autothrottle: bool = True
    obey_robots_txt: bool = True
    retry_times: int = Field(2, ge=0)
    max_redirects: int = Field(5, ge=0)
    max_items_per_feed: int = Field(100, ge=1)
    fetch_full_articles: bool = True
    min_body_chars: int = Field(200, ge=0)  # shorter extracted text is a stub: fall back to the feed summary
    backoff_base_minutes: float = Field(10.0, gt=0)  # failing feeds wait base * 2**(failures-1)
    backoff_max_hours: float = Field(24.0, gt=0)
    # Beyond public addresses, what may be fetched: false (nothing: loopback, private, link-local,
    # multicast, reserved addresses are refused, redirects included), true (everything: intranet
    # sources, the demo), or a list of networks (["10.20.0.0/16"]). See crawlers.netpolicy.
    allow_private_networks: bool | list[IPvAnyNetwork] = False

    @field_validator("allow_private_networks", mode="plain")
    @classmethod
    def _false_true_or_networks(cls, value: Any) -> bool | list[IPNetwork]:
        """false, true, or networks; from the environment "10.20.0.0/16,127.0.0.1/32" is a list."""
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("true", "yes", "on", "1", "false", "no", "off", "0", ""):
                return word in ("true", "yes", "on", "1")
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list | tuple):
            raise ValueError("expected false, true or a list of networks such as [10.20.0.0/16]")
        networks = []
        for item in value:
            try:
                networks.append(ipaddress.ip_network(str(item), strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not a network (write one as 10.20.0.0/16)") from None
        return networks


class ProcessSettings(_Section):
    relevance_threshold: float = Field(0.5, ge=0, le=1)
    # learned (the default): a logistic model over the named features and the evidence tokens (what
    # the taxonomy found where), blended with 30 % of the hand weights, fitted on the labelled tuning
    # set (processing/models/relevance.json, better in cross-validation there); hand: the weights of
    # processing.relevance.FEATURES alone. Both explain themselves with the same reasons.
    relevance_model: Literal["hand", "learned"] = "learned"
    # learned (the default): on a relevant headline-and-lead item, after the rule's main theme, the
    # themes a per-theme logistic model over the rule's evidence keeps (processing/models/themes.json,
    # fitted on the labelled tuning set, better in grouped cross-validation there); rules: the rule alone
    theme_model: Literal["rules", "learned"] = "learned"
    language_prefix_chars: int = Field(2000, ge=50)
    min_language_chars: int = Field(12, ge=1)  # shorter text is "und"
    language_seed: int = 0
    near_duplicate_threshold: float = Field(0.7, gt=0, le=1)
    minhash_permutations: int = Field(64, ge=16)
    max_body_chars: int = Field(200_000, ge=1000)  # longer bodies are truncated (and say so)
    # stories (processing.stories): a story takes members this long after its first report, up to
    # this many
    story_window_hours: float = Field(72.0, gt=0)
    story_max_size: int = Field(500, ge=1)


class ElasticsearchSettings(_Section):
    url: str | None = None
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    index_prefix: str = "whirlpool-articles"
    request_timeout_seconds: float = Field(30.0, gt=0)
    bulk_chunk_size: int = Field(500, ge=1)
    max_retries: int = Field(3, ge=0)
    # Lifecycle, applied by `whirlpool index setup` (indexing/lifecycle.py). Replicas: 0 on a single
    # node (a replica is never allocated there and the cluster stays yellow), 1+ on a cluster.
    replicas: int = Field(1, ge=0)
    # The ILM policy rolls the write index over at whichever comes first (Elasticsearch units: 50gb, 30d).
    rollover_max_primary_shard_size: str = Field("50gb", pattern=r"^\d+(b|kb|mb|gb|tb|pb)$")
    rollover_max_age: str = Field("30d", pattern=r"^\d+(d|h|m|s)$")


class IndexSettings(_Section):
    backend: Literal["auto", "embedded", "elasticsearch"] = "auto"
    embedded_dir: str | None = None  # default: <data_dir>/index


class SmtpSettings(_Section):
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = Field(20.0, gt=0)
    sender: str = "Whirlpool alerts <whirlpool@localhost>"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class AlertSettings(_Section):
    enabled: bool = True
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    kibana_url: str = "http://localhost:5601"
    timezone: str = "UTC"  # the time zone of times in emails, and of digest rules that name none

    _zone = field_validator("timezone")(lambda value: known_zone(value))


class RetentionSettings(_Section):
    """How long data is kept (``whirlpool prune``, and the daily ``whirlpool_maintenance`` DAG).
    0 keeps for ever. Ages count from a batch's name (its start time) and an article's date."""

    stage_days: int = Field(14, ge=0)  # raw and processed batch files, once every consumer has read them
    index_days: int = Field(365, ge=0)  # indexed documents, by published_at: a year stays searchable
    duplicate_days: int = Field(30, ge=0)  # duplicate-detection state: a copy of older news is not matched


class Settings(_Section):
    data_dir: Path = Path("data")
    collect: CollectSettings = Field(default_factory=CollectSettings)
    process: ProcessSettings = Field(default_factory=ProcessSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    config_dir: Path = Field(default_factory=default_config_dir)
    config_origin: str = ""  # where config_dir was found (see config_dir()); set by load_settings

    @property
    def config_location(self) -> ConfigLocation:
        return ConfigLocation(self.config_dir, self.config_origin or "given")

    @property
    def index_backend(self) -> str:
        """The backend in use: "auto" means Elasticsearch when a URL is set, else embedded."""
        if self.index.backend != "auto":
            return self.index.backend
        return "elasticsearch" if self.elasticsearch.url else "embedded"

    @property
    def embedded_index_dir(self) -> Path:
        return Path(self.index.embedded_dir) if self.index.embedded_dir else self.data_dir / "index"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "state"

    def config_path(self, name: str) -> Path:
        return self.config_dir / name


# Short environment names for the settings people change most often.
_ENV_ALIASES: dict[str, tuple[str, ...]] = {
    "WHIRLPOOL_DATA_DIR": ("data_dir",),
    "WHIRLPOOL_ES_URL": ("elasticsearch", "url"),
    "WHIRLPOOL_ES_USERNAME": ("elasticsearch", "username"),
    "WHIRLPOOL_ES_PASSWORD": ("elasticsearch", "password"),
    "WHIRLPOOL_ES_API_KEY": ("elasticsearch", "api_key"),
    "WHIRLPOOL_ES_CA_CERTS": ("elasticsearch", "ca_certs"),
    "WHIRLPOOL_INDEX_BACKEND": ("index", "backend"),
    "WHIRLPOOL_SMTP_HOST": ("alerts", "smtp", "host"),
    "WHIRLPOOL_SMTP_PORT": ("alerts", "smtp", "port"),
    "WHIRLPOOL_SMTP_USERNAME": ("alerts", "smtp", "username"),
    "WHIRLPOOL_SMTP_PASSWORD": ("alerts", "smtp", "password"),
    "WHIRLPOOL_KIBANA_URL": ("alerts", "kibana_url"),
}


class _EnvironmentOverlay(EnvSettingsSource):
    """pydantic-settings' reading of ``WHIRLPOOL__SECTION__FIELD`` variables (nested by ``__``, any case,
    JSON for whole sections), from a given environment rather than ``os.environ`` only."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(Settings, case_sensitive=False, env_prefix="WHIRLPOOL__", env_nested_delimiter="__")

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._environ.items()}


def _merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        below = merged.get(key)
        merged[key] = _merge(below, value) if isinstance(below, dict) and isinstance(value, Mapping) else value
    return merged


def _found(overlay: Mapping[str, Any], path: list[str]) -> bool:
    node: Any = overlay
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def _apply_environment(data: dict[str, Any], environ: dict[str, str]) -> dict[str, Any]:
    overlay = _EnvironmentOverlay(environ)()
    unknown = [
        name
        for name in environ
        if name.upper().startswith("WHIRLPOOL__")
        and not _found(overlay, [part.lower() for part in name[len("WHIRLPOOL__") :].split("__") if part])
    ]
    if unknown:  # a misspelt variable would otherwise change nothing, silently
        raise ConfigError(f"environment: {', '.join(sorted(unknown))}: no such setting (WHIRLPOOL__SECTION__FIELD)")
    data = _merge(data, overlay)
    for name, path in _ENV_ALIASES.items():
        if environ.get(name):
            node = data
            for key in path[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[path[-1]] = environ[name]
    return data


def load_settings(config_dir: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read ``settings.yaml`` from the config folder (optional), then apply the environment.

    ``config_dir`` is ``--config-dir``; when None the folder is looked up as :func:`config_dir` says.
    A relative ``data_dir`` is taken relative to the current directory.
    """
    environ = dict(os.environ if environ is None else environ)
    location = _locate_config(config_dir, environ)
    path = location.path / "settings.yaml"
    data: Any = {}
    root = None
    if path.exists():
        data, root = read_yaml(path)
        data = data or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}:1: expected a mapping of settings, got {type(data).__name__}")
    data = _apply_environment(dict(data), environ)
    data["config_dir"] = str(location.path)
    data["config_origin"] = location.origin
    settings = load_model(path, Settings, data=data, root=root)
    return settings
