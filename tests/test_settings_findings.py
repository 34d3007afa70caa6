"""Settings that passed validation and then failed at the first request, or read wrong (a ~ in a path, an empty or
prompt-less CITEWIRE_PROMPTS_DIR). Found by a bug hunt, 2026-11-29."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.config import Settings
from tests.conftest import REPO


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEWIRE_")}
    return {**env, "CITEWIRE_ENV_FILE": "", **extra}


@pytest.mark.parametrize("max_tokens", [4096, 3900])
def test_an_answer_budget_that_leaves_no_room_for_the_prompt_is_an_invalid_setting(max_tokens):
    """CITEWIRE_LLM_MAX_TOKENS=4096 with the default CITEWIRE_LLM_CONTEXT_WINDOW=4096 starts, then every /v1/ask and
    /v1/summarize is a 500 {"error": "internal error", "detail": "ValueError"} (plan_prompt / LLMSummarizer)."""
    with pytest.raises(ValidationError, match="llm_max_tokens|LLM_MAX_TOKENS|context"):
        Settings(llm_base_url="fake://", llm_max_tokens=max_tokens, llm_context_window=4096)


def test_an_answer_budget_that_leaves_no_room_is_not_a_500_at_first_request(tmp_path):
    try:
        settings = Settings(data_dir=tmp_path / "data", llm_base_url="fake://", llm_model="fake", index_samples=True,
                            warmup=False, llm_max_tokens=4096, llm_context_window=4096)
    except ValidationError:
        return  # refused where it is set: fine
    from app.main import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post("/v1/ask", json={"question": "What did Kim pledge?"})
    assert response.status_code != 500, response.text[:300]


def test_a_data_dir_with_a_tilde_is_the_home_folder_not_a_folder_named_tilde():
    """CITEWIRE_DATA_DIR=~/citewire (a .env file, compose, systemd: nothing expands ~) made ./~/citewire."""
    assert Settings(data_dir="~/citewire-hunt").data_dir == Path.home() / "citewire-hunt"


def test_an_empty_prompts_dir_means_the_shipped_prompts_not_the_current_folder():
    """CITEWIRE_PROMPTS_DIR= (set but empty) read prompts from the current folder, as CITEWIRE_DATA_DIR= did before
    it was fixed: with an LLM configured every command then fails with 'cannot open the store: no prompt'."""
    assert Settings(prompts_dir="").prompts_dir is None


def test_a_prompts_dir_without_prompts_is_one_invalid_setting_line(tmp_path):
    run = subprocess.run([sys.executable, "-m", "app.cli", "ask", "What did Kim pledge?"], cwd=REPO,
                         env=_env(CITEWIRE_PROMPTS_DIR=str(tmp_path / "nowhere"), CITEWIRE_LLM_BASE_URL="fake://",
                                  CITEWIRE_DATA_DIR=str(tmp_path / "data")),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, (run.returncode, run.stderr[-500:])
    assert "invalid setting: CITEWIRE_PROMPTS_DIR" in run.stderr, run.stderr[-500:]
    assert "cannot open the store" not in run.stderr


@pytest.mark.parametrize("name", ["llm_timeout", "recency_boost", "chroma_timeout_s", "llm_outage_cooldown"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_an_infinite_or_nan_number_is_an_invalid_setting(name, value):
    with pytest.raises(ValidationError):
        Settings(**{name: value})
