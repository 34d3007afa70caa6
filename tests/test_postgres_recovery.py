"""PostgreSQL stopped under a running app (a scale-out replica): 503 JSON, not 500, and answers again once the
server is back, without restarting the app (its dropped connections are replaced)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests import postgres_server

pytestmark = pytest.mark.integration


@pytest.fixture
def pg():
    yield from postgres_server.running()


def test_postgres_down_is_503_and_the_app_recovers(pg, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", lexical_url=pg.url, index_samples=True)
    with TestClient(create_app(settings)) as client:
        question = {"question": "What did Kim pledge?"}
        assert client.post("/v1/ask", json=question).json()["answerable"]

        postgres_server.pg_ctl(pg, "stop")
        down = client.post("/v1/ask", json=question)
        assert down.status_code == 503, down.text
        assert down.json()["error"] == "dependency unavailable" and "PostgreSQL" in down.json()["detail"]
        assert down.headers["Retry-After"] == "5"
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200

        postgres_server.pg_ctl(pg, "start")
        assert client.get("/readyz").status_code == 200
        back = client.post("/v1/ask", json=question)
        assert back.status_code == 200 and back.json()["answerable"], back.text
        assert client.get("/v1/articles/kim-putin-vostochny-2023").status_code == 200


def test_no_request_fails_after_a_restart_that_happened_between_requests(pg, tmp_path):
    """Each worker thread's connection the restart ended was noticed only by that thread's next request, which
    failed with a 503 though the server was back: a read on a dropped connection is asked again on a new one."""
    settings = Settings(data_dir=tmp_path / "data", lexical_url=pg.url, index_samples=True)
    with TestClient(create_app(settings)) as client:
        question = {"question": "What did Kim pledge?"}
        for _ in range(8):  # several worker threads open their connections
            assert client.post("/v1/ask", json=question).status_code == 200
        postgres_server.pg_ctl(pg, "stop")
        postgres_server.pg_ctl(pg, "start")
        statuses = [client.post("/v1/ask", json=question).status_code for _ in range(8)]
        statuses += [client.get("/v1/articles/kim-putin-vostochny-2023").status_code for _ in range(4)]
        for _ in range(8):
            assert client.post("/v1/ask", json=question).status_code == 200
        postgres_server.pg_ctl(pg, "stop")
        postgres_server.pg_ctl(pg, "start")
        statuses += [client.post("/v1/articles", json={"id": f"after-restart-{i}", "text": f"Story {i} was filed after "
                                                       "the database came back."}).status_code for i in range(4)]
    assert statuses == [200] * 12 + [201] * 4, statuses
