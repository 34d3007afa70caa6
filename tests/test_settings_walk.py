"""Settings the README lists, set to wrong values: one ``error: invalid setting: NAME: …`` line at start.

Each of these passed validation and then failed at first use: "cannot open the store: ValueError: Could not
connect to a Chroma server", "the LLM endpoint is unreachable" for a bad embeddings URL, a tiktoken traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import OFFLINE_ENCODINGS, Settings
from app.offline import SHIPPED_ENCODINGS

runner = CliRunner()


def _run_with_setting(monkeypatch, tmp_path, name, value, command):
    """The CLI run with one setting wrong: exit 2 and an ``error: invalid setting: NAME`` line."""
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(name, value)
    result = runner.invoke(cli, command)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stderr.startswith(f"error: invalid setting: {name}"), result.stderr
    return result


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("CITEWIRE_CHROMA_URL", "notaurl", "is not an http:// or https:// URL"),
    ("CITEWIRE_CHROMA_URL", "http://chroma:99999", "bad port"),
    ("CITEWIRE_CHROMA_URL", "https://proxy.example.com/chroma", "without a path"),  # the client dropped the path
    # and a query string, a fragment or credentials, as silently: ?tenant=x wrote to the default tenant
    ("CITEWIRE_CHROMA_URL", "http://chroma:8000/?tenant=x", "without a query string"),
    ("CITEWIRE_CHROMA_URL", "http://chroma:8000?tenant=x&database=y", "without a query string"),
    ("CITEWIRE_CHROMA_URL", "http://chroma:8000/#db", "or fragment"),
    ("CITEWIRE_CHROMA_URL", "http://chroma:8000?", "without a query string"),
    ("CITEWIRE_CHROMA_URL", "http://admin:pw@chroma:8000", "no user or password"),
    ("CITEWIRE_LLM_BASE_URL", "localhost:11434/v1", "is not an http:// or https:// URL"),
    ("CITEWIRE_EMBED_BASE_URL", "notaurl", "is not an http:// or https:// URL"),
    ("CITEWIRE_LEXICAL_URL", "mysql://db/x", "is not a postgresql:// URL"),
    ("CITEWIRE_CHUNK_OVERLAP", "500", "must be smaller than CITEWIRE_CHUNK_TOKENS (200)"),
    ("CITEWIRE_COLLECTION", "my chunks", "use 3-512 letters"),
    ("CITEWIRE_COLLECTION", "a..b", "no two periods in a row"),  # Chroma refuses both at first use
    ("CITEWIRE_COLLECTION", "10.0.0.1", "not an IPv4 address"),
    ("CITEWIRE_ENCODING_NAME", "gpt2", "cl100k_base or o200k_base"),
    # not JSON: pydantic-settings raised SettingsError before validation, which the CLI showed as a traceback
    ("CITEWIRE_GUARD_JUDGE_BAND", "0.2,0.8", "not valid JSON"),
    ("CITEWIRE_GUARD_JUDGE_BAND", "[0.9, 0.1]", "0 <= low <= high <= 1"),
    ("CITEWIRE_GUARD_JUDGE_BAND", "[0.3]", "CITEWIRE_GUARD_JUDGE_BAND item 1: Field required"),
])
def test_a_wrong_value_is_one_invalid_setting_line(monkeypatch, tmp_path, name, value, reason):
    result = _run_with_setting(monkeypatch, tmp_path, name, value, ["ask", "What did Kim pledge?"])
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_usable_values_still_pass():
    settings = Settings(chroma_url="https://chroma.internal:8443", llm_base_url="fake://", lexical_url="postgres://db/x",
                        embed_base_url="http://127.0.0.1:11434/v1", chunk_tokens=64, chunk_overlap=63,
                        collection="citewire_shared_chunks", encoding_name="o200k_base")
    assert settings.chroma_url == "https://chroma.internal:8443" and settings.chunk_overlap == 63
    assert Settings(chroma_url="", llm_base_url="").chroma_url is None  # empty: unset, as before
    assert Settings(guard_judge_band=(0.3, 0.7)).guard_judge_band == (0.3, 0.7)


def test_the_encodings_allowed_are_the_ones_shipped_offline():
    assert set(OFFLINE_ENCODINGS) == set(SHIPPED_ENCODINGS)


def test_uvicorn_factory_with_a_wrong_setting_exits_with_one_line(tmp_path):
    """README *Scaling out* starts ``uvicorn app.main:create_app --factory``: pydantic's traceback before."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_TOP_K": "0"}
    result = subprocess.run([sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", "0"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.stderr.strip().splitlines() == [
        "error: invalid setting: CITEWIRE_TOP_K: Input should be greater than or equal to 1"], result.stderr
    # one function reads the settings for both: the same line and the same status (2, a usage error) as the CLI's
    cli = subprocess.run([sys.executable, "-m", "app.cli", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert (result.returncode, cli.returncode) == (2, 2) and cli.stderr == result.stderr


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("CITEWIRE_LEXICAL_URL", "postgresql+psycopg://citewire:S3cretPW@db/citewire", "S3cretPW"),
    ("CITEWIRE_LLM_BASE_URL", "https://user:sk-live-123@proxy.example:44x/v1", "sk-live-123"),
    ("CITEWIRE_CHROMA_URL", "ftp://admin:hunter2@chroma/", "hunter2"),
    ("CITEWIRE_RATE_LIMIT_STORAGE", "redis+nope://:pw-9f3@cache:6379", "pw-9f3"),
    # unencoded "#", "/" or "@" in a password, no "://", psycopg's keyword form (review)
    ("CITEWIRE_LLM_BASE_URL", "http://app:S3c#retPW@host:8000/v1", "retPW"),
    ("CITEWIRE_LEXICAL_URL", "mysql://app:S3c@retPW@db/x", "retPW"),
    ("CITEWIRE_RATE_LIMIT_STORAGE", "redis:/:S3cretPW@host:6379", "S3cretPW"),
    ("CITEWIRE_LEXICAL_URL", "host=db user=app password=S3cretPW dbname=citewire", "S3cretPW"),
])
def test_the_error_line_masks_credentials_in_a_url(monkeypatch, tmp_path, name, value, secret):
    """The line goes to stderr and on to container and CI logs: a password or API key in the URL stays out."""
    result = _run_with_setting(monkeypatch, tmp_path, name, value, ["list"])
    assert secret not in result.stderr and "***" in result.stderr, result.stderr


def test_a_chroma_url_without_a_port_means_443_for_https(monkeypatch):
    """https://chroma.example.com connected to port 8000 (`chroma run`'s default) instead of TLS's 443."""
    import chromadb

    from app.store.vector import make_chroma_client

    seen, checked = [], []
    monkeypatch.setattr(chromadb, "HttpClient", lambda **kwargs: seen.append(kwargs))
    # the bounded heartbeat that goes first (a hung server held start-up) asks the same address
    monkeypatch.setattr("app.store.vector._answers_in_time", lambda base_url, seconds: checked.append(base_url))
    for url in ("https://chroma.example.com", "http://chroma", "https://chroma.example.com:8443/"):
        make_chroma_client(Settings(chroma_url=url))
    assert [(k["host"], k["port"], k["ssl"]) for k in seen] == [
        ("chroma.example.com", 443, True), ("chroma", 8000, False), ("chroma.example.com", 8443, True)]
    assert checked == ["https://chroma.example.com:443", "http://chroma:8000", "https://chroma.example.com:8443"]
