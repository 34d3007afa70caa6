"""The MCP server driven by the SDK's own client: over stdio (`citewire mcp` as a real child process)
and over streamable HTTP at /mcp of a real uvicorn server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from app.request_types import ARTICLE_ID_RULE
from tests.test_integration import serve_samples

pytestmark = pytest.mark.integration

TOOLS = {"ask", "search", "summarize", "list_articles", "get_article"}
VOSTOCHNY = "kim-putin-vostochny-2023"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serve_samples(tmp_path_factory.mktemp("mcp-http") / "data") as url:
        yield url


def citewire_command() -> list[str]:
    script = Path(sys.executable).parent / "citewire"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app.cli"]


async def exercise(session: ClientSession) -> None:
    """The same checks over either transport."""
    await session.initialize()
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert set(tools) == TOOLS
    ask_schema = tools["ask"].input_schema
    assert ask_schema["required"] == ["question"] and ask_schema["properties"]["question"]["type"] == "string"
    assert ask_schema["properties"]["question"]["maxLength"] == 2000
    mode = tools["search"].input_schema["properties"]["mode"]
    assert [o.get("enum") for o in mode["anyOf"]] == [["hybrid", "bm25", "dense"], None]  # or null: the default
    assert tools["ask"].output_schema and "citations" in tools["ask"].output_schema["properties"]

    answer = await session.call_tool("ask", {"question": "What did Kim pledge to Putin?"})
    assert not answer.is_error
    result = answer.structured_content
    assert result["answerable"] and result["citations"]
    assert "[1]" in result["text"] and "Sources:" in result["text"]
    cited = result["citations"][0]
    article = await session.call_tool("get_article", {"article_id": cited["article_id"]})
    text = article.structured_content["text"]
    assert text[cited["char_start"]:cited["char_end"]] == cited["quote"]

    refusal = (await session.call_tool("ask", {"question": "What did Joe Biden say about the meeting?"})).structured_content
    assert refusal["answerable"] is False and refusal["citations"] == [] and "Sources:" not in refusal["text"]

    hits = (await session.call_tool("search", {"query": "Vostochny spaceport", "top_k": 3})).structured_content
    assert 1 <= len(hits["results"]) <= 3 and hits["results"][0]["article_id"] == VOSTOCHNY

    summary = (await session.call_tool("summarize", {"article_ids": [VOSTOCHNY], "max_words": 60})).structured_content
    assert summary["citations"] and all(c["article_id"] == VOSTOCHNY for c in summary["citations"])
    assert summary["answerable"] is True and summary["refusal_reason"] is None
    assert summary["truncated"] == []  # read whole (a long article would be named, as /v1/summarize names it)
    off_topic = (await session.call_tool("summarize", {"topic": "cryptocurrency regulation in Brazil"})).structured_content
    assert off_topic["answerable"] is False and off_topic["citations"] == []
    assert "brazil" in off_topic["refusal_reason"].lower()  # why, as /v1/summarize says it
    then = (await session.call_tool("summarize", {"topic": "Kim and Putin", "as_of": "2023-12-31"})).structured_content
    assert then["article_ids"] == [VOSTOCHNY]  # the 2024 treaty article is hidden, as for ask

    # the filters of /v1/*'s `filters`, as arguments (tests/test_mcp_filters.py has the rest)
    desk = (await session.call_tool("summarize", {"topic": "Kim", "sources": ["Citewire Desk"]})).structured_content
    assert desk["answerable"] and VOSTOCHNY in desk["article_ids"]
    sport = (await session.call_tool("summarize", {"topic": "Kim", "sources": ["Citewire Sport"]})).structured_content
    assert sport["answerable"] is False and sport["citations"] == []
    pledge = {"question": "What did Kim pledge to Putin?"}
    that_day = (await session.call_tool("ask", {**pledge, "published_to": "2023-09-13"})).structured_content
    assert that_day["answerable"] and {c["article_id"] for c in that_day["citations"]} == {VOSTOCHNY}
    day_before = (await session.call_tool("ask", {**pledge, "published_to": "2023-09-12"})).structured_content
    assert VOSTOCHNY not in {c["article_id"] for c in day_before["citations"]}
    later = (await session.call_tool("search", {"query": "Vostochny spaceport", "published_from": "2024-01-01",
                                                "article_ids": [VOSTOCHNY]})).structured_content
    assert later["results"] == []
    backwards = await session.call_tool("search", {"query": "Kim", "published_from": "2024-02-01",
                                                   "published_to": "2024-01-01"})
    assert backwards.is_error
    assert backwards.content[0].text == "Error executing tool search: published_from is after published_to"
    publishers = (await session.call_tool("list_articles", {"sources": ["Citewire World", "Citewire Sport"]}))
    assert publishers.structured_content["total"] == 3

    listing = (await session.call_tool("list_articles", {"limit": 3})).structured_content
    assert listing["total"] == 8 and len(listing["articles"]) == 3
    # many LLM clients send null for an optional argument they leave out: that means the default
    nulls = (await session.call_tool("search", {"query": "Vostochny spaceport", "top_k": None, "mode": None}))
    assert not nulls.is_error and len(nulls.structured_content["results"]) == 5
    assert not (await session.call_tool("summarize", {"article_ids": [VOSTOCHNY], "max_words": None})).is_error
    # a number sent as text is read, as /v1/summarize reads it (only true/false are refused, below)
    assert not (await session.call_tool("summarize", {"article_ids": [VOSTOCHNY], "max_words": "60"})).is_error
    everything = (await session.call_tool("list_articles", {"limit": None, "offset": None})).structured_content
    assert len(everything["articles"]) == 8

    for bad in [("ask", {"question": ""}), ("ask", {"question": "   "}), ("search", {"query": " \n"}),
                ("ask", {"question": "x", "top_k": 500}),
                ("get_article", {"article_id": "no-such-article"}), ("summarize", {}),
                ("search", {"query": "x", "mode": "fuzzy"}),
                ("summarize", {"article_ids": [VOSTOCHNY] * 101}), ("summarize", {"topic": "Kim " * 501}),
                ("summarize", {"article_ids": [VOSTOCHNY], "max_words": True})]:
        assert (await session.call_tool(*bad)).is_error, bad
    too_many = await session.call_tool("ask", {"question": "x", "top_k": 1000})
    assert too_many.is_error and too_many.content[0].text == "Error executing tool ask: top_k: must be at most 50"
    # a misspelt filter argument must not quietly answer unfiltered
    for tool, args in [("ask", {"question": "What did Kim pledge to Putin?", "source": ["Citewire Sport"]}),
                       ("search", {"query": "Vostochny", "sourcez": ["Citewire Sport"]})]:
        misspelt = await session.call_tool(tool, args)
        assert misspelt.is_error, (tool, args)
        assert next(k for k in args if k not in ("question", "query")) in misspelt.content[0].text

    uris = [r.uri for r in (await session.list_resources()).resources]
    assert f"article://{VOSTOCHNY}" in uris and len(uris) == 8
    templates = (await session.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["article://{article_id}"]
    page = (await session.read_resource(f"article://{VOSTOCHNY}")).contents[0]
    assert page.mime_type == "text/markdown" and cited["quote"] in page.text


def test_stdio_transport_spawning_citewire_mcp(tmp_path):
    command, *args = citewire_command()
    # PYTHONPATH passed on (the SDK starts the child with a bare environment): the child runs this checkout's app,
    # not whichever one the script's environment has installed
    passed = {name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ}
    params = StdioServerParameters(command=command, args=[*args, "mcp", "--samples"], cwd=str(tmp_path),
                                   env={"CITEWIRE_DATA_DIR": str(tmp_path / "data"), "ANONYMIZED_TELEMETRY": "False",
                                        **passed})

    async def run() -> None:
        with anyio.fail_after(180):
            async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
                await exercise(session)

    anyio.run(run)


def test_streamable_http_transport_at_slash_mcp(served):
    async def run() -> None:
        with anyio.fail_after(120):
            async with streamable_http_client(f"{served}/mcp") as (read, write), ClientSession(read, write) as session:
                await exercise(session)

    anyio.run(run)
    # the rest of the API is untouched by the mount
    assert httpx.get(f"{served}/healthz").json() == {"status": "ok"}


def test_http_transport_refuses_unlisted_hosts(served):
    """DNS-rebinding protection: a page on another origin cannot drive the local MCP server."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    evil = httpx.post(f"{served}/mcp", json=body, headers={**headers, "host": "evil.example"})
    assert evil.status_code in (403, 421)
    cross = httpx.post(f"{served}/mcp", json=body, headers={**headers, "origin": "https://evil.example"})
    assert cross.status_code == 403


def test_citewire_mcp_with_a_bad_setting_is_a_one_line_error(tmp_path):
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_TOP_K": "0"}
    result = subprocess.run([*citewire_command(), "mcp"], env=env, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: invalid setting: CITEWIRE_TOP_K") and "Traceback" not in result.stderr


def test_plain_get_is_answered_at_once(served):
    """A browser or curl opening /mcp gets a prompt 405 with a message, not a 200 event stream held open
    forever: stateless, the server has nothing to send on one (the SDK's client never asks for it)."""
    for accept in (None, "text/html,application/xhtml+xml,*/*;q=0.8", "text/event-stream"):
        response = httpx.get(f"{served}/mcp", headers={"accept": accept} if accept else {}, timeout=5)
        assert response.status_code == 405 and response.headers["allow"] == "POST", accept
        assert response.json()["error"] == "method not allowed" and "POST /mcp" in response.json()["detail"]


def test_call_tool_builds_the_argument_check_once(services):
    """call_tool checks arguments against the tools' schemas built once, not by listing every tool per call;
    a tool added later is still checked."""
    from mcp.server.mcpserver.exceptions import ToolError

    from app.mcp.server import create_mcp_server

    server = create_mcp_server(lambda: services)
    listed = []
    list_tools = server.list_tools

    async def counting_list_tools():
        listed.append(1)
        return await list_tools()

    server.list_tools = counting_list_tools

    async def run() -> None:
        for _ in range(3):
            assert not (await server.call_tool("list_articles", {"limit": 2})).is_error
        with pytest.raises(ToolError, match="sourcez"):
            await server.call_tool("search", {"query": "Vostochny", "sourcez": ["x"]})
        assert len(listed) == 1
        server.add_tool(lambda city: city, name="echo_city")
        with pytest.raises(ToolError, match="country"):
            await server.call_tool("echo_city", {"city": "Paris", "country": "France"})
        assert not (await server.call_tool("echo_city", {"city": "Paris"})).is_error

    anyio.run(run)


# Each bad argument, the field it names and the reason (in the words /v1/* and the CLI use where they share one).
BAD_ARGUMENTS = [
    ("ask", {"question": ""}, "question", "question is empty"),
    ("ask", {"question": " \n "}, "question", "question is empty"),
    ("search", {"query": ""}, "query", "query is empty"),
    ("ask", {"question": "x" * 2001}, "question", "question is longer than 2000 characters"),
    ("ask", {"question": 123}, "question", "must be a string"),
    ("ask", {"question": None}, "question", "must be a string"),
    ("ask", {}, "question", "required"),
    ("ask", {"question": "x", "top_k": 1000}, "top_k", "must be at most 50"),
    ("ask", {"question": "x", "top_k": 0}, "top_k", "must be at least 1"),
    ("ask", {"question": "x", "top_k": True}, "top_k", "must be a whole number, not true or false"),
    ("ask", {"question": "x", "top_k": "many"}, "top_k", "must be a whole number"),
    ("ask", {"question": "x", "top_k": 2.5}, "top_k", "must be a whole number"),
    ("ask", {"question": "x", "as_of": "yesterday"}, "as_of", "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),
    ("ask", {"question": "x", "as_of": "2023-13-45"}, "as_of",
     "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z (month value is outside expected range of 1-12)"),
    ("ask", {"question": "x", "as_of": "2023-02-30"}, "as_of", "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z (day value is outside "
                                                                "expected range)"),
    # a date and time is that instant (app/request_types.DateIn, as on /v1/*); one that is none is refused
    ("ask", {"question": "x", "as_of": "2023-01-01T10h00"}, "as_of", "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),
    ("ask", {"question": "x", "as_of": 12345}, "as_of", "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),  # once seconds since 1970
    ("ask", {"question": "x", "as_of": "86400"}, "as_of", "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),  # once 1970-01-02
    ("ask", {"question": "x", "sources": "Citewire Sport"}, "sources", "must be a list"),
    ("ask", {"question": "x", "sources": [7]}, "sources[0]", "must be a string"),
    ("ask", {"question": "x", "published_from": "last week"}, "published_from", "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),
    ("search", {"query": "x", "published_to": "2023-13-01"}, "published_to",
     "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z (month value is outside expected range of 1-12)"),
    ("search", {"query": "x", "article_ids": ["../etc"]}, "article_ids[0]",
     f"'../etc' is not an article id ({ARTICLE_ID_RULE})"),
    ("summarize", {"topic": "Kim", "within_article_ids": "x"}, "within_article_ids", "must be a list"),
    ("list_articles", {"sources": [None]}, "sources[0]", "must be a string"),
    ("search", {"query": "x", "mode": "fuzzy"}, "mode", "must be one of 'hybrid', 'bm25' or 'dense'"),
    ("summarize", {"article_ids": [VOSTOCHNY], "max_words": 5}, "max_words", "must be at least 20"),
    ("summarize", {"topic": "Kim", "as_of": "31/12/2023"}, "as_of", "must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"),
    ("list_articles", {"limit": -1}, "limit", "must be at least 1"),
    ("list_articles", {"limit": 1001}, "limit", "must be at most 1000"),
    ("list_articles", {"offset": -5}, "offset", "must be at least 0"),
    ("get_article", {"article_id": ""}, "article_id", "must not be empty"),
    ("get_article", {"article_id": "x" * 301}, "article_id", "must have at most 300 characters"),
]
LIBRARY_DUMP = ("pydantic", "errors.pydantic.dev", "input_value", "input_type", "[type=", "validation error for",
                "Arguments", "Input should", "Value error")


def _unreachable_services():
    raise AssertionError("an argument that fails validation must not reach the services")


@pytest.mark.parametrize(("tool", "arguments", "field", "reason"), BAD_ARGUMENTS,
                         ids=[f"{t}-{next(iter(a), 'none')}-{i}" for i, (t, a, _, _) in enumerate(BAD_ARGUMENTS)])
def test_a_bad_argument_is_one_clean_line_naming_the_field(tool, arguments, field, reason):
    """A rejected argument is a tool error (isError) the caller can read and correct: one line, the field and why,
    never pydantic's dump (its model name, the rejected value, its docs URL)."""
    from app.mcp.server import create_mcp_server

    async def run() -> str:
        async with Client(create_mcp_server(_unreachable_services)) as client:
            result = await client.call_tool(tool, arguments)
        assert result.is_error and len(result.content) == 1
        return result.content[0].text

    text = anyio.run(run)
    assert text == f"Error executing tool {tool}: {field}: {reason}"
    assert "\n" not in text and not any(dump in text for dump in LIBRARY_DUMP), text


def test_every_bad_argument_is_named_at_once():
    """Several bad arguments are all named, in the order the tool takes them, on one line; a long list of them is
    cut after five."""
    from app.mcp.server import create_mcp_server

    async def run() -> list[str]:
        async with Client(create_mcp_server(_unreachable_services)) as client:
            several = await client.call_tool("ask", {"question": "", "top_k": 1000, "as_of": "soon"})
            many = await client.call_tool("search", {"query": "x", "sources": list(range(40))})
        assert several.is_error and many.is_error
        return [several.content[0].text, many.content[0].text]

    several, many = anyio.run(run)
    assert several == ("Error executing tool ask: question: question is empty; top_k: must be at most 50; "
                       "as_of: must be a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z")
    assert many == ("Error executing tool search: " + "; ".join(f"sources[{i}]: must be a string" for i in range(5))
                    + "; and 35 more")
