"""The web page behind a path prefix (uvicorn --root-path: assets and API calls under the prefix) and its quote
highlight after an emoji (Python counts code points, JavaScript UTF-16 units). Found by a bug hunt, 2026-11-29."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.test_browser import ask, browser, server, wait  # noqa: F401 - fixtures
from tests.test_integration import in_thread

pytestmark = pytest.mark.integration

ASTRAL = {"id": "hunt-emoji-ferry", "title": "Ferry news", "source": "Hunt Wire", "published_at": "2024-03-04",
          "text": "Harbour news \U0001F6A2\U0001F6A2\U0001F6A2\U0001F6A2 today. The ferry to Port Elsa will leave at 7am "
                  "from Monday, the operator said. Other things happened too."}
ASTRAL_QUESTION = "When will the ferry to Port Elsa leave from Monday?"


def test_a_quote_after_an_emoji_is_highlighted_where_the_quote_is(browser, server):  # noqa: F811
    """char_start/char_end are Python (code point) offsets; render.js's openSource slices the article text with
    JavaScript's UTF-16 indices, so each emoji (two UTF-16 units) before the quote moves the highlight one character
    left: it showed "ay. The ferry … operator s" and the note that the article has changed since the answer."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    assert httpx.post(server + "/v1/articles", json=[ASTRAL], timeout=60).status_code in (200, 201)
    try:
        expected = httpx.post(server + "/v1/ask", json={"question": ASTRAL_QUESTION}, timeout=60).json()
        assert expected["answerable"] and expected["citations"][0]["article_id"] == ASTRAL["id"], expected["answer"]
        browser.get(server + "/")
        browser.execute_script("localStorage.clear()")
        browser.get(server + "/")
        answer = ask(browser, ASTRAL_QUESTION)
        answer.find_element(By.CSS_SELECTOR, ".answer-text .chip").click()
        mark = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#source-text mark")))
        assert mark.text == expected["citations"][0]["quote"]
        assert browser.find_element(By.ID, "source-note").get_attribute("hidden") is not None
    finally:
        httpx.delete(server + f"/v1/articles/{ASTRAL['id']}", timeout=60)


# ---- behind a path-prefix proxy (uvicorn --root-path /citewire) ----------------------------------

def test_the_page_under_a_root_path_loads_its_assets_under_that_root(tmp_path):
    """The API honours a root path (tests/test_api_root_path.py) and FastAPI's /docs asks for
    /citewire/openapi.json, but the page asks for /web/main.js and /web/app.css, and its scripts call /v1/...:
    behind a proxy that forwards /citewire/* the page loads nothing."""
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False)), root_path="/citewire") as client:
        page = client.get("/citewire/")
        assert page.status_code == 200
        base = "http://testserver/citewire/"
        for reference in re.findall(r'(?:src|href)="([^"#][^"]*)"', page.text):
            if reference.startswith("data:"):
                continue
            resolved = urljoin(base, reference)
            assert resolved.startswith(base), f"{reference} resolves outside /citewire/: {resolved}"


def _prefix_proxy(backend: str, prefix: str):
    """A reverse proxy that serves only ``prefix``/… and strips it, as nginx's ``location /citewire/`` does."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    async def forward(request):
        path = request.url.path
        if not path.startswith(prefix + "/"):
            return Response("not behind this proxy", status_code=404)
        async with httpx.AsyncClient(base_url=backend, timeout=60) as client:
            upstream = await client.request(request.method, path[len(prefix):] + (f"?{request.url.query}" if request.url.query else ""),
                                            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
                                            content=await request.body())
        headers = {k: v for k, v in upstream.headers.items()
                   if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")}
        return Response(upstream.content, status_code=upstream.status_code, headers=headers)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "DELETE", "HEAD"])])


def test_the_page_behind_a_path_prefix_proxy_lists_the_articles(browser, tmp_path):  # noqa: F811
    """uvicorn app.main:create_app --factory --root-path /citewire behind a proxy that forwards /citewire/… only."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By

    app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True, warmup=False))
    with in_thread(app, root_path="/citewire") as backend_url, in_thread(_prefix_proxy(backend_url, "/citewire")) as proxy_url:
        url = proxy_url + "/citewire/"
        assert httpx.get(url + "v1/articles", timeout=60).status_code == 200  # the API is reachable through it
        browser.get(url)
        try:
            wait(browser, 30).until(lambda d: "article" in d.find_element(By.ID, "articles-count").text)
        except TimeoutException:
            pytest.fail("behind the proxy the page never listed the articles: it asked for /web/… and /v1/… "
                        "outside /citewire/")
