"""A JSON integer longer than Python's int-to-str limit (4300 digits) makes json.loads raise a plain ValueError,
which UNREADABLE_JSON (app/ingest/loaders.py) did not catch: POST /v1/articles answered 500 "internal error"
for a JSON body, an NDJSON body, and uploaded .json / .jsonl files; the NDJSON's good lines were lost with it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

HUGE = b"1" + b"0" * 5000
GOOD = b'{"id": "good-1", "text": "A new tram bridge opened in Ghent on Monday."}'
BAD = b'{"id": "bad-1", "text": "Bridge story.", "published_at": ' + HUGE + b"}"


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data", warmup=False))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_json_body_with_a_huge_integer_is_a_400(client):
    response = client.post("/v1/articles", content=BAD, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    assert response.json()["error"] == "malformed JSON"


def test_an_ndjson_line_with_a_huge_integer_fails_alone(client):
    response = client.post("/v1/articles", content=GOOD + b"\n" + BAD + b"\n",
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 201, response.text[:300]
    assert response.json()["added"] == 1 and response.json()["failed"] == 1
    assert client.get("/v1/articles/good-1").status_code == 200


@pytest.mark.parametrize("name", ["bad.json", "bad.jsonl"])
def test_an_uploaded_file_with_a_huge_integer_fails_alone(client, name):
    files = [("files", ("good.txt", b"A new tram bridge opened in Ghent on Monday.", "text/plain")),
             ("files", (name, BAD + b"\n", "application/json"))]
    response = client.post("/v1/articles", files=files)
    assert response.status_code == 201, response.text[:300]
    assert response.json()["added"] == 1 and response.json()["failed"] == 1


def test_a_question_body_with_a_huge_integer_says_why(client):
    """Already a 400 on the native routes, but FastAPI's bare "There was an error parsing the body" (detail null):
    the reason is the ValueError it wraps, which unreadable_body (app/api/errors.py) does not look at."""
    response = client.post("/v1/ask", content=b'{"question": "What did Kim pledge?", "top_k": ' + HUGE + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"], response.text[:300]
