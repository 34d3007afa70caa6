"""A question of invisible format characters only (zero-width space, BOM, word joiner, soft hyphen) is "empty" to a
person, but blank() (app/request_types.py) stripped only whitespace and C0 controls: it was searched and answered
200 with a refusal, where a question of spaces is the 422 "question is empty" (400 on the OpenAI route)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("inv") / "data", warmup=False))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("question", ["\u200b", " \u200b\u00a0 ", "\ufeff", "\u2060\u00ad"])
def test_an_invisible_question_is_empty(client, question):
    assert client.post("/v1/ask", json={"question": question}).status_code == 422
    completion = client.post("/v1/chat/completions", json={"model": "citewire",
                                                            "messages": [{"role": "user", "content": question}]})
    assert completion.status_code == 400
