"""The MCP tools take the filters /v1/ask, /v1/search and /v1/summarize take in ``filters`` (sources, published_from,
published_to, article_ids), as arguments of their own, read the same way: the same answers, the same refusals, in one
readable line. Called through the SDK's client, as a host calls them; HTTP through the app, for the comparison."""

from __future__ import annotations

import anyio
import pytest
from fastapi.testclient import TestClient
from mcp import Client

from app.config import Settings
from app.ingest.article import ArticleIn
from app.main import create_app
from app.mcp.server import create_mcp_server
from app.request_types import ARTICLE_ID_RULE

VOSTOCHNY = "kim-putin-vostochny-2023"  # Citewire Desk, 2023-09-13
TREATY = "putin-pyongyang-treaty-2024"  # Citewire Desk, 2024-06-19
SHOIGU = "kim-shoigu-pyongyang-2025"  # Citewire Desk, 2025-06-04
DESK = [VOSTOCHNY, TREATY, SHOIGU]
LIBRARY_DUMP = ("pydantic", "errors.pydantic.dev", "input_value", "input_type", "[type=", "validation error for",
                "Arguments", "Input should", "Value error", "Traceback")


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("mcp-filters") / "data", index_samples=True,
                              warmup=False))
    with TestClient(app) as client:
        yield client, create_mcp_server(lambda: app.state.services)


def call(server, tool: str, arguments: dict):
    """One tool call through the SDK's in-memory client: (is_error, structured content or the error text)."""
    async def run():
        async with Client(server) as client:
            return await client.call_tool(tool, arguments)

    result = anyio.run(run)
    if result.is_error:
        assert len(result.content) == 1
        return True, result.content[0].text
    return False, result.structured_content


def answered(server, tool: str, arguments: dict) -> dict:
    is_error, body = call(server, tool, arguments)
    assert not is_error, body
    return body


def refused(server, tool: str, arguments: dict) -> str:
    is_error, text = call(server, tool, arguments)
    assert is_error, (tool, arguments, text)
    assert text.startswith(f"Error executing tool {tool}: ") and "\n" not in text, text
    assert not any(dump in text for dump in LIBRARY_DUMP), text
    return text


def articles(results: list[dict]) -> set[str]:
    return {r["article_id"] for r in results}


# (filters, the articles a search for Kim and Putin may find, an article it must find): each one narrows the search
FILTERS = [
    ({"sources": ["Citewire Desk"]}, set(DESK), TREATY),
    ({"sources": ["Citewire Sport"]}, {"womens-world-cup-final-2023"}, "womens-world-cup-final-2023"),
    ({"published_from": "2024-01-01"}, {TREATY, SHOIGU}, SHOIGU),
    # a date is its whole day: the article of 2023-09-13 is inside published_to 2023-09-13, outside 2023-09-12
    ({"published_to": "2023-09-13", "sources": ["Citewire Desk"]}, {VOSTOCHNY}, VOSTOCHNY),
    ({"published_to": "2023-09-12", "sources": ["Citewire Desk"]}, set(), None),
    ({"published_from": "2023-09-13", "published_to": "2023-09-13"}, {VOSTOCHNY}, VOSTOCHNY),
    # a date and time is that instant: 06:00 on 2023-09-13 comes after the article dated that day (its midnight)
    ({"published_from": "2023-09-13T06:00:00Z", "published_to": "2024-12-31"}, {TREATY, "fed-holds-rates-sept-2023"},
     TREATY),
    ({"published_from": "2023-09-13T06:00:00Z", "published_to": "2023-09-13"}, set(), None),
    # with an offset: 01:00 at +02:00 is 23:00 UTC the day before, so the article of 2023-09-13 is inside
    ({"published_from": "2023-09-13T01:00:00+02:00", "published_to": "2023-09-13"}, {VOSTOCHNY}, VOSTOCHNY),
    ({"article_ids": [SHOIGU]}, {SHOIGU}, SHOIGU),
    ({"article_ids": [SHOIGU, VOSTOCHNY], "published_to": "2024-01-01"}, {VOSTOCHNY}, VOSTOCHNY),
    ({"sources": [], "article_ids": None}, None, TREATY),  # empty and null: no restriction, as over HTTP
]


@pytest.mark.parametrize(("filters", "allowed", "found"), FILTERS, ids=lambda v: str(v)[:50])
def test_search_and_ask_apply_each_filter_as_http_does(adapters, filters, allowed, found):
    client, server = adapters
    query = {"query": "Kim Putin North Korea Russia", "top_k": 20}
    over_mcp = answered(server, "search", {**query, **filters})["results"]
    over_http = client.post("/v1/search", json={**query, "filters": filters})
    assert over_http.status_code == 200, over_http.text
    assert [r["chunk_id"] for r in over_mcp] == [r["chunk_id"] for r in over_http.json()["results"]]
    if allowed is not None:
        assert articles(over_mcp) <= allowed, articles(over_mcp)
    if found is None:
        assert over_mcp == []
    else:
        assert found in articles(over_mcp)

    question = {"question": "What did Kim and Putin agree?"}
    answer = answered(server, "ask", {**question, **filters})
    over_http = client.post("/v1/ask", json={**question, "filters": filters}).json()
    assert answer["answerable"] == over_http["answerable"]
    assert [(c["article_id"], c["char_start"]) for c in answer["citations"]] == \
        [(c["article_id"], c["char_start"]) for c in over_http["citations"]]
    if allowed is not None:
        assert articles(answer["citations"]) <= allowed


def test_a_filter_changes_the_answer(adapters):
    """The filters reach the answer: the pledge at Vostochny (2023-09-13) is answered, and refused once the dates
    or the publisher leave its article out."""
    _, server = adapters
    question = "What did Kim pledge to Putin at Vostochny?"
    plain = answered(server, "ask", {"question": question})
    assert plain["answerable"] and VOSTOCHNY in articles(plain["citations"])
    for narrowed in ({"published_from": "2024-01-01"}, {"published_to": "2023-09-12"},
                     {"sources": ["Citewire Markets"]}, {"article_ids": ["fed-holds-rates-sept-2023"]}):
        answer = answered(server, "ask", {"question": question, **narrowed})
        assert VOSTOCHNY not in articles(answer["citations"]), narrowed
    same_day = answered(server, "ask", {"question": question, "published_to": "2023-09-13"})
    assert same_day["answerable"] and articles(same_day["citations"]) == {VOSTOCHNY}


# (filters, the articles the topic summary may cite, one it must cite)
TOPIC_FILTERS = [
    ({"sources": ["Citewire Desk"]}, set(DESK), VOSTOCHNY),
    ({"published_from": "2024-01-01"}, {TREATY, SHOIGU}, TREATY),
    ({"published_to": "2023-12-31"}, {VOSTOCHNY}, VOSTOCHNY),
    ({"published_from": "2024-06-19", "published_to": "2024-06-19"}, {TREATY}, TREATY),
]


@pytest.mark.parametrize(("filters", "allowed", "cited"), TOPIC_FILTERS, ids=lambda v: str(v)[:50])
def test_a_topic_summary_takes_the_filters(adapters, filters, allowed, cited):
    """summarize(topic, sources=…) was refused as an unknown argument; it restricts the topic summary as
    /v1/summarize's filters do (filters.article_ids is within_article_ids here: article_ids names the articles
    to summarise)."""
    client, server = adapters
    topic = {"topic": "Kim and Putin"}
    summary = answered(server, "summarize", {**topic, **filters})
    over_http = client.post("/v1/summarize", json={**topic, "filters": filters}).json()
    assert summary["answerable"] and summary["summary"] == over_http["summary"]
    assert set(summary["article_ids"]) <= allowed and cited in summary["article_ids"], summary["article_ids"]


def test_a_topic_summary_within_articles_and_off_the_filters(adapters):
    client, server = adapters
    within = answered(server, "summarize", {"topic": "Kim and Putin", "within_article_ids": [TREATY]})
    over_http = client.post("/v1/summarize", json={"topic": "Kim and Putin", "filters": {"article_ids": [TREATY]}})
    assert within["article_ids"] == [TREATY] and within["summary"] == over_http.json()["summary"]
    # the brief's own call: a topic and a publisher
    kim = answered(server, "summarize", {"topic": "Kim", "sources": ["Citewire Desk"]})
    assert kim["answerable"] and set(kim["article_ids"]) <= set(DESK)
    # a publisher that never wrote on the topic: a refusal that names the filters, as over HTTP
    sport = answered(server, "summarize", {"topic": "Kim and Putin", "sources": ["Citewire Sport"]})
    assert sport["answerable"] is False and sport["citations"] == []
    assert "Citewire Sport" in sport["refusal_reason"]


@pytest.mark.parametrize("narrowing", [
    {"sources": ["Citewire Desk"]}, {"published_from": "2023-01-01"}, {"published_to": "2023-12-31"},
    {"within_article_ids": [VOSTOCHNY]}, {"as_of": "2023-12-31"},
], ids=lambda v: next(iter(v)))
def test_a_summary_of_articles_refuses_the_filters_as_http_does(adapters, narrowing):
    """A summary of article ids reads none of them: refused (as /v1/summarize's 422, in the summarize service's
    words), not answered as if they had been applied."""
    client, server = adapters
    name = next(iter(narrowing))
    text = refused(server, "summarize", {"article_ids": [VOSTOCHNY], **narrowing})
    assert text == (f"Error executing tool summarize: {name}: only a topic summary reads it; a summary of articles "
                    "takes the ids given (leave it out, or give a topic)")
    http_body = {"article_ids": [VOSTOCHNY]}
    http_body.update({"as_of": narrowing["as_of"]} if name == "as_of" else
                     {"filters": {"article_ids" if name == "within_article_ids" else name: narrowing[name]}})
    over_http = client.post("/v1/summarize", json=http_body)
    assert over_http.status_code == 422 and "only a topic summary reads it" in over_http.text
    several = refused(server, "summarize", {"article_ids": [VOSTOCHNY], "sources": ["Citewire Desk"],
                                            "published_to": "2023-12-31", "as_of": "2023-12-31"})
    assert "sources, published_to and as_of: only a topic summary reads them" in several
    # empty and null narrow nothing: the summary of the article is made
    assert answered(server, "summarize", {"article_ids": [VOSTOCHNY], "sources": [], "published_from": None,
                                          "within_article_ids": []})["article_ids"] == [VOSTOCHNY]


def _unreachable_services():
    raise AssertionError("an argument that is refused must not reach the services")


# (tool, arguments, the error after "Error executing tool …: "): refused before anything is searched
BAD_FILTERS = [
    ("ask", {"question": "x", "published_from": "2024/01/01"},
     "published_from: must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),
    ("search", {"query": "x", "published_to": "2023-02-30"},
     "published_to: must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z (day value "
     "is outside expected range)"),
    ("summarize", {"topic": "Kim", "published_from": 20240101},
     "published_from: must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),
    ("ask", {"question": "x", "published_from": "2024-01-02", "published_to": "2024-01-01"},
     "published_from is after published_to"),
    ("search", {"query": "x", "published_from": "2024-01-02T12:00:00Z", "published_to": "2024-01-02T11:59:59Z"},
     "published_from is after published_to"),
    ("summarize", {"topic": "Kim", "published_from": "2025-01-01", "published_to": "2024-12-31T23:00:00Z"},
     "published_from is after published_to"),
    ("search", {"query": "x", "article_ids": ["no spaces allowed"]},
     f"article_ids[0]: 'no spaces allowed' is not an article id ({ARTICLE_ID_RULE})"),
    ("ask", {"question": "x", "article_ids": VOSTOCHNY}, "article_ids: must be a list"),
    ("summarize", {"topic": "Kim", "within_article_ids": [7]}, "within_article_ids[0]: must be a string"),
    ("ask", {"question": "x", "sources": ["Citewire Desk"] * 1001}, "sources: must have at most 1000 items"),
    ("search", {"query": "x", "article_ids": [VOSTOCHNY] * 1001}, "article_ids: must have at most 1000 items"),
    ("summarize", {"topic": "Kim", "sources": "Citewire Desk"}, "sources: must be a list"),
    ("list_articles", {"sources": "Citewire Desk"}, "sources: must be a list"),
    ("list_articles", {"source": "Citewire Desk", "sources": ["Citewire World"]}, "give source or sources, not both"),
    ("summarize", {"article_ids": [VOSTOCHNY], "sources": ["Citewire Desk"]},
     "sources: only a topic summary reads it; a summary of articles takes the ids given (leave it out, or give a "
     "topic)"),
]


@pytest.mark.parametrize(("tool", "arguments", "error"), BAD_FILTERS, ids=lambda v: str(v)[:40])
def test_a_bad_filter_is_one_readable_tool_error(tool, arguments, error):
    assert refused(create_mcp_server(_unreachable_services), tool, arguments) == \
        f"Error executing tool {tool}: {error}"


def test_http_refuses_the_same_filters(adapters):
    """Each bad filter above is refused over HTTP too (the same value in ``filters``)."""
    client, _ = adapters
    for tool, arguments, _ in BAD_FILTERS:
        if tool == "list_articles" or "article_ids" in arguments and tool == "summarize":
            continue
        body = {k: v for k, v in arguments.items() if k in ("question", "query", "topic")}
        body["filters"] = {"article_ids" if k == "within_article_ids" else k: v for k, v in arguments.items()
                           if k not in body}
        assert client.post(f"/v1/{tool}", json=body).status_code == 422, (tool, arguments)


def test_list_articles_takes_sources_as_ask_and_search_do(adapters):
    """list_articles spelt the filter `source` (one publisher), ask and search `sources` (a list): it takes both;
    several publishers page as one list, newest first, as GET /v1/articles orders them."""
    client, server = adapters
    everything = client.get("/v1/articles", params={"limit": 100}).json()["articles"]
    # publishers whose dates interleave: listed one after another, they would not be newest first
    wanted = ["Citewire Markets", "Citewire Sport", "Citewire World"]
    expected = [a["id"] for a in everything if a["source"] in wanted]
    assert expected == ["fed-holds-rates-sept-2023", "libya-derna-floods-2023", "morocco-earthquake-2023",
                        "womens-world-cup-final-2023"]

    listed = answered(server, "list_articles", {"sources": wanted})
    assert listed["total"] == 4 and [a["id"] for a in listed["articles"]] == expected
    pages = [answered(server, "list_articles", {"sources": wanted, "limit": 3, "offset": offset})
             for offset in (0, 3, 6)]
    assert [[a["id"] for a in page["articles"]] for page in pages] == [expected[:3], expected[3:], []]
    assert all(page["total"] == 4 and page["offset"] == offset for page, offset in zip(pages, (0, 3, 6)))

    one = answered(server, "list_articles", {"sources": ["Citewire World"]})
    old = answered(server, "list_articles", {"source": "Citewire World"})  # existing clients
    over_http = client.get("/v1/articles", params={"source": "Citewire World"}).json()
    assert one == old and one["total"] == over_http["total"] == 2
    assert [a["id"] for a in one["articles"]] == [a["id"] for a in over_http["articles"]]
    assert {a["source"] for a in one["articles"]} == {"Citewire World"}
    # an empty list restricts nothing (as filters.sources: [] over HTTP); a publisher given twice counts once
    assert answered(server, "list_articles", {"sources": []})["total"] == 8
    assert answered(server, "list_articles", {"sources": ["Citewire World"] * 2})["total"] == 2
    assert answered(server, "list_articles", {"sources": ["No Such Desk"]}) == {"total": 0, "offset": 0,
                                                                                 "articles": []}


def test_the_schemas_name_every_filter(adapters):
    """Hosts show the schemas to the model: every filter is there, typed and bounded as it is read."""
    _, server = adapters

    async def run():
        async with Client(server) as client:
            return {t.name: t.input_schema["properties"] for t in (await client.list_tools()).tools}

    tools = anyio.run(run)
    for tool in ("ask", "search"):
        assert {"sources", "published_from", "published_to", "article_ids", "as_of"} <= set(tools[tool])
    assert {"sources", "published_from", "published_to", "within_article_ids", "as_of"} <= set(tools["summarize"])
    assert {"source", "sources"} <= set(tools["list_articles"])
    for tool, name in (("ask", "sources"), ("search", "article_ids"), ("summarize", "within_article_ids"),
                       ("list_articles", "sources")):
        array = tools[tool][name]["anyOf"][0]
        assert array["type"] == "array" and array["maxItems"] == 1000, (tool, name)
    assert tools["search"]["article_ids"]["anyOf"][0]["items"]["pattern"].startswith("^[A-Za-z0-9]")
    dates = tools["ask"]["published_from"]["anyOf"][0]["anyOf"]
    assert dates == [{"format": "date", "type": "string"}, {"format": "date-time", "type": "string"}]
    for name in ("sources", "published_from", "published_to", "within_article_ids"):
        assert "article_ids" in tools["summarize"][name]["description"], name  # says it is refused with them


def test_dates_read_as_http_and_the_cli_read_them(services):
    """A date is its whole day, a date and time that instant; an undated article is outside either date bound
    (and inside as_of alone). Over an article published at 15:00 UTC, so a bound read as the day's first second
    (or as its last) would show."""
    services.ingest.ingest([
        ArticleIn(id="harbour-timed", title="Harbour strike ends", source="Port Gazette", url="https://g.example/1",
                  published_at="2024-05-04T15:00:00Z", text="The Rotterdam harbour strike ended on Saturday "
                  "afternoon after the dockers accepted a new wage offer from the port employers."),
        ArticleIn(id="harbour-undated", title="Harbour strike explained", source="Port Gazette",
                  url="https://g.example/2", text="The Rotterdam harbour strike began over wages; the dockers "
                  "wanted a new wage offer from the port employers before they went back to work."),
    ])
    server = create_mcp_server(lambda: services)
    query = {"query": "Rotterdam harbour strike dockers wage offer", "top_k": 10}

    def found(**bounds) -> set[str]:
        return articles(answered(server, "search", {**query, **bounds})["results"])

    assert found() == {"harbour-timed", "harbour-undated"}
    assert found(published_to="2024-05-04") == {"harbour-timed"}  # through the day's last second
    assert found(published_from="2024-05-04") == {"harbour-timed"}  # from its first
    assert found(published_to="2024-05-04T14:59:59Z") == set()  # an instant is that instant
    assert found(published_to="2024-05-04T15:00:00Z") == {"harbour-timed"}
    assert found(published_from="2024-05-04T15:00:01Z") == set()
    assert found(published_from="2024-05-04T17:00:00+02:00") == {"harbour-timed"}  # 15:00 UTC
    assert found(published_to="2024-05-03") == set()
    assert found(published_from="2024-05-04T00:00:00.000Z", published_to="2024-05-04T00:00:00Z") == \
        {"harbour-timed"}  # midnight UTC is the date, as toISOString() writes one
    assert found(as_of="2024-05-04") == {"harbour-timed", "harbour-undated"}
    assert found(sources=["Port Gazette"], article_ids=["harbour-undated"]) == {"harbour-undated"}
    assert found(sources=["Port Gazette"], article_ids=["harbour-undated"], published_to="2030-01-01") == set()
