"""Settings that used to pass validation and then break the server: a rate limit, its storage or a log
level the libraries cannot read (every request 500, or a stack trace at start-up)."""

import importlib.util
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings

runner = CliRunner()


@pytest.mark.parametrize(("name", "value"), [
    ("CITEWIRE_RATE_LIMIT", "lots"), ("CITEWIRE_RATE_LIMIT_STORAGE", "nowhere://x"), ("CITEWIRE_LOG_LEVEL", "bogus"),
])
def test_an_unreadable_setting_is_a_one_line_error_before_serving(monkeypatch, tmp_path, name, value):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(name, value)
    result = runner.invoke(cli, ["list"])  # any command reads the settings first; `serve` would serve 500s
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: invalid setting: {name}") and len(result.stderr.strip().splitlines()) == 1


def test_readable_values_still_pass():
    settings = Settings(rate_limit="120/minute", rate_limit_storage="memory://", log_level="debug")
    assert settings.rate_limit == "120/minute" and settings.log_level == "DEBUG"


def test_a_storage_without_its_client_package_is_one_line_and_no_traceback(tmp_path):
    if importlib.util.find_spec("pymongo") is not None:
        pytest.skip("pymongo is installed here: mongodb:// is a usable storage")
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"),
           "CITEWIRE_RATE_LIMIT_STORAGE": "mongodb://localhost:1"}
    result = subprocess.run([sys.executable, "-m", "app.cli", "list"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid setting: CITEWIRE_RATE_LIMIT_STORAGE") and "pymongo" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # no __del__ traceback from a half-built client


def test_validating_a_storage_builds_no_client(monkeypatch):
    from limits.storage import SCHEMES

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "pymongo" else real_find_spec(name, *a))

    def no_client(*_args, **_kwargs):
        raise AssertionError("validation built a storage client")

    monkeypatch.setattr(SCHEMES["mongodb"], "__init__", no_client)
    assert Settings(rate_limit_storage="mongodb://localhost:1").rate_limit_storage == "mongodb://localhost:1"
    with pytest.raises(ValueError, match="unknown storage 'async\\+memory://'"):
        Settings(rate_limit_storage="async+memory://")  # the limiter is synchronous


def test_storage_scheme_is_read_as_limits_reads_it(monkeypatch):
    """limits takes the scheme from urlparse (lower-cased) and the client from the scheme's name."""
    assert Settings(rate_limit_storage="Memory://").rate_limit_storage == "Memory://"
    for no_scheme in ("memory", "redis"):
        with pytest.raises(ValueError, match="SCHEME://"):
            Settings(rate_limit_storage=no_scheme)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",  # only the redis client is installed
                        lambda name, *a: object() if name == "redis" else (None if name.startswith(("redis", "valkey"))
                                                                           else real_find_spec(name, *a)))
    assert Settings(rate_limit_storage="redis://h:6379").rate_limit_storage == "redis://h:6379"
    with pytest.raises(ValueError, match="needs the valkey package"):
        Settings(rate_limit_storage="valkey://h:6379")
    with pytest.raises(ValueError, match="needs the redis.sentinel package"):
        Settings(rate_limit_storage="redis+sentinel://h:26379/mymaster")
