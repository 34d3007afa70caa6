"""HTTP (/v1/*, through the app) and the MCP tools read the same argument the same way: a value one refuses,
the other refuses too (the MCP server is called as its transports call it, through the SDK's validation)."""

from __future__ import annotations

import json

import anyio
import pytest
from fastapi.testclient import TestClient
from mcp.server.mcpserver.exceptions import ToolError

from app.config import Settings
from app.main import create_app
from app.mcp.server import create_mcp_server

VOSTOCHNY = "kim-putin-vostochny-2023"


@pytest.fixture(scope="module")
def adapters(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("agree") / "data", index_samples=True, warmup=False))
    with TestClient(app) as client:
        yield client, create_mcp_server(lambda: app.state.services)


def mcp_refuses(server, tool: str, arguments: dict) -> str | None:
    """The tool's error text, or None when it answered."""
    async def call():
        try:
            result = await server.call_tool(tool, arguments)
        except ToolError as exc:
            return str(exc)
        return result.content[0].text if getattr(result, "is_error", False) else None

    return anyio.run(call)


def http_refuses(client, method: str, path: str, body: dict) -> str | None:
    response = client.get(path, params=body) if method == "GET" else client.post(path, json=body)
    if response.status_code < 400:
        return None
    assert response.status_code == 422 and set(response.json()) == {"error", "detail"}, response.text
    return str(response.json()["detail"])


# (MCP tool, HTTP route, the rest of a valid request, the numeric argument, its bounds)
NUMERIC = [
    ("ask", ("POST", "/v1/ask"), {"question": "What did Kim pledge?"}, "top_k", (1, 50)),
    ("search", ("POST", "/v1/search"), {"query": "Vostochny"}, "top_k", (1, 50)),
    ("summarize", ("POST", "/v1/summarize"), {"article_ids": [VOSTOCHNY]}, "max_words", (20, 1000)),
    ("list_articles", ("GET", "/v1/articles"), {}, "limit", (1, 1000)),
    ("list_articles", ("GET", "/v1/articles"), {}, "offset", (0, 2**62)),
]


@pytest.mark.parametrize(("tool", "route", "rest", "name", "bounds"), NUMERIC, ids=lambda v: str(v)[:20])
def test_http_and_mcp_agree_on_every_numeric_argument(adapters, tool, route, rest, name, bounds):
    client, server = adapters
    low, high = bounds
    # a JSON true/false in a query string is the text "true"/"false"
    as_query = {True: "true", False: "false"}
    for value, accepted in [(True, False), (False, False), (low, True), (high, True), (str(low + 1), True),
                            (low - 1, False), (high + 1, False), (2.5 + low, False), ("ten", False)]:
        http_value = as_query.get(value, value) if route[0] == "GET" and isinstance(value, bool) else value
        over_http = http_refuses(client, *route, {**rest, name: http_value})
        over_mcp = mcp_refuses(server, tool, {**rest, name: value})
        assert (over_http is None) == accepted, (name, value, over_http)
        assert (over_mcp is None) == accepted, (tool, name, value, over_mcp)


# (arguments, words the refusal holds): one check in the summarize service, so one message for every adapter
SUMMARY_REFUSALS = [
    ({"topic": "Kim and Putin " * 200}, "the topic is longer than 2000 characters"),
    # 2,000 characters once the spaces around them go: the same for everyone (MCP counted the spaces)
    ({"topic": "  " + "k" * 2000 + "\n  "}, None),
    ({"topic": "   \n "}, "the topic is empty"),
    ({"article_ids": [f"a-{i}" for i in range(101)]}, "at most 100 article ids in one summary, not 101"),
    ({"article_ids": [VOSTOCHNY], "topic": "Kim"}, "give article ids or a topic, not both"),
    ({}, "give article ids or a topic"),
    ({"article_ids": [], "topic": None}, "give article ids or a topic"),
    ({"article_ids": [VOSTOCHNY], "topic": ""}, None),
]


@pytest.mark.parametrize(("arguments", "refusal"), SUMMARY_REFUSALS, ids=lambda v: str(v)[:30])
def test_summary_caps_are_one_check_with_one_message(adapters, tmp_path, arguments, refusal):
    from typer.testing import CliRunner

    from app.cli import cli

    client, server = adapters
    over_http = http_refuses(client, "POST", "/v1/summarize", arguments)
    over_mcp = mcp_refuses(server, "summarize", arguments)
    if refusal is None:
        assert over_http is None and over_mcp is None, (over_http, over_mcp)
        return
    cli_args = [a for i in arguments.get("article_ids") or [] for a in ("--article-id", i)]
    cli_args += ["--topic", arguments["topic"]] if arguments.get("topic") is not None else []
    # the CLI's own data dir, left empty: a refusal must come before anything is opened
    result = CliRunner().invoke(cli, ["summarize", *cli_args], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
    assert refusal in over_http and refusal in over_mcp, (over_http, over_mcp)
    assert result.exit_code == 2 and result.stderr.startswith(f"error: {refusal}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "d").exists()


def full_width(text: str) -> str:
    """As typed with a CJK input method: every ASCII letter, digit and mark as its full-width form."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


def test_full_width_questions_and_topics_are_read_as_plain_text(adapters):
    """NFKC on what is searched: "Ｗｈａｔ ｄｉｄ Ｋｉｍ ｐｌｅｄｇｅ？" is answered as "What did Kim pledge?" was, over HTTP
    and MCP; the quotes stay the stored article text, verbatim."""
    client, server = adapters
    question = "What did Kim pledge?"
    assert full_width(question) == "Ｗｈａｔ\u3000ｄｉｄ\u3000Ｋｉｍ\u3000ｐｌｅｄｇｅ？"

    def cited(body):
        return [(c["article_id"], c["char_start"], c["char_end"], c["quote"]) for c in body["citations"]]

    plain = client.post("/v1/ask", json={"question": question}).json()
    wide = client.post("/v1/ask", json={"question": full_width(question)}).json()
    assert plain["answerable"] and wide["answerable"] and cited(wide) == cited(plain)
    for article_id, start, end, quote in cited(wide):
        assert client.get(f"/v1/articles/{article_id}").json()["text"][start:end] == quote
    chat = client.post("/v1/chat", json={"messages": [{"role": "user", "content": full_width(question)}]}).json()
    assert cited(chat) == cited(plain)

    def hits(body):
        return [r["chunk_id"] for r in body["results"]]

    search = {"query": "Vostochny spaceport", "top_k": 3}
    assert hits(client.post("/v1/search", json={**search, "query": full_width(search["query"])}).json()) == \
        hits(client.post("/v1/search", json=search).json())

    async def mcp(tool, arguments):
        return (await server.call_tool(tool, arguments)).structured_content

    over_mcp = anyio.run(mcp, "ask", {"question": full_width(question)})
    assert over_mcp["answerable"] and [c["quote"] for c in over_mcp["citations"]] == [q for *_, q in cited(plain)]
    mcp_hits = anyio.run(mcp, "search", {**search, "query": full_width(search["query"])})
    assert [r["chunk_id"] for r in mcp_hits["results"]] == hits(client.post("/v1/search", json=search).json())

    topic = "Kim Jong Un and Russia"
    plain_summary = client.post("/v1/summarize", json={"topic": topic}).json()
    wide_summary = client.post("/v1/summarize", json={"topic": full_width(topic)}).json()
    assert plain_summary["answerable"] and wide_summary["summary"] == plain_summary["summary"]


def test_full_width_question_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from app.cli import cli
    from app.samples import samples_path

    runner, env = CliRunner(), {"CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_WARMUP": "false"}
    assert runner.invoke(cli, ["ingest", "-q", str(samples_path())], env=env).exit_code == 0
    plain = runner.invoke(cli, ["ask", "--json", "What did Kim pledge?"], env=env)
    wide = runner.invoke(cli, ["ask", "--json", full_width("What did Kim pledge?")], env=env)
    assert plain.exit_code == wide.exit_code == 0
    assert json.loads(wide.stdout)["answerable"] and json.loads(wide.stdout)["citations"] == json.loads(plain.stdout)["citations"]


# (text, refusal): a question or query is NFKC'd and stripped, then 1-2000 characters, over every adapter
QUESTIONS = [
    ("", "is empty"),
    (" \n\u3000 ", "is empty"),  # an ideographic space is a space after NFKC
    ("k" * 2001, "is longer than 2000 characters"),
    ("\u3300" * 600, "is longer than 2000 characters"),  # 600 characters that NFKC makes 2,400 (㌀ is アパート)
    ("  " + "k" * 2000 + "  ", None),
]


@pytest.mark.parametrize(("text", "refusal"), QUESTIONS, ids=lambda v: repr(v)[:20])
def test_questions_and_queries_are_read_alike(adapters, tmp_path, text, refusal):
    from typer.testing import CliRunner

    from app.cli import cli

    client, server = adapters
    for tool, path, field in (("ask", "/v1/ask", "question"), ("search", "/v1/search", "query")):
        over_http = http_refuses(client, "POST", path, {field: text})
        over_mcp = mcp_refuses(server, tool, {field: text})
        if refusal is None:
            assert over_http is None and over_mcp is None, (over_http, over_mcp)
            continue
        assert f"{field} {refusal}" in over_http and f"{field} {refusal}" in over_mcp, (over_http, over_mcp)
        result = CliRunner().invoke(cli, [tool, "--", text], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
        assert result.exit_code == 2 and result.stderr == f"error: {field} {refusal}\n", result.stderr
