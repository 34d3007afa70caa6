"""Production edges of the HTTP API: keys, rate limit, CORS, ids, uploads, content types, request
ids, JSON logs, metrics, and the product-side fake LLM."""

from __future__ import annotations

import hmac
import io
import json
import logging
import re
import time

import pytest
from fastapi.testclient import TestClient

from app.api.security import KeyRing
from app.config import Settings
from app.main import create_app

KEY_A, KEY_B = "ka-" + "7" * 30, "kb-" + "9" * 30


@pytest.fixture(scope="module")
def shared_services(tmp_path_factory):
    from app.samples import index_samples
    from app.services import build_services

    built = build_services(Settings(data_dir=tmp_path_factory.mktemp("security") / "data"))
    index_samples(built.ingest)
    yield built
    built.close()


def client_for(services, **settings) -> TestClient:
    return TestClient(create_app(Settings(data_dir=services.settings.data_dir, **settings), services=services))


SEARCH = {"query": "Kim Putin Vostochny"}


def test_without_keys_configured_the_api_is_open(shared_services):
    with client_for(shared_services) as client:
        assert client.post("/v1/search", json=SEARCH).status_code == 200


def test_keys_are_required_on_v1_and_probes_stay_open(shared_services):
    with client_for(shared_services, api_keys=f"{KEY_A}, {KEY_B}") as client:
        missing = client.post("/v1/search", json=SEARCH)
        assert missing.status_code == 401 and missing.json()["error"] == "unauthorized"
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert client.post("/v1/search", json=SEARCH, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.post("/v1/search", json=SEARCH, headers={"Authorization": f"Bearer {KEY_A}x"}).status_code == 401
        assert client.post("/v1/search", json=SEARCH, headers={"Authorization": f"Bearer {KEY_A}"}).status_code == 200
        assert client.post("/v1/search", json=SEARCH, headers={"X-API-Key": KEY_B}).status_code == 200
        assert client.get("/v1/articles").status_code == 401
        openai_style = client.get("/v1/models").json()["error"]  # OpenAI clients parse their own error shape
        assert openai_style["type"] == "authentication_error" and openai_style["code"] == "invalid_api_key"
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {KEY_A}"}).status_code == 200
        assert client.post("/v1/embeddings").json()["error"]["code"] == "invalid_api_key"  # any OpenAI path
        mcp = client.get("/mcp")  # a browser or curl without a key: refused at once, before the MCP transport
        assert mcp.status_code == 401 and mcp.json()["error"] == "unauthorized"
        assert client.get("/mcp", headers={"X-API-Key": KEY_A}).status_code == 405
        for open_path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert client.get(open_path).status_code == 200, open_path


def test_every_v1_path_but_the_native_routes_answers_errors_in_openai_shape(shared_services):
    """OpenAI keeps adding endpoints (evals, videos, containers, chatkit): a fixed list of its paths left those
    with {"error": "Not Found", "detail": null}, which its SDKs show as a bare "Error code: 404". Native routes
    and the paths below them keep {"error", "detail"}; which paths need a key does not change."""
    with client_for(shared_services) as client:
        for method, path in [("POST", "/v1/evals"), ("POST", "/v1/videos"), ("POST", "/v1/containers"),
                             ("GET", "/v1/chatkit/threads"), ("GET", "/v1/nothing"), ("POST", "/v1/chat/other"),
                             ("POST", "/v1/asking"), ("GET", "/v1/")]:
            response = client.request(method, path)
            assert response.status_code == 404, path
            error = response.json()["error"]
            assert error["code"] == "unknown_url" and f"{method} {path}" in error["message"], path
        for method, path, status in [("GET", "/v1/ask", 405), ("GET", "/v1/chat", 405), ("GET", "/v1/summarize", 405),
                                     ("GET", "/v1/ask/more", 404), ("GET", "/v1/articles/a/b", 404),
                                     ("GET", "/v1/search/x", 404), ("GET", "/v1", 404), ("GET", "/nothing", 404)]:
            response = client.request(method, path)
            assert response.status_code == status and set(response.json()) == {"error", "detail"}, path
            assert isinstance(response.json()["error"], str), path
        unknown = client.get("/v1/articles/unknown")
        assert unknown.status_code == 404 and isinstance(unknown.json()["error"], str)
        # every route the app serves under /v1/ is in the shape of its router: a new native route must be listed
        from app.api import openai_compat
        from app.api.security import is_openai_path

        openai_routes = {route.path for route in openai_compat.router.routes}
        app = client.app
        for route in app.routes:
            path = getattr(route, "path", "")
            if path.startswith("/v1/"):
                assert is_openai_path(path) == (path in openai_routes), path
    with client_for(shared_services, api_keys=KEY_A) as client:
        evals = client.post("/v1/evals")
        assert evals.status_code == 401 and evals.json()["error"]["code"] == "invalid_api_key"
        assert client.post("/v1/evals", headers={"X-API-Key": KEY_A}).status_code == 404
        native = client.get("/v1/ask")
        assert native.status_code == 401 and native.json()["error"] == "unauthorized"


def test_keys_never_reach_logs_or_settings_repr(shared_services, caplog):
    caplog.set_level(logging.DEBUG)
    settings = Settings(api_keys=KEY_A)
    assert KEY_A not in repr(settings) and KEY_A not in str(settings.model_dump())
    with client_for(shared_services, api_keys=KEY_A) as client:
        client.post("/v1/search", json=SEARCH, headers={"Authorization": f"Bearer {KEY_A}"})
        client.post("/v1/search", json=SEARCH, headers={"X-API-Key": KEY_A + "-wrong"})
    logged = " ".join(json.dumps(vars(r), default=str) for r in caplog.records)
    assert "citewire.access" in logged  # the access lines were captured ...
    assert KEY_A not in logged  # ... and name the key only by its fingerprint


def test_key_comparison_checks_every_key_in_constant_time(monkeypatch):
    ring = KeyRing([KEY_A, KEY_B, "third-key"])
    calls = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append(len(a)) or real(a, b))
    assert ring.identify(KEY_A) is not None  # the first key matches, yet all three are compared
    assert len(calls) == 3 and set(calls) == {32}  # digests: equal length whatever the key's length
    assert ring.identify("") is None and ring.identify(None) is None


def test_rate_limit_per_key_answers_429_with_retry_after(shared_services):
    with client_for(shared_services, api_keys=f"{KEY_A},{KEY_B}", rate_limit="3/minute") as client:
        codes = [client.get("/v1/articles", headers={"X-API-Key": KEY_A}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/v1/articles", headers={"X-API-Key": KEY_A})
        assert limited.json()["error"] == "rate limit exceeded"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert client.get("/v1/articles", headers={"X-API-Key": KEY_B}).status_code == 200  # its own bucket
        assert client.get("/healthz").status_code == 200


def test_cors_is_closed_by_default_and_opens_per_origin(shared_services):
    preflight = {"Origin": "https://news.example", "Access-Control-Request-Method": "POST"}
    with client_for(shared_services) as client:
        response = client.options("/v1/search", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-origin" not in client.get("/v1/articles", headers={"Origin": "https://x.example"}).headers
    with client_for(shared_services, cors_origins="https://news.example") as client:
        assert client.options("/v1/search", headers=preflight).headers["access-control-allow-origin"] == "https://news.example"
        other = client.options("/v1/search", headers=preflight | {"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("path", ["/v1/articles/..%2F..%2Fetc%2Fpasswd", "/v1/articles/..", "/v1/articles/.hidden",
                                  "/v1/articles/a%00b", "/v1/articles/" + "x" * 200])
def test_article_ids_are_validated(shared_services, path):
    with client_for(shared_services) as client:
        for method in ("GET", "DELETE"):
            response = client.request(method, path)
            assert response.status_code in (404, 422) and set(response.json()) == {"error", "detail"}
    assert shared_services.records.count()[0] == 8


def test_summarize_ids_are_validated(shared_services):
    with client_for(shared_services) as client:
        response = client.post("/v1/summarize", json={"article_id": "../../secret"})
        assert response.status_code == 422
        assert client.post("/v1/search", json=SEARCH | {"filters": {"article_ids": ["a/b"]}}).status_code == 422


def test_uploaded_html_is_sanitised_before_extraction(tmp_path):
    html = """<html><head><title>Harbour wall repaired</title>
    <script>document.write('INJECTED-SCRIPT')</script><style>p{color:red}</style></head>
    <body><article><h1>Harbour wall repaired</h1>
    <p onclick="alert('INJECTED-HANDLER')">The town council said on Monday that the harbour wall, damaged in
    the January storm, has been repaired by engineers from the port authority.</p>
    <p>Fishing boats returned to the inner harbour the same afternoon, the harbour master said.</p>
    <iframe src="https://evil.example/frame">INJECTED-FRAME</iframe>
    <p><a href="javascript:alert('INJECTED-LINK')">More</a> Repairs cost 2.1 million euros in all.</p>
    </article></body></html>"""
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        response = client.post("/v1/articles", files={"files": ("harbour.html", io.BytesIO(html.encode()), "text/html")})
        assert response.status_code == 201, response.text
        stored = client.get("/v1/articles/harbour").json()
    assert "harbour wall" in stored["text"] and stored["title"] == "Harbour wall repaired"
    everything = json.dumps(stored)
    assert "INJECTED" not in everything and "<script" not in everything and "javascript:" not in everything


def test_uploaded_html_keeps_its_title_and_date_and_an_empty_page_is_refused(tmp_path):
    page = """<html><head><title>Vellmar names a conductor</title>
    <meta property="article:published_time" content="2023-09-13"></head><body><article>
    <p>The Vellmar Philharmonic named Ana Ruiz chief conductor on Tuesday, the orchestra said in a statement.</p>
    <p>Her tenure will start in September 2025, after the current season ends.</p></article></body></html>"""
    empty = "<html><head><title>Nothing here</title></head><body></body></html>"
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        response = client.post("/v1/articles", files={"files": ("vellmar.html", io.BytesIO(page.encode()), "text/html")})
        assert response.status_code == 201, response.text
        stored = client.get("/v1/articles/vellmar").json()
        refused = client.post("/v1/articles", files={"files": ("empty.html", io.BytesIO(empty.encode()), "text/html")})
        listed = client.get("/v1/articles").json()
    assert stored["title"] == "Vellmar names a conductor" and stored["published_at"] == "2023-09-13"
    assert stored["text"].startswith("The Vellmar Philharmonic") and "names a conductor" not in stored["text"]
    assert refused.status_code == 422 and "no article text" in refused.text  # as the CLI says for the same file
    assert [a["id"] for a in listed["articles"]] == ["vellmar"]  # the refused page stored nothing


def test_uploaded_html_keeps_its_canonical_url_as_the_cli_does(tmp_path):
    """The sanitiser dropped <link>: over HTTP the page lost its canonical URL and site name (the CLI kept them),
    and the same file got a different content hash each way. A javascript: href is still removed."""
    from app.api.security import sanitise_html
    from app.ingest.loaders import load_bytes

    page = """<html><head><title>Vellmar names a conductor</title>
    <link rel="canonical" href="https://two.example/news/vellmar"><link rel="preload" href="javascript:alert(1)">
    </head><body><article>
    <p>The Vellmar Philharmonic named Ana Ruiz chief conductor on Tuesday, the orchestra said in a statement.</p>
    <p>Her tenure will start in September 2025, after the current season ends.</p></article></body></html>"""
    assert "javascript:" not in sanitise_html(page) and "preload" not in sanitise_html(page)  # only canonical stays
    cli = next(load_bytes("vellmar.html", page.encode())).article
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        response = client.post("/v1/articles", files={"files": ("vellmar.html", io.BytesIO(page.encode()), "text/html")})
        assert response.status_code == 201, response.text
        stored = client.get("/v1/articles/vellmar").json()
    assert stored["url"] == cli.url == "https://two.example/news/vellmar"
    assert stored["source"] == cli.source == "two.example"


_DATED_PAGES = {  # each page states its date one way; the sanitiser used to strip all three
    "jsonld": '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-09-13"}</script>',
    "itemprop": '<p>Published <time itemprop="datePublished" datetime="2023-09-13">13 September</time></p>',
    "byline": '<div class="byline">By A. Writer, <time datetime="2023-09-13">13 September</time></div>',
}


@pytest.mark.parametrize("kind", sorted(_DATED_PAGES))
def test_uploaded_html_keeps_the_date_markup_the_cli_reads(tmp_path, kind):
    page = f"""<html><head><title>Vellmar names a conductor</title></head><body><article>
    <h1>Vellmar names a conductor</h1>{_DATED_PAGES[kind]}
    <p>The Vellmar Philharmonic named Ana Ruiz chief conductor on Tuesday, the orchestra said in a statement.</p>
    <p>Her tenure will start in September 2025, after the current season ends.</p></article></body></html>"""
    from app.ingest.loaders import load_bytes

    assert str(next(load_bytes("vellmar.html", page.encode())).article.published_at)[:10] == "2023-09-13"
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        response = client.post("/v1/articles", files={"files": ("vellmar.html", io.BytesIO(page.encode()), "text/html")})
        assert response.status_code == 201, response.text
        stored = client.get("/v1/articles/vellmar").json()
    assert stored["published_at"] == "2023-09-13"
    assert "datePublished" not in stored["text"] and "<script" not in json.dumps(stored)


def test_json_ld_stays_inert_data_and_a_block_a_script_tag_ends_is_dropped():
    from app.api.security import sanitise_html

    kept = sanitise_html('<p>x</p><SCRIPT Type="application/ld+json">{"headline": "<b>Vellmar</b>"}</SCRIPT>')
    cut = sanitise_html('<p>x</p><script type="application/ld+json">{"a": "</script><img src=x onerror=alert(1)>"}'
                        '</script>')
    assert '<script type="application/ld+json">{"headline": "\\u003cb>Vellmar\\u003c/b>"}</script>' in kept
    assert "ld+json" not in cut and "onerror" not in cut


def test_json_ld_nested_too_deep_to_parse_is_dropped_not_a_500(tmp_path):
    page = ("<html><head><title>Vellmar names a conductor</title></head><body><article>"
            '<script type="application/ld+json">' + "[" * 100_000 + "</script>"
            "<p>The Vellmar Philharmonic named Ana Ruiz chief conductor on Tuesday, the orchestra said.</p>"
            "<p>Her tenure will start in September 2025, after the current season ends.</p></article></body></html>")
    with TestClient(create_app(Settings(data_dir=tmp_path / "data")), raise_server_exceptions=False) as client:
        response = client.post("/v1/articles", files={"files": ("deep.html", io.BytesIO(page.encode()), "text/html")})
        stored = client.get("/v1/articles/deep").json()
    assert response.status_code == 201, response.text
    assert stored["text"].startswith("The Vellmar Philharmonic") and "[[[" not in stored["text"]


@pytest.mark.parametrize("unit", ["<script ", '<script type="application/ld+json">x', "<title>", "<meta "])
def test_sanitising_a_hostile_page_grows_linearly_not_quadratically(unit):
    """A guard against quadratic blow-up (a regex over the raw page once took 8.7 s at 96 KB), not a timing goal."""
    from app.api.security import sanitise_html

    def seconds(size: int) -> float:
        page = "<p>x</p>" + unit * (size // len(unit))
        start = time.perf_counter()
        sanitise_html(page)
        return time.perf_counter() - start

    small, big = seconds(50_000), seconds(200_000)
    assert big < 2.0 and big < 8 * small + 0.25, (small, big)  # quadratic would be 16 times the 50 KB page


def test_non_json_body_says_what_was_expected(shared_services):
    with client_for(shared_services) as client:
        response = client.post("/v1/ask", content=b'{"question": "What did Kim pledge?"}',
                               headers={"content-type": "text/plain"})
        assert response.status_code == 415
        assert response.json()["error"] == "unsupported media type"
        assert "application/json" in response.json()["detail"] and "text/plain" in response.json()["detail"]
        assert client.post("/v1/ask", json={"question": ""}).status_code == 422  # JSON errors stay 422


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_the_openai_route_says_the_same_of_a_non_json_body_in_its_own_shape(shared_services, content_type):
    """A valid JSON body sent as text/plain (or curl's default form type) got 400 "body: Input should be a valid
    dictionary": the native routes' 415, naming the type, in OpenAI's error shape."""
    body = b'{"model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}]}'
    with client_for(shared_services) as client:
        response = client.post("/v1/chat/completions", content=body, headers={"content-type": content_type})
        assert response.status_code == 415, response.text
        error = response.json()["error"]
        assert error["code"] == "unsupported_media_type" and content_type in error["message"]
        assert "application/json" in error["message"]
        assert client.post("/v1/chat/completions", content=body,
                           headers={"content-type": "application/json"}).status_code == 200


def test_every_response_carries_a_request_id_and_logs_are_json(shared_services, capsys):
    from app.observability.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("json", "INFO")
        with client_for(shared_services) as client:
            given = "0f9c0a1e2b3d4c5e8f7a6b5c4d3e2f10"
            echoed = client.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"]
            fresh = client.post("/v1/search", json=SEARCH).headers["x-request-id"]
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
    assert echoed == given and re.fullmatch(r"[0-9a-f]{32}", fresh)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "citewire.access"]
    assert {line["request_id"] for line in access} >= {given, fresh}
    search = next(line for line in access if line["request_id"] == fresh)
    assert search["route"] == "/v1/search" and search["status"] == 200 and search["duration_ms"] > 0


def _metric(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_routes_retrieval_and_refusals(shared_services):
    with client_for(shared_services) as client:
        before = client.get("/metrics").text
        client.post("/v1/ask", json={"question": "What did Kim pledge?"})
        client.post("/v1/ask", json={"question": "What did Joe Biden say about the meeting?"})
        client.get("/no/such/path/12345")
        after = client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    route = {"route": "/v1/ask", "method": "POST", "status": "200"}
    assert _metric(text, "citewire_http_request_duration_seconds_count", **route) - \
        _metric(before, "citewire_http_request_duration_seconds_count", **route) == 2
    assert _metric(text, "citewire_retrieval_duration_seconds_count") >= _metric(before, "citewire_retrieval_duration_seconds_count") + 2
    assert _metric(text, "citewire_refusals_total") == _metric(before, "citewire_refusals_total") + 1
    assert "/no/such/path" not in text and _metric(text, "citewire_http_request_duration_seconds_count", route="unmatched") >= 1


def test_fake_llm_answers_through_the_real_client_guard_and_metrics(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", index_samples=True, llm_base_url="fake://", guard_judge=True)
    with TestClient(create_app(settings)) as client:
        before = client.get("/metrics").text
        body = client.post("/v1/ask", json={"question": "What did Kim pledge to Putin at Vostochny?"}).json()
        assert body["mode"] != "extractive" and body["answerable"] is True
        assert body["guard"]["dropped"] == 0 and body["usage"]["completion_tokens"] > 0
        for citation in body["citations"]:
            text = client.get(f"/v1/articles/{citation['article_id']}").json()["text"]
            assert text[citation["char_start"]:citation["char_end"]] == citation["quote"]
        stream = client.post("/v1/ask", json={"question": "What did Kim pledge to Putin?", "stream": True}).text
        assert "event: delta" in stream and "event: final" in stream
        refused = client.post("/v1/ask", json={"question": "Who won the 1930 chess olympiad in Hamburg?"}).json()
        assert refused["answerable"] is False
        after = client.get("/metrics").text
    assert _metric(after, "citewire_llm_tokens_total", kind="completion") > _metric(before, "citewire_llm_tokens_total", kind="completion")
    assert _metric(after, "citewire_llm_duration_seconds_count", call="stream") > _metric(before, "citewire_llm_duration_seconds_count", call="stream")
    assert _metric(after, "citewire_guard_sentences_total", outcome="kept") > _metric(before, "citewire_guard_sentences_total", outcome="kept")


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_tests_cannot_reach_beyond_loopback_or_read_the_machines_settings(monkeypatch):
    import os
    import socket

    from pytest_socket import SocketConnectBlockedError

    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never reached
    assert not [name for name in os.environ if name.startswith(("CITEWIRE_LLM", "CITEWIRE_API", "OPENAI_"))]
    assert Settings.model_config["env_file"] is None and os.environ["CITEWIRE_ENV_FILE"] == ""


def test_out_of_range_paging_is_a_422_not_a_crash(shared_services):
    # Found by the schemathesis fuzz run: offset=2**63 overflowed SQLite's integer and gave a 500.
    with client_for(shared_services) as client:
        response = client.get("/v1/articles", params={"offset": 2**63})
        assert response.status_code == 422 and response.json()["error"] == "invalid request"
        assert client.get("/v1/articles", params={"offset": 10**6}).json()["articles"] == []


def test_json_ld_deep_in_the_markup_is_kept():
    """libxml2 stops at depth ~255 without huge_tree: a date stated below that was lost."""
    from app.api.security import sanitise_html

    page = ("<html><body>" + "<div>" * 400 + '<script type="application/ld+json">{"datePublished": "2024-01-02"}'
            "</script>" + "</div>" * 400 + "<p>Text.</p></body></html>")
    assert "2024-01-02" in sanitise_html(page)


_GLUED_PAGE = """<html><head><title>Ferry returns</title></head><body><article>
<h1><a href="/ferry">Ferry returns</a></h1>
The island ferry resumed service on Monday after a three-week repair. Engineers replaced the damaged propeller shaft.
<h2>Passengers happy</h2>
Passengers welcomed the return of the service, which carries about 900 people a day.
</article></body></html>"""


def test_uploaded_html_headline_is_not_glued_to_the_first_sentence(tmp_path):
    """Text not inside <p> went through trafilatura's one-line fallback: the headline became the start of the
    first sentence, and every quote of that sentence began with it."""
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        response = client.post("/v1/articles", files={"files": ("ferry.html", io.BytesIO(_GLUED_PAGE.encode()),
                                                                 "text/html")})
        assert response.status_code == 201, response.text
        text = client.get("/v1/articles/ferry").json()["text"]
        answer = client.post("/v1/ask", json={"question": "When did the island ferry resume service?"}).json()
    assert text.splitlines()[:2] == [
        "Ferry returns",
        "The island ferry resumed service on Monday after a three-week repair. Engineers replaced the damaged "
        "propeller shaft."]
    assert "\nPassengers happy\nPassengers welcomed" in text  # a subheading too
    assert answer["answerable"] and answer["citations"]
    quote = answer["citations"][0]["quote"]
    assert quote.startswith("The island ferry resumed service on Monday") and "Ferry returns" not in answer["answer"]


@pytest.mark.parametrize("given, kept", [("req-42", True), ("4bf92f3577b34da6a3ce929d0e0e4736", True),
                                         ("trace:abc.1_2", True), ("two words", False), ("x\nforged", False),
                                         ("a" * 129, False)])
def test_a_plain_client_request_id_is_kept_and_odd_ones_replaced(shared_services, given, kept):
    """Only UUIDs were kept: "req-42" was replaced and logged a warning on every request."""
    with client_for(shared_services) as client:
        echoed = client.get("/healthz", headers={"X-Request-ID": given}).headers["x-request-id"]
    assert (echoed == given) is kept
    assert kept or re.fullmatch(r"[0-9a-f]{32}", echoed)


def test_httpx_call_lines_leave_the_info_log_but_not_the_debug_log():
    from app.observability.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level, logging.getLogger("httpx").level
    try:
        configure_logging("text", "INFO")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
        configure_logging("text", "DEBUG")
        assert logging.getLogger("httpx").isEnabledFor(logging.INFO)
    finally:
        root.handlers, _, _ = saved
        root.setLevel(saved[1])
        logging.getLogger("httpx").setLevel(saved[2])


def test_an_address_sending_wrong_keys_is_slowed_to_the_failure_limit(shared_services):
    """Wrong keys were answered 401 as fast as they came: a short key could be guessed at request speed."""
    with client_for(shared_services, api_keys=KEY_A, auth_failure_limit="3/minute") as client:
        good = {"Authorization": f"Bearer {KEY_A}"}
        for _ in range(5):  # valid requests are no failures
            assert client.post("/v1/search", json=SEARCH, headers=good).status_code == 200
        for _ in range(4):  # no key at all: nothing guessed, not counted
            assert client.post("/v1/search", json=SEARCH).status_code == 401
        for guess in ("a", "b", "c"):
            assert client.post("/v1/search", json=SEARCH, headers={"X-API-Key": guess}).status_code == 401
        refused = client.post("/v1/search", json=SEARCH, headers={"X-API-Key": "d"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1, refused.text
        assert "wrong API keys" in refused.json()["detail"]
        # past the limit a right key from that address waits too, or a right guess would still be told apart
        assert client.post("/v1/search", json=SEARCH, headers=good).status_code == 429
        assert client.get("/v1/models").json()["error"]["code"] == "rate_limit_exceeded"  # OpenAI's shape
        assert client.get("/healthz").status_code == 200  # open paths are not counted or refused


def test_the_failure_limit_counts_per_address_and_only_with_keys(shared_services):
    from app.api.security import AccessControl

    async def ok(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def status(app, address: str, key: str | None = None) -> int:
        import anyio

        sent = []
        headers = [(b"x-api-key", key.encode())] if key else []
        scope = {"type": "http", "method": "GET", "path": "/v1/articles", "headers": headers, "client": (address, 1)}

        async def send(message):
            sent.append(message)

        anyio.run(app, scope, None, send)
        return sent[0]["status"]

    guarded = AccessControl(ok, [KEY_A], failure_limit="2/minute")
    assert [status(guarded, "10.0.0.1", "guess") for _ in range(3)] == [401, 401, 429]
    assert status(guarded, "10.0.0.2", "guess") == 401 and status(guarded, "10.0.0.2", KEY_A) == 200  # another address
    # a missing key guesses nothing: the web page's first call, a probe; however many, the address is not locked
    assert [status(guarded, "10.0.0.3") for _ in range(5)] == [401] * 5 and status(guarded, "10.0.0.3", KEY_A) == 200
    # one host is handed a whole IPv6 /64: its addresses share one count
    assert [status(guarded, f"2001:db8:0:1::{i}", "guess") for i in range(3)] == [401, 401, 429]
    assert status(guarded, "2001:db8:0:2::1", "guess") == 401
    open_api = AccessControl(ok, [], failure_limit="2/minute")  # no keys: nothing to fail
    assert [status(open_api, "10.0.0.1", "guess") for _ in range(4)] == [200] * 4


def test_a_failure_limit_the_limits_library_cannot_read_is_a_setting_error():
    with pytest.raises(ValueError, match="auth_failure_limit"):
        Settings(auth_failure_limit="lots")
    assert Settings(auth_failure_limit="").auth_failure_limit == ""  # empty: no limit
