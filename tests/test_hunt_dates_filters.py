"""Dates at the edges of what as_of, the date filters and ingest read.

- An as_of (or published_from/published_to) given with an offset whose UTC instant lies outside years 1-9999
  ("0001-01-01T00:00:00+01:00" is in year 0 in UTC) was accepted, then crashed with OverflowError (a 500, a CLI
  traceback) wherever its day is named: every refusal's "within the filters (as of …)", and /v1/ask's answers too.
  It is now refused where dates are read (422, a tool error), as ingest refuses such a published_at.
- A published_at (or a bound) before 1970 with a fraction of a second was rounded toward 0, i.e. up: an article of
  1969-12-31T23:59:59.5Z was stored as 1970 (and any pre-1970 article at hh:59:59.x of a day's last second as the
  next day), outside published_to 1969-12-31 and as_of 1969-12-31.
- /v1/summarize of article ids with an empty filter list ({"sources": []}, which restricts nothing anywhere else)
  was a 422 "filters: only a topic summary reads it", where the MCP tool, given the same empty list, summarised.
- A published_at in RFC 3339 with a lower-case "z" ("2024-03-01T12:00:00z") failed as "not a date", though as_of
  reads the same text as that instant.
"""

from __future__ import annotations

import anyio
import pytest
from fastapi.testclient import TestClient
from mcp import Client

from app.config import Settings
from app.ingest.article import ArticleIn, normalise
from app.main import create_app
from app.mcp.server import create_mcp_server

MORNING = {"id": "walrus-morning", "title": "Walrus sinks boat", "source": "Test Wire",
           "published_at": "2024-03-01T08:00:00Z",
           "text": "A walrus named Freya sank a small boat in Oslo harbour on Friday morning. "
                   "The boat belonged to a fisherman named Lars."}
NEW_YEARS_EVE = {"id": "walrus-1969", "title": "Old walrus", "source": "Test Wire",
                 "published_at": "1969-12-31T23:59:59.500Z",
                 "text": "A walrus named Odin sank a rowing boat in Bergen harbour on New Year's Eve."}
QUESTION = "Whose boat did the walrus Freya sink?"
OUT_OF_RANGE = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"]


@pytest.fixture(scope="module")
def app_and_client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("hunt-dates") / "data", warmup=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/v1/articles", json=[MORNING, NEW_YEARS_EVE]).status_code == 201
        yield app, client


@pytest.fixture
def client(app_and_client):
    return app_and_client[1]


@pytest.mark.parametrize("as_of", OUT_OF_RANGE)
@pytest.mark.parametrize("path, body", [
    ("/v1/ask", {"question": QUESTION}),
    ("/v1/ask", {"question": QUESTION, "stream": True}),
    ("/v1/chat", {"messages": [{"role": "user", "content": QUESTION}]}),
    ("/v1/summarize", {"topic": "walrus Freya"}),
    ("/v1/search", {"query": "walrus Freya"}),
])
def test_an_as_of_outside_years_1_to_9999_in_utc_is_refused_not_a_500(client, path, body, as_of):
    response = client.post(path, json={**body, "as_of": as_of})
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "as_of"] and error["type"] == "date_parsing", error
    assert "outside years 1-9999" in error["msg"], error


@pytest.mark.parametrize("as_of", OUT_OF_RANGE)
def test_the_openai_route_refuses_it_too(client, as_of):
    response = client.post("/v1/chat/completions", json={
        "model": "citewire", "messages": [{"role": "user", "content": QUESTION}], "as_of": as_of})
    assert response.status_code == 400, response.text
    assert "as_of" in response.text


@pytest.mark.parametrize("bound", ["published_from", "published_to"])
def test_a_date_bound_outside_years_1_to_9999_in_utc_is_refused(client, bound):
    response = client.post("/v1/ask", json={"question": QUESTION, "filters": {bound: "0001-01-01T00:00:00+01:00"}})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "filters", bound]


def test_the_mcp_tool_refuses_it_in_one_line(app_and_client):
    app, _ = app_and_client
    server = create_mcp_server(lambda: app.state.services)

    async def run():
        async with Client(server) as mcp:
            return await mcp.call_tool("ask", {"question": QUESTION, "as_of": "0001-01-01T00:00:00+01:00"})

    result = anyio.run(run)
    assert result.is_error
    assert "as_of" in result.content[0].text and "OverflowError" not in result.content[0].text
    assert "outside years 1-9999 in UTC" in result.content[0].text  # why, as HTTP and the CLI say (a new-user walk)


def test_the_last_second_of_1969_is_stored_in_1969():
    assert normalise(ArticleIn(text="x", published_at="1969-12-31T23:59:59.5Z")).published_ts == -1
    # any day before 1970: its last second's fraction stays on that day
    last = normalise(ArticleIn(text="x", published_at="1965-05-04T23:59:59.5Z")).published_ts
    first_of_next = normalise(ArticleIn(text="x", published_at="1965-05-05")).published_ts
    assert last == first_of_next - 1


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
@pytest.mark.parametrize("extra, found", [
    ({"as_of": "1969-12-31"}, True),
    ({"filters": {"published_to": "1969-12-31"}}, True),
    ({"filters": {"published_from": "1970-01-01"}}, False),
])
def test_an_article_of_1969_12_31_is_on_that_day_for_every_date_bound(client, mode, extra, found):
    body = {"query": "walrus Odin Bergen rowing boat", "mode": mode, "top_k": 5, **extra}
    results = client.post("/v1/search", json=body).json()["results"]
    assert ("walrus-1969" in {r["article_id"] for r in results}) is found


@pytest.mark.parametrize("filters", [{"sources": []}, {"article_ids": []}])
def test_an_empty_filter_list_with_article_ids_is_no_filter_as_over_mcp(client, filters):
    response = client.post("/v1/summarize", json={"article_ids": ["walrus-morning"], "filters": filters})
    assert response.status_code == 200, response.text
    assert response.json()["article_ids"] == ["walrus-morning"]
    # a filter that narrows is still refused
    narrowed = client.post("/v1/summarize", json={"article_ids": ["walrus-morning"], "filters": {"sources": ["X"]}})
    assert narrowed.status_code == 422


@pytest.mark.parametrize("published_at, stored", [
    ("2024-03-01T12:00:00z", "2024-03-01T12:00:00+00:00"),  # RFC 3339 allows "z"; as_of reads it
    ("2024-03-01t12:00:00.5z", "2024-03-01T12:00:00.500000+00:00"),
    ("2024-03-01T12:00:00Z", "2024-03-01T12:00:00+00:00"),
])
def test_a_lower_case_z_is_utc_as_as_of_reads_it(published_at, stored):
    assert normalise(ArticleIn(text="x", published_at=published_at)).published_at == stored
