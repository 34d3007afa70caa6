"""Findings of a hunt with real OpenAI clients against /v1/chat/completions and the other /v1 routes."""

from __future__ import annotations

import openai
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

QUESTION = [{"role": "user", "content": "What did Kim pledge to Putin?"}]
# What the official openai JS/TS SDK (Stainless-generated, as the Python one) sends with every request, in a browser
# too (`dangerouslyAllowBrowser`): its preflight asks for all of them.
STAINLESS = ("x-stainless-arch,x-stainless-lang,x-stainless-os,x-stainless-package-version,x-stainless-retry-count,"
             "x-stainless-runtime,x-stainless-runtime-version,x-stainless-timeout")


def client_for(services, **settings) -> TestClient:
    return TestClient(create_app(Settings(data_dir=services.settings.data_dir, **settings), services=services))


def test_stream_null_is_the_default_as_openai_documents_it(corpus_services):
    """OpenAI's API declares ``stream`` nullable (default false) and the `openai` SDK types ``stream=None`` as allowed
    (``stream: Optional[Literal[False]]``), sending ``"stream": null``; every other nullable parameter
    (``temperature``, ``n``, ``logprobs``, ``stream_options``) is taken as null, but ``stream: null`` (and
    ``stream_options.include_usage: null``) was a 400 "stream: Input should be a valid boolean"."""
    with client_for(corpus_services) as http:
        client = openai.OpenAI(base_url="http://testserver/v1", api_key="x", max_retries=0, http_client=http)
        reply = client.chat.completions.create(model="citewire", messages=QUESTION, stream=None, temperature=None)
        assert reply.choices[0].message.content and reply.choices[0].finish_reason == "stop"
        raw = http.post("/v1/chat/completions", json={"model": "citewire", "messages": QUESTION, "stream": True,
                                                      "stream_options": {"include_usage": None}})
        assert raw.status_code == 200, raw.text
        assert raw.text.rstrip().endswith("data: [DONE]") and '"usage"' not in raw.text


def test_cors_preflight_of_the_openai_js_sdk_is_allowed(corpus_services):
    """With ``CITEWIRE_CORS_ORIGINS`` set, a browser app on that origin using the official openai JS SDK sends a
    preflight asking for its ``X-Stainless-*`` headers; the fixed allow-list (Authorization, X-API-Key, Content-Type,
    X-Request-ID) answered 400 "Disallowed CORS headers", so the browser never sent the request. Same for an MCP
    client in a browser (``mcp-protocol-version``) on /mcp."""
    origin = "http://localhost:3000"
    with client_for(corpus_services, cors_origins=[origin]) as http:
        for path, asked in (("/v1/chat/completions", f"authorization,content-type,{STAINLESS}"),
                            ("/v1/models", f"authorization,{STAINLESS}"),
                            ("/mcp", "content-type,mcp-protocol-version")):
            preflight = http.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": asked})
            assert preflight.status_code == 200, (path, preflight.status_code, preflight.text)
            assert preflight.headers["access-control-allow-origin"] == origin
            allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
            assert set(asked.split(",")) <= allowed, (path, allowed)
        # another origin is still refused: only the headers are widened
        other = http.options("/v1/chat/completions", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        assert "access-control-allow-origin" not in other.headers


def test_head_on_the_models_and_articles_routes_is_answered_as_get(corpus_services):
    """HEAD must be supported wherever GET is (RFC 9110 9.1; app/api/health.py says so and /, /healthz, /readyz,
    /metrics answer it), but GET /v1/models, /v1/models/citewire, /v1/articles and /v1/articles/{id} answered HEAD
    with 405 and `Allow: GET`, which an uptime monitor or `curl -I` reads as the route being down."""
    with client_for(corpus_services) as http:
        article = http.get("/v1/articles", params={"limit": 1}).json()["articles"][0]["id"]
        for path in ("/v1/models", "/v1/models/citewire", "/v1/articles", f"/v1/articles/{article}"):
            get = http.get(path)
            head = http.head(path)
            assert (head.status_code, head.headers["content-type"]) == (get.status_code, get.headers["content-type"]), \
                (path, head.status_code, head.headers.get("allow"))
        assert http.head("/v1/models/gpt-4o").status_code == 404  # as GET answers it
        assert http.head("/v1/articles", params={"sources": "x"}).status_code == 422


def test_native_routes_take_stream_null_as_false(corpus_services):
    """/v1/ask, /v1/chat and /v1/summarize took null for top_k, filters and as_of but refused "stream": null (422)."""
    with client_for(corpus_services) as http:
        for path, body in (("/v1/ask", {"question": "What did Kim pledge?"}),
                           ("/v1/chat", {"messages": QUESTION}),
                           ("/v1/summarize", {"topic": "Kim and Putin"})):
            reply = http.post(path, json={**body, "stream": None})
            assert reply.status_code == 200, (path, reply.text)
            assert reply.headers["content-type"].startswith("application/json"), path  # not an event stream
            assert http.post(path, json={**body, "stream": "yes"}).status_code == 422, path
