"""Settings that used to pass validation and then break the server: a rate limit, its storage or a log
level the libraries cannot read (every request 500, or a stack trace at start-up)."""

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
