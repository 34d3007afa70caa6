"""The HTTP contract through TestClient: shapes, status codes, errors."""

from __future__ import annotations

import gzip
import json

import pytest
from fastapi.testclient import TestClient

from app.answer.models import Answer
from app.api.deps import get_answer_service
from app.config import Settings
from app.main import create_app


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True, max_body_bytes=200_000))
    with TestClient(app) as test_client:
        yield test_client


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["articles"] == 8


def test_ask_returns_a_cited_answer_with_verbatim_quotes(client):
    body = client.post("/v1/ask", json={"question": "What did Kim pledge?"}).json()
    assert body["answerable"] is True and body["mode"] == "extractive"
    assert "full and unconditional support" in body["answer"]
    for citation in body["citations"]:
        assert set(citation) >= {"n", "article_id", "chunk_id", "title", "source", "url", "published_at",
                                 "quote", "char_start", "char_end"}
        text = client.get(f"/v1/articles/{citation['article_id']}").json()["text"]
        assert text[citation["char_start"]:citation["char_end"]] == citation["quote"]


def test_ask_refuses_when_the_articles_do_not_say(client):
    body = client.post("/v1/ask", json={"question": "What did Joe Biden say about the meeting?"}).json()
    assert body["answerable"] is False and body["citations"] == [] and body["answer"]


def test_search_with_filters_and_as_of(client):
    body = client.post("/v1/search", json={"query": "Kim Shoigu", "top_k": 3, "as_of": "2024-12-31"}).json()
    assert body["results"] and all(r["published_at"] <= "2024-12-31" for r in body["results"])
    assert [r["rank"] for r in body["results"]] == list(range(1, len(body["results"]) + 1))
    sport = client.post("/v1/search", json={"query": "final", "filters": {"sources": ["Citewire Sport"]}}).json()
    assert {r["source"] for r in sport["results"]} == {"Citewire Sport"}


def test_article_lifecycle(client):
    article = {"id": "t-1", "title": "Test story", "text": "A brand new bridge opened in Ghent today.",
               "source": "Test", "url": "https://t.example/1", "published_at": "2024-05-01"}
    created = client.post("/v1/articles", json=article)
    assert created.status_code == 201 and created.json()["added"] == 1
    again = client.post("/v1/articles", json=article)
    assert again.status_code == 200 and again.json()["unchanged"] == 1
    listed = client.get("/v1/articles").json()
    assert listed["total"] == 9 and "t-1" in {a["id"] for a in listed["articles"]}
    assert client.get("/v1/articles/t-1").json()["text"] == article["text"]
    assert client.delete("/v1/articles/t-1").json() == {"deleted": "t-1"}
    assert client.get("/v1/articles/t-1").status_code == 404


def test_upload_files_of_every_kind(client):
    lines = "\n".join(json.dumps({"id": f"j{i}", "text": f"Story {i} about trams."}) for i in range(3)).encode()
    files = [
        ("files", ("a.txt", b"Trams return to the old town.", "text/plain")),
        ("files", ("b.md", b"# Tram news\n\nThe tram line reopens.", "text/markdown")),
        ("files", ("c.jsonl.gz", gzip.compress(lines), "application/gzip")),
    ]
    body = client.post("/v1/articles", files=files).json()
    assert body["added"] == 5 and body["failed"] == 0


def test_a_front_matter_date_that_does_not_exist_fails_its_file_alone(client):
    """PyYAML reads 2024-02-30 as a date and raises a plain ValueError: the request was a 500 and the good file
    sent with it was not stored."""
    files = [("files", ("good.txt", b"Trams return to the old town.", "text/plain")),
             ("files", ("badday.md", b"---\ntitle: Bad day\npublished_at: 2024-02-30\n---\n\nA story.\n",
                        "text/markdown"))]
    response = client.post("/v1/articles", files=files)
    body = response.json()
    assert response.status_code in (200, 201, 207) and body["added"] == 1 and body["failed"] == 1, response.text
    [failed] = [r for r in body["results"] if r.get("error")]
    assert "published_at '2024-02-30' is not a date" in failed["error"]
    assert client.get("/v1/articles/good").status_code == 200


def test_markdown_saved_on_windows_keeps_its_front_matter(client):
    text = b"---\r\ntitle: Harbour reopens\r\nsource: Coast Herald\r\npublished_at: 2024-03-01\r\n---\r\n\r\nThe harbour reopened.\r\n"
    assert client.post("/v1/articles", files=[("files", ("crlf.md", text, "text/markdown"))]).json()["added"] == 1
    article = client.get("/v1/articles/crlf").json()
    assert (article["title"], article["source"], article["published_at"]) == ("Harbour reopens", "Coast Herald",
                                                                              "2024-03-01")
    assert article["text"] == "The harbour reopened."


@pytest.mark.parametrize("payload, status, error", [
    ({"question": ""}, 422, "invalid request"),
    ({"question": "   "}, 422, "invalid request"),
    ({"question": "x" * 2001}, 422, "invalid request"),
    ({"question": "ok?", "top_k": 0}, 422, "invalid request"),
    ({"question": "ok?", "filters": {"published_from": "2024-02-01", "published_to": "2024-01-01"}}, 422, "invalid request"),
    ({}, 422, "invalid request"),
])
def test_bad_questions_get_4xx_json(client, payload, status, error):
    response = client.post("/v1/ask", json=payload)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["detail"]


@pytest.mark.parametrize("path, payload", [
    ("/v1/ask", {"question": "Who won the final?"}),
    ("/v1/search", {"query": "final"}),
    ("/v1/chat", {"messages": [{"role": "user", "content": "Who won the final?"}]}),
    ("/v1/summarize", {"topic": "the final"}),
])
@pytest.mark.parametrize("bad_key", ["source", "foo"])
def test_unknown_filter_keys_are_422_naming_the_key(client, path, payload, bad_key):
    """A misspelt filter ("source" for "sources") must not give unfiltered answers silently."""
    response = client.post(path, json={**payload, "filters": {bad_key: ["Citewire Sport"]}})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid request"
    assert any(d["loc"][-2:] == ["filters", bad_key] and d["type"] == "extra_forbidden" for d in body["detail"])


def test_summarize_caps_the_topic_and_the_article_list_and_reads_max_words_strictly(client):
    """A 100 KB topic took 3 s and article_ids had no cap; JSON true as max_words was read as 1 ("≥ 20")."""
    def detail(body):
        response = client.post("/v1/summarize", json=body)
        assert response.status_code == 422 and response.json()["error"] == "invalid request", response.text
        return response.json()["detail"]

    [long] = detail({"topic": "Kim and Putin " * 200})
    assert long["loc"] == ["body", "topic"] and "topic is longer than 2000 characters" in long["msg"]
    [many] = detail({"article_ids": [f"a-{i}" for i in range(101)]})
    assert many["loc"] == ["body", "article_ids"] and "at most 100 article ids" in many["msg"]
    for flag in (True, False):
        [wrong] = detail({"article_id": "kim-putin-vostochny-2023", "max_words": flag})
        assert wrong["loc"] == ["body", "max_words"] and wrong["type"] == "int_type" and "integer" in wrong["msg"]
    fine = client.post("/v1/summarize", json={"article_ids": ["kim-putin-vostochny-2023"] * 100, "max_words": 60})
    assert fine.status_code == 200 and fine.json()["citations"]
    as_text = client.post("/v1/summarize", json={"article_id": "kim-putin-vostochny-2023", "max_words": "60"})
    assert as_text.status_code == 200, as_text.text  # a number sent as a string was answered before: still is
    for path in ("/v1/ask", "/v1/search"):
        key = "question" if path == "/v1/ask" else "query"
        response = client.post(path, json={key: "What did Kim pledge?", "top_k": True})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "top_k"], response.text


def test_malformed_json_is_400(client):
    for path in ("/v1/ask", "/v1/articles"):
        response = client.post(path, content=b'{"question": ', headers={"content-type": "application/json"})
        assert response.status_code == 400 and response.json()["error"] == "malformed JSON"
    too_deep = client.post("/v1/articles", content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert too_deep.status_code == 400 and too_deep.json()["error"] == "malformed JSON"  # was a 500
    deep_line = client.post("/v1/articles", content=b"[" * 100_000 + b"\n", headers={"content-type": "application/x-ndjson"})
    assert deep_line.status_code == 422 and "invalid JSON" in json.dumps(deep_line.json())  # was a 500


def test_malformed_json_is_the_parsers_one_line_on_every_route(client):
    """/v1/ask, /v1/search, /v1/summarize answered FastAPI's list ({"loc": ["body", 13], "msg": "JSON decode
    error"}) where /v1/articles gave the json module's line: one shape for one mistake."""
    expected = {"error": "malformed JSON", "detail": "Expecting value: line 1 column 14 (char 13)"}
    for path in ("/v1/ask", "/v1/search", "/v1/summarize", "/v1/chat", "/v1/articles"):
        response = client.post(path, content=b'{"question": ', headers={"content-type": "application/json"})
        assert (response.status_code, response.json()) == (400, expected), (path, response.text)
    trailing = client.post("/v1/search", content=b'{"query": "trams"} and more', headers={"content-type": "application/json"})
    assert trailing.json() == {"error": "malformed JSON", "detail": "Extra data: line 1 column 20 (char 19)"}
    openai = client.post("/v1/chat/completions", content=b'{"model": ', headers={"content-type": "application/json"})
    assert openai.status_code == 400 and openai.json()["error"]["code"] == "invalid_json"  # OpenAI's shape there


def test_article_upload_body_is_parsed_once(client, monkeypatch):
    """A JSON upload is parsed once (a 20 MB body costs ~40 ms per parse), with the same records and errors."""
    body = json.dumps({"articles": [{"id": "once-1", "title": "One", "text": "The ferry resumed service on Monday."},
                                    {"id": "once-2", "text": ""}]}).encode()
    parses = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda s, *a, **k: (parses.append(s == body), real_loads(s, *a, **k))[1])
    response = client.post("/v1/articles", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 201 and parses.count(True) == 1
    results = {r["origin"]: r for r in response.json()["results"]}
    assert results["request.json[0]"]["article_id"] == "once-1" and results["request.json[0]"]["status"] == "added"
    assert results["request.json[1]"]["status"] == "failed" and "text" in results["request.json[1]"]["error"]


def test_an_uploaded_readme_is_an_article(client):
    """Only a folder walk leaves a README out (it describes the folder); a file sent on its own is meant."""
    response = client.post("/v1/articles", files={"files": ("README.md", b"# Trams\n\nThe tram line reopens.",
                                                            "text/markdown")})
    assert response.status_code == 201 and response.json()["added"] == 1, response.text
    assert client.get("/v1/articles/README").json()["title"] == "Trams"


def test_unknown_article_is_404(client):
    for response in (client.get("/v1/articles/nope"), client.delete("/v1/articles/nope")):
        assert response.status_code == 404 and response.json() == {"error": "article not found", "detail": "nope"}


def test_unsupported_upload_is_415_and_stores_nothing(client):
    response = client.post("/v1/articles", files={"files": ("report.pdf", b"%PDF-1.4", "application/pdf")})
    assert response.status_code == 415 and "unsupported file type" in response.json()["error"]
    assert client.get("/v1/articles").json()["total"] == 8


def test_invalid_articles_are_422_and_store_nothing(client):
    response = client.post("/v1/articles", json=[{"id": "bad id!", "text": "x"}, {"title": "no text"}])
    assert response.status_code == 422 and len(response.json()["detail"]) == 2
    assert client.get("/v1/articles").json()["total"] == 8


def test_body_over_the_limit_is_413(client):
    response = client.post("/v1/articles", json={"text": "word " * 60_000})
    assert response.status_code == 413 and response.json()["error"] == "request body too large"
    assert client.get("/v1/articles").json()["total"] == 8


def test_services_can_be_swapped_without_monkeypatching(client):
    class CannedAnswers:
        def ask(self, question, **_):
            return Answer(answer=f"echo: {question}", answerable=False, citations=[])

    client.app.dependency_overrides[get_answer_service] = lambda: CannedAnswers()
    try:
        assert client.post("/v1/ask", json={"question": "hi"}).json()["answer"] == "echo: hi"
    finally:
        client.app.dependency_overrides.clear()


def test_openapi_documents_examples(client):
    spec = client.get("/openapi.json").json()
    ask = spec["paths"]["/v1/ask"]["post"]
    assert "examples" in json.dumps(ask) or "example" in json.dumps(spec["components"]["schemas"]["AskRequest"])
    assert "multipart/form-data" in spec["paths"]["/v1/articles"]["post"]["requestBody"]["content"]


def test_damaged_gzip_upload_is_422_and_stores_nothing(client):
    response = client.post("/v1/articles", files={"files": ("bad.jsonl.gz", b"not gzip at all", "application/gzip")})
    assert response.status_code == 422 and "gzip" in json.dumps(response.json())
    assert client.get("/v1/articles").json()["total"] == 8


def test_chunked_body_over_the_limit_is_413_too(client):
    """No Content-Length to check up front: the limit trips while the body parser reads."""
    def chunks():
        for _ in range(400):
            yield b"x" * 1000

    # /v1/ask and /v1/chat parse a JSON model: FastAPI once turned the limit's error into a vague 400 there
    for path, kind in (("/v1/articles", "application/json"), ("/v1/articles", "multipart/form-data; boundary=b"),
                       ("/v1/ask", "application/json"), ("/v1/chat", "application/json")):
        response = client.post(path, content=chunks(), headers={"content-type": kind})
        assert response.status_code == 413 and response.json()["error"] == "request body too large", response.text
    assert client.get("/v1/articles").json()["total"] == 8


def test_filter_lists_are_bounded(client):
    """filters.article_ids and filters.sources had no cap: one body could carry any number of values."""
    many = [f"a-{i}" for i in range(1001)]
    for key in ("article_ids", "sources"):
        response = client.post("/v1/search", json={"query": "Kim", "filters": {key: many}})
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"] == ["body", "filters", key], response.text
    fine = client.post("/v1/search", json={"query": "Kim", "filters": {"article_ids": many[:1000]}})
    assert fine.status_code == 200, fine.text


def test_openapi_keeps_the_bounds_of_top_k(client):
    """Bounds outside the nullable union were written as "ge"/"le", which are no JSON Schema keywords:
    generated clients and /docs lost them."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("AskRequest", "SearchRequest", "ChatRequest"):
        integer = next(s for s in schemas[name]["properties"]["top_k"]["anyOf"] if s.get("type") == "integer")
        assert (integer.get("minimum"), integer.get("maximum")) == (1, 50), (name, integer)


def test_listing_articles_refuses_an_unknown_query_parameter(client):
    """"sources=" (the real one is "source") once listed every article, unfiltered and without a word."""
    response = client.get("/v1/articles", params={"sources": "Arctic Wire"})
    assert response.status_code == 422 and response.json()["error"] == "unknown query parameter"
    assert "sources" in response.json()["detail"] and "source" in response.json()["detail"]
    listed = client.get("/v1/articles", params={"source": "no such wire", "limit": 5})
    assert listed.status_code == 200 and listed.json()["total"] == 0


def test_stream_takes_a_json_boolean_only(client):
    """Lax parsing read "stream": "yes" as true and streamed to a client that had sent a typo."""
    for path, body in (("/v1/ask", {"question": "What did Kim pledge?"}), ("/v1/chat", {"messages": [
            {"role": "user", "content": "What did Kim pledge?"}]}), ("/v1/summarize", {"topic": "Kim Putin"})):
        response = client.post(path, json={**body, "stream": "yes"})
        assert response.status_code == 422 and "stream" in json.dumps(response.json()), (path, response.text)
    assert client.post("/v1/ask", json={"question": "What did Kim pledge?", "stream": False}).status_code == 200


def test_as_of_as_a_number_is_refused_in_words_that_say_what_to_send(client):
    """A number was read as seconds since 1970 and refused with "Datetimes provided to dates should have zero time"."""
    for path, body in (("/v1/ask", {"question": "What did Kim pledge?"}), ("/v1/search", {"query": "Kim"})):
        for number in (12345, "86400"):  # "86400" was read as 1970-01-02
            response = client.post(path, json={**body, "as_of": number})
            assert response.status_code == 422 and "YYYY-MM-DD" in json.dumps(response.json()), response.text
        assert client.post(path, json={**body, "as_of": "2023-09-14"}).status_code == 200


_PART = b'--xx\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\nThe Tolle dam held.'
_MULTIPART = {"content-type": "multipart/form-data; boundary=xx"}


@pytest.mark.parametrize("body", [_PART, _PART + b"\r\n--xx", _PART + b"\r\n--xx\r\n"])
def test_a_multipart_body_cut_off_before_its_closing_boundary_is_400_malformed(client, body):
    """python-multipart parses a body that stops inside a file as a form without that file: it was answered 422
    "no files uploaded", though a file was sent. Cut off after a part, the files after the cut were lost."""
    response = client.post("/v1/articles", content=body, headers=_MULTIPART)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "malformed multipart body"
    assert "the closing boundary --xx-- is missing" in response.json()["detail"]
    assert client.get("/v1/articles").json()["total"] == 8


def test_multipart_that_is_not_framed_by_its_boundary_is_400_malformed_and_whole_forms_still_work(client):
    for body, headers in ((b"not multipart at all", _MULTIPART),
                          (_PART.replace(b"xx", b"yy") + b"\r\n--yy--\r\n", _MULTIPART),
                          (_PART + b"\r\n--xx--\r\n", {"content-type": "multipart/form-data"})):
        response = client.post("/v1/articles", content=body, headers=headers)
        assert response.status_code == 400 and response.json()["error"] == "malformed multipart body", response.text
        assert response.json()["detail"] and "\n" not in response.json()["detail"]
    whole = client.post("/v1/articles", content=_PART + b"\r\n--xx--\r\n", headers=_MULTIPART)
    assert whole.status_code == 201 and whole.json()["added"] == 1, whole.text
    no_newline = client.post("/v1/articles", content=_PART.replace(b"held", b"stood") + b"\r\n--xx--",
                             headers=_MULTIPART)
    assert no_newline.status_code == 200 and no_newline.json()["updated"] == 1, no_newline.text
    for body in (b'--xx\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--xx--\r\n', b""):
        response = client.post("/v1/articles", content=body, headers=_MULTIPART)
        assert response.status_code == 422 and response.json()["error"] == "no files uploaded", response.text
