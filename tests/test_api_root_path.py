"""Behind a path-prefix proxy (uvicorn --root-path /citewire, or the app mounted under a parent app), the ASGI
scope's "path" carries the prefix ("/citewire/v1/articles") and Starlette routes on the path with the root_path
cut off. AccessControl (app/api/security.py) tested the raw scope["path"] against ("/v1/", "/mcp"), so every
protected route was served without a key and without the rate limit (``route_path`` now)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.security import route_path
from app.config import Settings
from app.main import create_app
from tests.test_integration import in_thread

KEY = "hunt-secret-key"


def _app(tmp_path):
    return create_app(Settings(data_dir=tmp_path / "data", index_samples=True, warmup=False, api_keys=[KEY]))


def test_a_root_path_does_not_open_the_protected_routes(tmp_path):
    with TestClient(_app(tmp_path), root_path="/citewire") as client:
        listed = client.get("/citewire/v1/articles")
        assert listed.status_code == 401, listed.text[:200]
        deleted = client.delete("/citewire/v1/articles/kim-shoigu-pyongyang-2025")
        assert deleted.status_code == 401, deleted.text[:200]
        assert client.get("/citewire/v1/articles", headers={"X-API-Key": KEY}).status_code == 200


def test_a_root_path_under_real_uvicorn_still_needs_a_key(tmp_path):
    with in_thread(_app(tmp_path), root_path="/citewire") as base:
        # uvicorn puts the root path in front of scope["path"]; the proxy in front strips it, so the
        # request arrives as /v1/articles
        response = httpx.get(f"{base}/v1/articles", timeout=30)
        assert response.status_code == 401, response.text[:200]
        asked = httpx.post(f"{base}/v1/ask", json={"question": "What did Kim pledge?"}, timeout=60)
        assert asked.status_code == 401, asked.text[:200]


@pytest.mark.parametrize("rate_limit", ["2/minute"])
def test_a_root_path_does_not_lift_the_rate_limit(tmp_path, rate_limit):
    app = create_app(Settings(data_dir=tmp_path / "data", warmup=False, rate_limit=rate_limit))
    with TestClient(app, root_path="/citewire") as client:
        statuses = [client.get("/citewire/v1/models").status_code for _ in range(4)]
    assert statuses[-1] == 429, statuses


@pytest.mark.parametrize("root", ["/", "/citewire/"])
def test_a_root_path_is_taken_off_only_before_a_slash(tmp_path, root):
    """Starlette's router takes the root off only when a "/" follows it; a check that took it off regardless read
    "/v1/articles" under root_path "/" as "v1/articles", outside "/v1/", and served it without a key."""
    with TestClient(_app(tmp_path), root_path=root) as client:
        assert client.get("/v1/articles").status_code == 401
        assert client.get("/v1/articles", headers={"X-API-Key": KEY}).status_code == 200


@pytest.mark.parametrize("scope, path", [
    ({"path": "/citewire/v1/ask", "root_path": "/citewire"}, "/v1/ask"),
    ({"path": "/citewire", "root_path": "/citewire"}, "/"),
    ({"path": "/citewirex/v1/ask", "root_path": "/citewire"}, "/citewirex/v1/ask"),
    ({"path": "/v1/ask", "root_path": "/"}, "/v1/ask"),
    ({"path": "/v1/ask"}, "/v1/ask"),
])
def test_route_path(scope, path):
    assert route_path(scope) == path
