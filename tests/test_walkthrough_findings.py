"""Bugs met walking the product as a new user from the README (real HTTP through the app, the `openai` SDK,
the CLI as a process). Each test fails without its fix; the ones whose fix belongs to a file being edited
elsewhere are marked xfail(strict) with the fix described."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openai
import pytest
from fastapi.testclient import TestClient

from tests.conftest import SHARED, mini_suite

VOSTOCHNY = "kim-putin-vostochny-2023"


def _app(tmp_path: Path, **settings):
    from app.config import Settings
    from app.main import create_app

    return create_app(Settings(data_dir=tmp_path / "data", index_samples=True, **settings))


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with TestClient(_app(tmp_path_factory.mktemp("walk"))) as test_client:
        yield test_client


def _events(text: str) -> list[tuple[str, object]]:
    out, name = [], None
    for line in text.splitlines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            out.append((name, json.loads(line[6:])))
    return out


# --- OpenAI-compatible routes, through the openai SDK --------------------------------------------------------------


def test_openai_route_refuses_a_boolean_top_k_as_every_other_adapter_does(client):
    """README *One reading of every input*: top_k is read by one type over HTTP and MCP, JSON true/false refused.
    /v1/ask refuses `top_k: true` (422) and the MCP tool refuses it, but /v1/chat/completions read it as 1 and
    answered from a single passage."""
    assert client.post("/v1/ask", json={"question": "What did Kim pledge?", "top_k": True}).status_code == 422
    sdk = openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client, max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.chat.completions.create(model="citewire", messages=[{"role": "user", "content": "What did Kim pledge?"}],
                                    extra_body={"top_k": True})
    assert refused.value.body["param"] == "top_k" and refused.value.body["type"] == "invalid_request_error"
    # a number sent as text is still read, as /v1/ask reads it
    reply = sdk.chat.completions.create(model="citewire", messages=[{"role": "user", "content": "What did Kim pledge?"}],
                                        extra_body={"top_k": "3"})
    assert reply.choices[0].message.model_extra["citewire"]["answerable"] is True


def test_openai_route_refuses_a_boolean_n(client):
    """`n: true` passed the "n must be 1" check (True == 1); OpenAI refuses a boolean n."""
    sdk = openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client, max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        sdk.chat.completions.create(model="citewire", messages=[{"role": "user", "content": "What did Kim pledge?"}],
                                    extra_body={"n": True})
    assert refused.value.body["param"] == "n"


# --- summaries -------------------------------------------------------------------------------------------------------


def test_streamed_summary_deltas_spell_the_summary_conflict_notes_included(client):
    """/v1/summarize with stream: true sent each sentence as a delta with its markers appended; a conflict note
    already carries its markers, so the stream said "… reports 11300 [2]. [1][2]" where the summary (and the
    final event) says "… reports 11300 [2].": the streamed text was not the summary."""
    from tests.conftest import conflicting_toll_reports

    added = client.post("/v1/articles", json=[a.model_dump(mode="json") for a in conflicting_toll_reports()])
    assert added.status_code in (200, 201), added.text
    request = {"article_ids": ["wire-a", "wire-b"]}
    plain = client.post("/v1/summarize", json=request).json()
    assert plain["conflicts"], plain  # the case this test is about: a conflict note in the summary
    events = _events(client.post("/v1/summarize", json={**request, "stream": True}).text)
    final = [data for name, data in events if name == "final"][0]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert final["summary"] == plain["summary"]
    assert streamed.strip() == final["summary"]


def test_a_streamed_summary_refusal_sends_its_text_as_a_delta_like_a_streamed_ask(client):
    """A client that renders deltas showed nothing for a refused summary: it sent only citations and final."""
    events = _events(client.post("/v1/summarize", json={"topic": "cryptocurrency regulation in Brazil",
                                                        "stream": True}).text)
    final = [data for name, data in events if name == "final"][0]
    assert final["answerable"] is False and final["summary"]
    assert [name for name, _ in events] == ["delta", "citations", "final"]
    assert "".join(data["text"] for name, data in events if name == "delta").strip() == final["summary"]


def test_llm_topic_summary_summarises_the_topic_not_every_retrieved_passage(tmp_path):
    """An LLM topic summary was written from every passage retrieval returned (top 12: the whole sample index),
    without the topic in the prompt and without the on-topic filter the extractive summary applies: "Kim Putin"
    as of 2023-12-31 was summarised as the Morocco earthquake and the Fed's rate decision. The extractive
    summary of the same request cites the Vostochny meeting only."""
    with TestClient(_app(tmp_path, llm_base_url="fake://", llm_model="fake")) as llm:
        request = {"topic": "Kim Putin", "as_of": "2023-12-31"}
        body = llm.post("/v1/summarize", json=request).json()
        assert body["mode"] == "llm" and body["answerable"], body
        assert {c["article_id"] for c in body["citations"]} == {VOSTOCHNY}, body["summary"]
        assert body["article_ids"] == [VOSTOCHNY]


# --- the eval CLI ----------------------------------------------------------------------------------------------------


def _citewire(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=_cli_env(cwd))


def _cli_env(folder: Path) -> dict:
    import os

    return {**os.environ, "CITEWIRE_DATA_DIR": str(folder / "cli-data"), "PYTHONPATH": str(Path(__file__).parents[1])}


def test_eval_out_that_is_a_file_is_a_one_line_usage_error(tmp_path):
    target = tmp_path / "report.txt"
    target.write_text("not a folder")
    done = _citewire("eval", "-q", "--suite", str(mini_suite(tmp_path)), "--out", str(target), cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr[-800:]
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: ") and len(done.stderr.strip().splitlines()) == 1


def test_eval_path_that_does_not_exist_is_named_as_missing(tmp_path):
    done = _citewire("eval", "--dataset", "qags", "--path", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert done.returncode == 2
    assert "needs --path" not in done.stderr and "nowhere" in done.stderr, done.stderr


# --- the known-answer suite's own checks -----------------------------------------------------------------------------


def _suite_with(folder: Path, edit) -> Path:
    import yaml

    suite = yaml.safe_load(mini_suite(folder).read_text())
    edit(suite)
    path = folder / "edited-suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path


@pytest.mark.parametrize("field, value", [("as_of", "2023-13-45"), ("as_of", "13/09/2023")])
def test_a_suite_case_with_a_bad_date_fails_on_load_not_as_a_silent_false_refusal(tmp_path, field, value):
    """The suite is "validated on load so a typo fails loudly", but as_of was any string: the server refused each
    request of that case (422) and the eval scored it as a retrieval miss and a false refusal, exit 0."""
    from app.evals.dataset import DatasetError, load_suite

    path = _suite_with(tmp_path, lambda s: s["answerable"][0].update({field: value}))
    with pytest.raises(DatasetError, match="as_of"):
        load_suite(path)


def test_a_suite_case_dated_as_yaml_writes_dates_is_read(tmp_path):
    """`as_of: 2024-01-01` (the suite's own comment says YYYY-MM-DD; YAML reads it unquoted as a date) was refused:
    "answerable.0.as_of: Input should be a valid string"."""
    from app.evals.dataset import load_suite

    path = tmp_path / "dated.yaml"
    path.write_text(mini_suite(tmp_path).read_text().replace("  question:", "  as_of: 2024-01-01\n  question:", 1))
    assert "as_of: 2024-01-01\n" in path.read_text()
    suite = load_suite(path)
    assert str(suite.answerable[0].as_of) == "2024-01-01"


def test_a_summary_case_over_the_word_caps_fails_on_load(tmp_path):
    """max_words 5 passed the suite check; /v1/summarize refused it (422) and the case scored 0 coverage."""
    from app.evals.dataset import DatasetError, load_suite

    path = _suite_with(tmp_path, lambda s: s["summaries"][0].update({"max_words": 5}))
    with pytest.raises(DatasetError, match="max_words"):
        load_suite(path)


def test_dated_cases_reach_the_server_as_dates(tmp_path):
    """The runner sends a case's as_of as the API reads it (YYYY-MM-DD), through the in-process app."""
    from app.answer.support import SupportChecker
    from app.config import Settings
    from app.embed import make_embedder
    from app.evals.dataset import load_suite
    from app.evals.run import in_process_target
    from app.evals.runner import run_suite
    from app.main import create_app

    path = _suite_with(tmp_path, lambda s: (s.update({"answerable": s["answerable"][:1], "unanswerable": [],
                                                      "summaries": []}),
                                            s["answerable"][0].update({"as_of": "2024-01-01"})))
    suite = load_suite(path)
    with in_process_target(make_app=create_app) as (target, _services):
        result = run_suite(target, suite, SupportChecker(make_embedder(Settings())), progress=False)
    assert result.cases[0]["status"] == 200, result.cases[0]


# --- MCP -------------------------------------------------------------------------------------------------------------


def test_mcp_tool_says_which_dependency_is_down_as_http_does(tmp_path):
    """With the LLM endpoint down, /v1/ask answers 503 "dependency unavailable: the LLM endpoint is not reachable",
    but the MCP tools answered only "Error executing tool ask" (and logged a crash with its stack): the host's
    model could not tell the user that Citewire's LLM was down or that a retry may work."""
    import socket

    from mcp import Client

    from app.mcp.server import create_mcp_server

    with socket.socket() as s:  # a port nothing listens on: the LLM endpoint is down
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    app = _app(tmp_path, llm_base_url=f"http://127.0.0.1:{dead}/v1", llm_model="x", llm_max_retries=0,
               llm_timeout=2, warmup=False, llm_outage_fallback="error")
    with TestClient(app) as http:
        over_http = http.post("/v1/ask", json={"question": "What did Kim pledge?"})
        assert over_http.status_code == 503 and over_http.json()["error"] == "dependency unavailable"
        server = create_mcp_server(lambda: app.state.services)

        async def call(tool: str, arguments: dict):
            async with Client(server) as client:
                return await client.call_tool(tool, arguments)

        import anyio

        for tool, arguments in [("ask", {"question": "What did Kim pledge?"}), ("summarize", {"topic": "Kim Putin"})]:
            result = anyio.run(call, tool, arguments)
            assert result.is_error
            text = result.content[0].text
            assert "dependency unavailable" in text and "LLM endpoint is not reachable" in text, text


def test_every_listed_article_resource_opens_a_one_letter_prefix_id_included(tmp_path):
    """Article ids may hold ':' (ARTICLE_ID). resources/list named `article://a:2023-17`, but reading it answered
    "Unknown resource": the SDK's default resource security read "a:2023-17" as a Windows drive-relative path and
    refused it. The id is looked up in the record store, never in the file system."""
    import anyio
    from mcp import Client

    from app.config import Settings
    from app.ingest.article import ArticleIn
    from app.mcp.server import create_mcp_server
    from app.services import build_services

    services = build_services(Settings(data_dir=tmp_path / "data"))
    try:
        services.ingest.ingest([
            ArticleIn(id="a:2023-17", title="Prefixed", source="Wire", published_at="2023-05-01",
                      text="Penguins marched south across the ice shelf on Monday."),
            ArticleIn(id="wire:2023-18", title="Longer prefix", source="Wire", published_at="2023-05-02",
                      text="Seals rested on the rocks near the harbour on Tuesday."),
        ])
        server = create_mcp_server(lambda: services)

        async def read_all():
            async with Client(server) as client:
                listed = (await client.list_resources()).resources
                return {str(r.uri): (await client.read_resource(str(r.uri))).contents[0].text for r in listed}

        texts = anyio.run(read_all)
        assert set(texts) == {"article://a:2023-17", "article://wire:2023-18"}
        assert "Penguins marched south" in texts["article://a:2023-17"]
    finally:
        services.close()


# --- found, not fixed here -------------------------------------------------------------------------------------------


def test_an_upload_named_as_browsers_name_files_is_stored(client):
    text = b"Volunteers counted 312 hedgehogs crossing Gloucester Road in Bristol during the spring survey.\n"
    response = client.post("/v1/articles", files=[("files", ("My Story (1).txt", text, "text/plain")),
                                                  ("files", ("caf\u00e9-report.txt", text, "text/plain"))])
    assert response.status_code == 201, response.text
    assert response.json()["added"] == 2


def test_a_topic_summary_does_not_borrow_another_events_facts(corpus_services):
    """'Derna floods death toll' opened with the Morocco earthquake's 'The death toll rose to nearly 3,000 …', which
    a reader takes for Derna's: a sentence naming no one and nowhere now waits for a naming one of its article."""
    summary = corpus_services.summaries.summarize_topic("Derna floods death toll")
    assert summary.answerable
    assert "morocco-earthquake-2023" not in {c.article_id for c in summary.citations}, summary.summary


def test_a_date_bound_treats_undated_articles_alike_from_either_side(client):
    added = client.post("/v1/articles", json=[
        {"id": "undated-walrus", "title": "Walrus", "source": "Test Wire",
         "text": "A walrus named Freya sank a small boat in Oslo harbour."},
    ])
    assert added.status_code in (200, 201), added.text

    def found(filters: dict) -> bool:
        body = client.post("/v1/search", json={"query": "walrus Freya Oslo", "filters": filters}).json()
        return "undated-walrus" in {r["article_id"] for r in body["results"]}

    assert found({}) is True
    assert found({"published_from": "2000-01-01"}) is False
    assert found({"published_to": "2030-01-01"}) is found({"published_from": "2000-01-01"})


@pytest.mark.skipif(not (SHARED / "data" / "realtimeqa-dev" / "questions.jsonl").exists(),
                    reason="../shared/data/realtimeqa-dev is not beside the repository")
@pytest.mark.parametrize("make", ["missing", "empty"])
def test_eval_realtimeqa_index_that_holds_no_index_is_an_error_not_all_zero_scores(tmp_path, make):
    """`--index` naming a folder that does not exist (a typo) or an empty index: the eval built an empty index
    there (creating the folder), asked every question of it and printed hit@k 0 and false refusal 1.0 with exit 0,
    as `--url` did for a server that was not Citewire's before it was checked."""
    from app.config import Settings
    from app.evals.dataset import DatasetError
    from app.evals.public import run_realtimeqa
    from app.services import build_services

    index = tmp_path / "index"
    if make == "empty":
        build_services(Settings(data_dir=index)).close()
    data = SHARED / "data" / "realtimeqa-dev"
    with pytest.raises(DatasetError, match="index"):
        run_realtimeqa(data, tmp_path / "out", limit=2, progress=False, index=index)
    if make == "missing":
        assert not index.exists()  # nothing written where the typo pointed


def test_an_article_summary_quotes_only_spans_that_lie_inside_the_chunk_it_cites(tmp_path, monkeypatch):
    """A citation's quote is a span of the chunk its chunk_id names (as every answer's is). An article summary
    cut sentences from the whole text, and a "sentence" the segmenter ran across a chunk border (two quoted
    sentences it read as one: '"Write what you're passionate about." "In our nano-second world…"') was cited to
    the chunk it starts in, which ends inside it (1 of 2,170 summary citations over 150 RealTimeQA articles)."""
    from app.config import Settings
    from app.ingest.article import ArticleIn
    from app.services import build_services

    monkeypatch.setenv("CITEWIRE_CHUNK_TOKENS", "40")
    monkeypatch.setenv("CITEWIRE_CHUNK_OVERLAP", "0")
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.chunk_tokens == 40
    services = build_services(settings)
    try:
        advice = " ".join(f'"Advice number {i} from the panel is to write every single morning before work." '
                          f'"Keep a notebook for stray lines," said author {name}.'
                          for i, name in enumerate(["Ann Lee", "Bo Diaz", "Cy Park", "Di Moss", "Ed Vance"], 1))
        services.ingest.ingest([ArticleIn(id="advice", title="Writers' advice", source="Wire",
                                          published_at="2023-05-01", text=advice)])
        chunks = {c.id: c for c in services.records.chunks_of("advice")}
        assert len(chunks) > 2
        summary = services.summaries.summarize_articles(["advice"], max_words=1000)
        assert summary.citations
        for c in summary.citations:
            chunk = chunks[c.chunk_id]
            assert chunk.char_start <= c.char_start and c.char_end <= chunk.char_end, (c, chunk)
    finally:
        services.close()


def test_eval_stops_with_one_line_when_the_service_cannot_answer(tmp_path):
    """With Citewire's LLM endpoint down, every /v1/ask of the in-process eval was a 503 and was scored as a wrong
    answer: the eval printed answer_correctness 0 and false_refusal_rate 1.0 and exited 0 (without --gate), the
    all-zero report the --url check was added to prevent. It now stops at the first 5xx with the server's reason."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    env = {**_cli_env(tmp_path), "CITEWIRE_LLM_BASE_URL": f"http://127.0.0.1:{dead}/v1", "CITEWIRE_LLM_MODEL": "x",
           "CITEWIRE_LLM_MAX_RETRIES": "0", "CITEWIRE_WARMUP": "false", "CITEWIRE_LLM_OUTAGE_FALLBACK": "error"}
    done = subprocess.run([sys.executable, "-m", "app.cli", "eval", "-q", "--suite", str(mini_suite(tmp_path)),
                           "--out", str(tmp_path / "report")], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 1, (done.returncode, done.stdout[-500:], done.stderr[-500:])
    lines = done.stderr.strip().splitlines()  # the in-process app's own warning line may come first
    assert "Traceback" not in done.stderr and lines[-1].startswith("error: ") and "503" in lines[-1], done.stderr
    assert "LLM endpoint" in lines[-1]
    assert not (tmp_path / "report" / "results.json").exists()  # no report of meaningless scores


# --- lone surrogates: valid JSON ("\ud800"), text no UTF-8 encoder takes -----------------------------------------


@pytest.mark.parametrize("path, body", [
    ("/v1/ask", b'{"question": "What did \\ud800 Kim pledge?"}'),
    ("/v1/search", b'{"query": "Kim \\udfff"}'),
    ("/v1/summarize", b'{"topic": "Kim \\ud83d Putin"}'),
    ("/v1/ask", b'{"question": "What did \\ud800 Kim pledge?", "stream": true}'),
    ("/v1/chat/completions", b'{"model": "citewire", "messages": [{"role": "user", "content": "Kim \\ud800?"}]}'),
])
def test_a_lone_surrogate_in_a_question_is_no_server_error(client, path, body):
    """JSON's \\ud800 escape decodes to a lone UTF-16 surrogate; the embedder's tokenizer refused it with a
    TypeError, so /v1/ask, /v1/search, a topic /v1/summarize and /v1/chat/completions answered 500."""
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    if response.headers["content-type"].startswith("text/event-stream"):  # nor an error event mid-stream
        assert [name for name, _ in _events(response.text)][-1] == "final", response.text[-300:]


def test_a_lone_surrogate_in_an_ndjson_record_fails_that_record_only(client):
    body = (b'{"id": "surrogate-title", "title": "S\\ud800", "text": "Puffins nest on cliffs."}\n'
            b'{"id": "fine-title", "title": "Gannets", "text": "Gannets dive for fish."}\n')
    response = client.post("/v1/articles", content=body, headers={"content-type": "application/x-ndjson"})
    assert response.status_code < 500, response.text
    assert response.json()["added"] == 1 and response.json()["failed"] == 1


def test_cli_question_with_a_byte_that_is_not_utf8_is_answered_not_a_traceback(tmp_path):
    """Python reads a non-UTF-8 byte of argv as a lone surrogate (surrogateescape): `citewire ask $'Kim \\xff'`
    died with the tokenizer's TypeError traceback."""
    import os

    done = subprocess.run([os.fsencode(sys.executable), b"-m", b"app.cli", b"ask", b"What did Kim \xff pledge?"],
                          cwd=tmp_path, capture_output=True, timeout=300, env=_cli_env(tmp_path))
    assert b"Traceback" not in done.stderr, done.stderr[-800:]
    assert done.returncode == 0


def test_a_validators_message_reaches_clients_without_pydantics_prefix(client):
    """The web page showed "invalid request: Value error, question is longer than 2000 characters"."""
    detail = client.post("/v1/ask", json={"question": "Kim " * 600}).json()["detail"]
    assert [d["msg"] for d in detail] == ["question is longer than 2000 characters"]
    openai_style = client.post("/v1/chat/completions", json={"model": "citewire", "messages": [
        {"role": "user", "content": "Hi"}], "filters": {"published_from": "2024-02-01", "published_to": "2024-01-01"}})
    assert openai_style.status_code == 400 and "Value error" not in openai_style.json()["error"]["message"]


def test_search_with_an_empty_mode_is_refused_not_read_as_hybrid(client):
    response = client.post("/v1/search", json={"query": "Kim", "mode": ""})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == "mode"
