"""A path with a trailing slash (`POST /v1/ask/`, `/v1/chat/completions/`) is answered with Starlette's 307 to the
path without it: a 307 keeps the method and the body, so a client that follows redirects (curl -L, httpx and the
openai SDK, which never add the slash anyway) gets the same answer. Kept on purpose (README)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("slash") / "data", index_samples=True, warmup=False))
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/v1/ask", {"question": "What did Kim pledge?"}),
    ("POST", "/v1/chat/completions", {"model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}]}),
    ("GET", "/v1/models", None),
    ("GET", "/v1/articles", None),
])
def test_a_trailing_slash_is_a_307_to_the_same_route(client, method, path, body):
    slashed = client.request(method, f"{path}/", json=body, follow_redirects=False)
    assert slashed.status_code == 307 and slashed.headers["location"].endswith(path)
    followed = client.request(method, f"{path}/", json=body)
    direct = client.request(method, path, json=body)
    assert followed.status_code == direct.status_code == 200
    assert followed.json().keys() == direct.json().keys()
