"""Date fields found by a new user's walk through the API: each test failed before its fix.

``as_of`` and the date filters were refused in pydantic's words ("Input should be a valid date or datetime, invalid
date separator, expected `-`"), and an ISO date and time, which most clients send, with "Datetimes provided to
dates should have zero time"."""

from __future__ import annotations

import json

import anyio
import pytest
from fastapi.testclient import TestClient
from mcp import Client

from app.config import Settings
from app.main import create_app

EXPECTED = "expected a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"
PYDANTIC = ("Input should", "Datetimes provided", "date separator", "Value error", "[{'")
TEXT = "Harbour strike ends in Rotterdam. Dockers returned to work on Monday after a week-long walkout at the port."
BODIES = {
    "/v1/ask": {"question": "What ended in Rotterdam?"},
    "/v1/chat": {"messages": [{"role": "user", "content": "What ended in Rotterdam?"}]},
    "/v1/search": {"query": "Rotterdam harbour strike"},
    "/v1/summarize": {"topic": "Rotterdam harbour strike"},
}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("walk-api") / "data", index_samples=True,
                              warmup=False))
    with TestClient(app) as test_client:
        response = test_client.post("/v1/articles", json={
            "id": "rotterdam-strike", "title": "Rotterdam harbour strike ends", "source": "Citewire Desk",
            "published_at": "2024-05-04T15:00:00Z", "text": TEXT})
        assert response.status_code == 201, response.text
        yield test_client


def _refused(response, loc: list[str]) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == "invalid request", body
    (error,) = [e for e in body["detail"] if e["loc"] == loc]
    assert "\n" not in error["msg"] and not any(dump in error["msg"] for dump in PYDANTIC), error
    return error["msg"]


# --- 1. an unreadable date is refused in words that say what to send -----------------------------------------------

@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize(("value", "got"), [
    ("2024/05/04", "'2024/05/04'"),
    ("04.05.2024", "'04.05.2024'"),
    ("yesterday", "'yesterday'"),
    ("2024-05-04T25:00:00Z", "'2024-05-04T25:00:00Z'"),
    ("2024-13-01", "'2024-13-01': month value is outside expected range of 1-12"),
    (12345, "12345"),
    (True, "true"),
])
def test_an_unreadable_as_of_names_the_field_and_the_forms(client, path, value, got):
    msg = _refused(client.post(path, json={**BODIES[path], "as_of": value}), ["body", "as_of"])
    assert msg == f"{EXPECTED} (got {got})"  # observed: "Input should be a valid date or datetime, invalid date …"


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize("key", ["published_from", "published_to"])
def test_an_unreadable_date_filter_names_the_field_and_the_forms(client, path, key):
    response = client.post(path, json={**BODIES[path], "filters": {key: "2024/05/04"}})
    assert _refused(response, ["body", "filters", key]) == f"{EXPECTED} (got '2024/05/04')"


def test_the_openai_route_says_it_in_its_own_shape(client):
    body = {"model": "citewire", "messages": [{"role": "user", "content": "What ended in Rotterdam?"}]}
    for extra, param in (({"as_of": "2024/05/04"}, "as_of"),
                         ({"filters": {"published_to": "2024/05/04"}}, "filters.published_to")):
        response = client.post("/v1/chat/completions", json={**body, **extra})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["message"] == f"{param}: {EXPECTED} (got '2024/05/04')", error
        assert error["param"] == param and error["code"] == "invalid_value"


# --- 2. an ISO date and time is that instant ----------------------------------------------------------------------

def _found(client, **extra) -> bool:
    response = client.post("/v1/search", json={"query": "Rotterdam harbour strike", "per_article": 0, **extra})
    assert response.status_code == 200, response.text
    return "rotterdam-strike" in {r["article_id"] for r in response.json()["results"]}


@pytest.mark.parametrize(("as_of", "visible"), [
    ("2024-05-04T12:00:00Z", False),  # observed: 422 "Datetimes provided to dates should have zero time"
    ("2024-05-04T16:00:00+02:00", False),  # 14:00 UTC
    ("2024-05-04T17:00:00+02:00", True),  # 15:00 UTC, when it was published
    ("2024-05-04 15:30", True),  # no offset: UTC
    # midnight UTC is the date, as before instants were read: a client's toISOString() of a date keeps the whole day
    ("2024-05-04T00:00:00Z", True),
    ("2024-05-04T00:00:00.000Z", True),
    ("2024-05-04T02:00:00+02:00", False),  # midnight elsewhere is an instant: 00:00 UTC
    ("2024-05-04", True),  # a date is its whole day
    ("2024-05-03", False),
])
def test_as_of_with_a_time_is_that_instant(client, as_of, visible):
    assert _found(client, as_of=as_of) is visible


def test_the_date_filters_take_a_date_and_time_too(client):
    assert _found(client, filters={"published_from": "2024-05-04T14:00:00Z"})
    assert not _found(client, filters={"published_from": "2024-05-04T16:00:00Z"})
    assert not _found(client, filters={"published_to": "2024-05-04T14:00:00Z"})
    # a bound with a time against a date on the same day is in order (its instant is before the day's end)
    assert _found(client, filters={"published_from": "2024-05-04T14:00:00Z", "published_to": "2024-05-04"})
    refused = client.post("/v1/search", json={"query": "x", "filters": {"published_from": "2024-05-04T16:00:00Z",
                                                                          "published_to": "2024-05-04T15:00:00Z"}})
    assert "published_from is after published_to" in json.dumps(refused.json()), refused.text


def test_search_echoes_the_instant_it_read(client):
    response = client.post("/v1/search", json={"query": "Rotterdam", "as_of": "2024-05-04T14:00:00+02:00"})
    assert response.status_code == 200 and response.json()["as_of"] == "2024-05-04T14:00:00+02:00", response.text
    assert client.post("/v1/search", json={"query": "Rotterdam", "as_of": "2024-05-04"}).json()["as_of"] == "2024-05-04"


@pytest.mark.parametrize("path", BODIES)
def test_every_native_route_takes_a_date_and_time(client, path):
    response = client.post(path, json={**BODIES[path], "as_of": "2024-05-04T12:00:00Z"})
    assert response.status_code == 200, response.text


def test_the_openai_route_takes_a_date_and_time(client):
    body = {"model": "citewire", "messages": [{"role": "user", "content": "What ended in Rotterdam?"}],
            "as_of": "2024-05-04T12:00:00Z", "filters": {"published_from": "2024-01-01T00:00:00Z"}}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text


def test_the_mcp_tools_take_a_date_and_time_and_name_a_bad_one(client):
    from app.mcp.server import create_mcp_server

    services = client.app.state.services

    async def run():
        async with Client(create_mcp_server(lambda: services)) as mcp:
            early = await mcp.call_tool("search", {"query": "Rotterdam harbour strike", "as_of": "2024-05-04T12:00:00Z"})
            late = await mcp.call_tool("search", {"query": "Rotterdam harbour strike", "as_of": "2024-05-04T16:00:00Z"})
            bad = await mcp.call_tool("ask", {"question": "What ended?", "as_of": "2024/05/04"})
        return early, late, bad

    early, late, bad = anyio.run(run)
    assert not early.is_error and not late.is_error, (early, late)
    assert "rotterdam-strike" not in json.dumps(early.structured_content)
    assert "rotterdam-strike" in json.dumps(late.structured_content)
    assert bad.is_error and bad.content[0].text == "Error executing tool ask: as_of: must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"
