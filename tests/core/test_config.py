"""Config is data, validated at load: errors name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from whirlpool.settings import load_settings
from whirlpool.sources import load_sources
from whirlpool.yamlconfig import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_config_files_load():
    settings = load_settings(REPO / "config", environ={})
    assert settings.index_backend == "embedded"
    sources = load_sources(REPO / "config" / "sources.yaml")
    assert sources and all(s.language in ("en", "ru", "uk", "ko", "ja", "zh") for s in sources)


def test_shipped_coverage_gap_rules_watch_sources_that_are_configured_and_enabled():
    from alerting.rules import CoverageGapRule, load_rules

    enabled = {s.id for s in load_sources(REPO / "config" / "sources.yaml", only_enabled=True)}
    rules = [r for r in load_rules(REPO / "config" / "alerts.yaml").rules if isinstance(r, CoverageGapRule)]
    watched = {v for r in rules if r.dimension == "source_id" for v in r.values}
    assert watched, "the shipped alert rules should watch some sources for silence"
    assert watched <= enabled, f"coverage_gap names sources that are not enabled: {sorted(watched - enabled)}"


def test_bad_source_field_is_reported_with_file_line_and_field(tmp_path):
    path = write(
        tmp_path,
        "sources.yaml",
        "sources:\n"
        "  - id: ok-source\n    name: OK\n    homepage: https://example.org/\n    feeds: [https://example.org/rss]\n"
        "    language: en\n    country: GB\n    kind: wire\n"
        "  - id: bad-source\n    name: Bad\n    homepage: https://example.org/\n    feeds: [https://example.org/rss]\n"
        "    language: klingon\n    country: GB\n    kind: wire\n",
    )
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    message = str(info.value)
    assert f"{path}:13" in message
    assert "sources.1.language" in message
    assert "must be one of" in message


def test_invalid_yaml_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, "sources.yaml", "sources:\n  - id: a\n    name: [unclosed\n")
    with pytest.raises(ConfigError, match=r"sources\.yaml:\d+: invalid YAML"):
        load_sources(path)


def test_missing_file_says_so(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_sources(tmp_path / "nope.yaml")


def test_disabled_source_needs_a_reason(tmp_path):
    path = write(
        tmp_path,
        "sources.yaml",
        "sources:\n  - id: quiet\n    name: Q\n    homepage: https://example.org/\n    feeds: [https://example.org/rss]\n"
        "    language: en\n    country: GB\n    kind: wire\n    enabled: false\n",
    )
    with pytest.raises(ConfigError, match="disabled_reason"):
        load_sources(path)


def test_environment_overrides_settings_file(tmp_path):
    write(tmp_path, "settings.yaml", "data_dir: /from/file\nprocess:\n  relevance_threshold: 0.4\n")
    settings = load_settings(
        tmp_path,
        environ={
            "WHIRLPOOL_DATA_DIR": "/from/env",
            "WHIRLPOOL_ES_URL": "https://es.example:9200",
            "WHIRLPOOL__PROCESS__RELEVANCE_THRESHOLD": "0.65",
        },
    )
    assert settings.data_dir == Path("/from/env")
    assert settings.index_backend == "elasticsearch"
    assert settings.process.relevance_threshold == 0.65


def test_bad_setting_names_file_line_and_field(tmp_path):
    write(tmp_path, "settings.yaml", "data_dir: data\nprocess:\n  relevance_threshold: 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    assert "settings.yaml:3" in str(info.value)
    assert "process.relevance_threshold" in str(info.value)


def test_unknown_setting_is_rejected(tmp_path):
    write(tmp_path, "settings.yaml", "data_dir: data\ncolect:\n  timeout_seconds: 3\n")
    with pytest.raises(ConfigError, match="colect"):
        load_settings(tmp_path, environ={})


def test_run_checks_every_config_file_before_any_stage(tmp_path):
    """A malformed taxonomy or alert rule stops `whirlpool run` before collect, one line per problem
    naming file, line and field (issue 13, 3), instead of a traceback after collect has run."""
    import subprocess
    import sys

    from tests.conftest import make_workspace

    ws = make_workspace(tmp_path / "ws", "sources: []\n")
    taxonomy = ws.config_dir / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8").replace("kind: weapon", "kind: rocket", 1))
    alerts = ws.config_dir / "alerts.yaml"
    alerts.write_text(alerts.read_text(encoding="utf-8").replace("type: spike", "type: spikes", 1))
    result = subprocess.run(
        [sys.executable, "-m", "whirlpool.cli", "run"],
        env=ws.env,
        capture_output=True,
        text=True,
        cwd=ws.root,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert any("taxonomy.yaml:" in line and "kind" in line for line in lines), result.stderr
    assert any("alerts.yaml:" in line and "spikes" in line for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    assert not (ws.data_dir / "stages").exists()


def test_a_misspelt_environment_setting_is_an_error_not_ignored(tmp_path):
    with pytest.raises(ConfigError, match="WHIRLPOOL__PROCES__RELEVANCE_THRESHOLD: no such setting"):
        load_settings(tmp_path, environ={"WHIRLPOOL__PROCES__RELEVANCE_THRESHOLD": "0.6"})


def test_a_whole_section_can_come_from_the_environment_as_json(tmp_path):
    write(tmp_path, "settings.yaml", "alerts:\n  smtp:\n    host: mail.example.org\n")
    settings = load_settings(tmp_path, environ={"WHIRLPOOL__ALERTS__SMTP": '{"port": 2525}'})
    assert (settings.alerts.smtp.host, settings.alerts.smtp.port) == ("mail.example.org", 2525)
