"""docker-compose.yml, checked without a Docker engine: every setting it passes exists, and the scale-out
replicas point at the stores their dependencies start (same PostgreSQL credentials, own Chroma collection)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from app.config import Settings

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"
# ${VAR:-default} (empty counts as unset), and ${VAR-default} (only unset does: set empty, it stays empty)
_DEFAULTED = re.compile(r"\$\{([A-Z0-9_]+):?-([^}]*)\}")


def _interpolate(value):
    """Compose's interpolation with an empty environment: every ${VAR:-default} becomes its default."""
    if isinstance(value, str):
        text = _DEFAULTED.sub(lambda m: m.group(2), value)
        assert "$" not in text, f"an interpolation form this check does not know: {value!r}"
        return text
    if isinstance(value, dict):
        return {key: _interpolate(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item) for item in value]
    return value


@pytest.fixture(scope="module")
def services() -> dict:
    return _interpolate(yaml.safe_load(COMPOSE.read_text()))["services"]  # safe_load resolves the `<<:` merges


def test_every_citewire_variable_is_a_setting(services):
    known = {f"CITEWIRE_{name.upper()}" for name in Settings.model_fields}
    for name, service in services.items():
        for key in service.get("environment", {}):
            if key.startswith("CITEWIRE_"):
                assert key in known, f"{name} sets {key}, which app/config.py does not define"


def _aliases() -> set[str]:
    """Every environment name Settings reads through a validation_alias (SLACK_BOT_TOKEN, OPENAI_API_KEY, …)."""
    names = set()
    for field in Settings.model_fields.values():
        names.update(getattr(field.validation_alias, "choices", None) or [])
    return names


def test_every_slack_variable_is_one_the_app_reads(services):
    known = _aliases()
    for name, service in services.items():
        for key in service.get("environment", {}):
            if key.startswith("SLACK_"):
                assert key in known, f"{name} sets {key}, which app/config.py does not read"


def test_only_the_single_host_app_gets_the_slack_tokens(services):
    """``app`` passes the HTTP mode's two Slack variables through from the environment or .env (empty: Slack off);
    no other service gets any (one bot process per workspace: replicas do not share the retry memory)."""
    raw = yaml.safe_load(COMPOSE.read_text())["services"]["app"]["environment"]
    for key in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        assert raw[key] == f"${{{key}:-}}"  # passed through, not a value written in the file
        assert services["app"]["environment"][key] == ""
    for name, service in services.items():
        if name != "app":
            assert not any(key.startswith(("CITEWIRE_SLACK", "SLACK_")) for key in service.get("environment", {})), name


def test_the_defaults_compose_passes_are_valid_settings(services, monkeypatch):
    """What each app service gets with an empty .env builds Settings (no empty string where a value is needed:
    CITEWIRE_LOG_FORMAT="" would not), /mcp's hosts and the logs as the app's own defaults, and Slack off."""
    for name in ("app", "app-local-model", "app-shared"):
        with monkeypatch.context() as mp:
            for key, value in services[name]["environment"].items():
                mp.setenv(key, str(value))
            settings = Settings()
        for field in ("mcp_allowed_hosts", "log_level", "log_format"):
            assert getattr(settings, field) == Settings.model_fields[field].get_default(call_default_factory=True), (
                name, field)
        assert not (settings.slack_bot_token or settings.slack_signing_secret), name  # /slack/events not mounted


def test_single_replica_default_keeps_its_sqlite_record(services):
    app = services["app"]
    assert "profiles" not in app and "profiles" not in services["chroma"]
    assert not app["environment"].get("CITEWIRE_LEXICAL_URL")
    assert any(volume.endswith(":/data") for volume in app["volumes"])


def test_scaled_replicas_share_postgres_and_chroma(services):
    shared, postgres = services["app-shared"], services["postgres"]
    assert shared["profiles"] == postgres["profiles"] == ["scale"]
    env, pg_env = shared["environment"], postgres["environment"]
    url = urlsplit(env["CITEWIRE_LEXICAL_URL"])
    assert url.scheme == "postgresql" and url.hostname == "postgres" and url.port == 5432
    assert (url.username, url.password, url.path.lstrip("/")) == (
        pg_env["POSTGRES_USER"], pg_env["POSTGRES_PASSWORD"], pg_env["POSTGRES_DB"])
    assert urlsplit(env["CITEWIRE_CHROMA_URL"]).hostname == "chroma"
    assert env["CITEWIRE_COLLECTION"] != Settings.model_fields["collection"].default  # not the `app` vectors
    assert {dep: cond["condition"] for dep, cond in shared["depends_on"].items()} == {
        "chroma": "service_healthy", "postgres": "service_healthy"}
    assert "healthcheck" in postgres and "healthcheck" in services["chroma"]
    assert not any(key.startswith(("CITEWIRE_SLACK", "SLACK_")) for key in env)  # retry memory is per process
    # Replicas cannot all bind one host port: the mapping is a range, at least as wide as the replica count.
    published = shared["ports"][0].rsplit(":", 1)[0]
    low, high = (int(port) for port in published.split("-"))
    assert high - low + 1 >= shared["deploy"]["replicas"] > 1
