"""The web page in a real browser: Debian's headless Chromium driven by Selenium against a real
uvicorn server on 127.0.0.1 with the samples indexed. The browser can reach nothing but loopback
(names do not resolve, every other host goes to a dead proxy), so the page and /docs are proven to
work offline. Screenshots land in ``browser-screenshots/`` (or ``$CITEWIRE_SCREENSHOTS``).

The browser tests skip with the reason when chromium, chromedriver or selenium are absent (``.ci/run``
installs them); the checks that need no browser always run."""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import REPO
from tests.fake_openai import FakeOpenAIServer
from tests.test_integration import serve_samples

CHROMIUM = os.environ.get("CITEWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CITEWIRE_CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("CITEWIRE_SCREENSHOTS", REPO / "browser-screenshots"))
WAIT_S = 60  # generous: two shared cores, and the first question loads the embedder's caches

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # the page's own checks below still run
    webdriver = None


def _missing_browser() -> str | None:
    if webdriver is None:
        return "selenium is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is absent (apt-get install chromium chromium-driver)"
    if not Path(CHROMEDRIVER).exists():
        return f"{CHROMEDRIVER} is absent (apt-get install chromium-driver)"
    return None


pytestmark = pytest.mark.integration


# ---- without a browser: the page and the docs are complete and self-contained ------------------

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings(data_dir=tmp_path_factory.mktemp("web") / "data"))) as test_client:
        yield test_client


def local_references(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_page_and_every_asset_it_loads_come_from_the_server(client):
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert client.head("/").status_code == 200
    pending, seen = [r for r in local_references(response.text) if r.startswith("/")], set()
    while pending:  # follow ES module imports too: a missing package-data file fails here
        url = pending.pop()
        if url in seen:
            continue
        seen.add(url)
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert not re.search(r"https?://", asset.text), f"{url} refers to another host"
        pending += [posixpath.join(posixpath.dirname(url), m) for m in re.findall(r'from "\./([\w.-]+)"', asset.text)]
    assert {"/web/main.js", "/web/chat.js", "/web/library.js", "/web/render.js", "/web/api.js", "/web/app.css"} <= seen


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_pages_load_their_scripts_from_the_server(client, path):
    html = client.get(path).text
    references = local_references(html)
    assert references and all(r.startswith("/") for r in references), references
    assert all(client.get(r).status_code == 200 for r in references)
    assert client.get("/openapi.json").status_code == 200


# ---- in a real browser -------------------------------------------------------------------------


def serve(data_dir: Path, **env: str):
    return serve_samples(data_dir, timeout=120, **env)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("browser") / "data") as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if _missing_browser():
        pytest.skip(_missing_browser())
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 # The network is blocked: no name resolves except loopback, and any other host
                 # goes to a proxy on a closed port.
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                 "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT_S)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


EVERY_REQUEST: list[dict] = []  # every network event of the module, for the final loopback-only check


def network_events(driver) -> list[dict]:
    """DevTools network events since the last call (the performance log drains on read)."""
    events = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"].startswith("Network."):
            events.append(message)
    EVERY_REQUEST.extend(events)
    return events


NETWORK_SCHEMES = {"http", "https", "ws", "wss", "ftp"}  # data:, blob: and chrome:// never leave the machine
# ReDoc's sidebar shows Redocly's logo from its CDN and hides it when that fails: the one request
# the docs make outside; nothing depends on it.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def requested_urls(events: list[dict]) -> set[str]:
    return {e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"}


def requested_hosts(events: list[dict], allow: frozenset[str] = frozenset()) -> set[str]:
    return {urlsplit(url).hostname for url in requested_urls(events) - allow if urlsplit(url).scheme in NETWORK_SCHEMES}


def script_errors(driver) -> list[str]:
    """Console errors since the last call, less HTTP error statuses (tests check those themselves)."""
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and "Failed to load resource: the server responded" not in e["message"]]


@pytest.fixture
def page(browser, server):
    """The page, freshly loaded with an empty conversation."""
    browser.set_window_size(1280, 900)
    browser.get(server + "/")
    browser.execute_script("localStorage.clear()")
    browser.get(server + "/")
    wait(browser).until(lambda d: "article" in d.find_element(By.ID, "articles-count").text)
    network_events(browser)
    script_errors(browser)
    return browser


def wait(driver, seconds: float = WAIT_S) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def ask(driver, question: str):
    """Type a question and press Enter (Enter sends); return the answer element once final."""
    before = len(driver.find_elements(By.CSS_SELECTOR, "#history .turn"))
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history .turn")) == before + 1)
    turn = driver.find_elements(By.CSS_SELECTOR, "#history .turn")[-1]
    wait(driver).until(lambda d: "streaming" not in turn.find_element(By.CSS_SELECTOR, ".answer").get_attribute("class"))
    return turn.find_element(By.CSS_SELECTOR, ".answer")


def test_ask_streams_a_cited_answer_and_the_chip_highlights_the_quote(page, server):
    expected = httpx.post(server + "/v1/ask", json={"question": "What did Kim pledge?"}, timeout=WAIT_S).json()
    assert expected["answerable"] and expected["citations"]

    answer = ask(page, "What did Kim pledge?")
    text = answer.find_element(By.CSS_SELECTOR, ".answer-text").text
    assert "pledged" in text and "[1]" in text
    assert answer.find_elements(By.CSS_SELECTOR, ".guard summary")[0].text.startswith("Checked")
    assert "kept" in answer.find_element(By.CSS_SELECTOR, ".guard summary").text

    events = network_events(page)
    ask_request = next(e for e in events if e["method"] == "Network.requestWillBeSent"
                       and e["params"]["request"]["url"].endswith("/v1/ask"))
    assert json.loads(ask_request["params"]["request"]["postData"])["stream"] is True
    ask_response = next(e for e in events if e["method"] == "Network.responseReceived"
                        and e["params"]["requestId"] == ask_request["params"]["requestId"])
    assert ask_response["params"]["response"]["mimeType"] == "text/event-stream"

    chip = answer.find_element(By.CSS_SELECTOR, ".answer-text .chip")
    first = expected["citations"][0]
    assert chip.get_attribute("data-article") == first["article_id"]
    chip.click()
    dialog = wait(page).until(EC.visibility_of_element_located((By.ID, "source")))
    mark = wait(page).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#source-text mark")))
    assert mark.text == first["quote"]
    article_text = dialog.find_element(By.ID, "source-text").text
    assert len(article_text) > len(mark.text) and first["quote"] in article_text  # the quote sits inside the article
    assert page.switch_to.active_element == mark
    assert page.find_element(By.ID, "source-note").get_attribute("hidden") is not None
    page.save_screenshot(str(SCREENSHOTS / "answer-citation.png"))

    ActionChains(page).send_keys(Keys.ESCAPE).perform()
    wait(page).until(EC.invisibility_of_element_located((By.ID, "source")))
    assert not script_errors(page)


def test_an_articles_own_footnote_is_text_and_only_citewires_numbers_are_chips(page, server):
    """"…litres of water.[2] [1]": the article's footnote [2] was a chip too, and it opened the other passage."""
    from tests.test_walk_adapter_findings import FOOTNOTED, FOOTNOTED_QUESTION

    assert httpx.post(server + "/v1/articles", json=[FOOTNOTED], timeout=WAIT_S).status_code in (200, 201)
    try:
        expected = httpx.post(server + "/v1/ask", json={"question": FOOTNOTED_QUESTION}, timeout=WAIT_S).json()
        assert len(expected["sentences"]) == 2, expected["answer"]
        answer = ask(page, FOOTNOTED_QUESTION)
        chips = answer.find_elements(By.CSS_SELECTOR, ".answer-text .chip")
        assert [c.get_attribute("data-n") for c in chips] == [str(s["citations"][0]) for s in expected["sentences"]]
        text = answer.find_element(By.CSS_SELECTOR, ".answer-text").text
        assert expected["sentences"][0]["text"] in text  # its "[2]" shown as the article wrote it
        chips[0].click()
        mark = wait(page).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#source-text mark")))
        assert mark.text == expected["sentences"][0]["text"]  # the passage of that sentence, not of the footnote
        ActionChains(page).send_keys(Keys.ESCAPE).perform()
        wait(page).until(EC.invisibility_of_element_located((By.ID, "source")))
        assert not script_errors(page)
    finally:
        httpx.delete(server + f"/v1/articles/{FOOTNOTED['id']}", timeout=WAIT_S)


def test_an_unanswerable_question_is_shown_as_a_refusal_with_its_reason(page):
    answer = ask(page, "What did Joe Biden say about the meeting?")
    assert "refused" in answer.get_attribute("class")
    assert answer.find_element(By.CSS_SELECTOR, ".refusal-label").text.lower() == "refused"
    reason = answer.find_element(By.CSS_SELECTOR, ".reason").text
    assert reason.startswith("Reason:") and "biden" in reason.lower()
    assert not answer.find_elements(By.CSS_SELECTOR, ".chip")
    page.save_screenshot(str(SCREENSHOTS / "refusal.png"))


SUPPORTED = "Kim pledged to Putin that North Korea would give full and unconditional support to Moscow"
INVENTED = "Kim also gave Putin a golden horse named Thunder as a birthday present"


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory):
    """The service answering with an OpenAI-compatible model: the test fake, on loopback. Without the extractive
    fallback, so that a summary the guard dropped entirely reaches the page as such (with it, the page gets the
    extractive summary: tests/test_llm_summary_fallback.py), and without the outage fallback, so that an answer
    that breaks off shows the server's reason."""
    with FakeOpenAIServer() as fake, serve(tmp_path_factory.mktemp("browser-llm") / "data",
                                           CITEWIRE_LLM_BASE_URL=fake.base_url, CITEWIRE_LLM_MODEL="fake-model",
                                           CITEWIRE_LLM_API_KEY="test", CITEWIRE_LLM_FALLBACK_EXTRACTIVE="false",
                                           CITEWIRE_LLM_OUTAGE_FALLBACK="error") as url:
        yield url, fake


@pytest.fixture
def llm_page(browser, llm_server):
    url, fake = llm_server
    browser.set_window_size(1280, 900)
    browser.get(url + "/")
    browser.execute_script("localStorage.clear()")
    browser.get(url + "/")
    fake.stream_finished.clear()
    fake.stream_cancelled.clear()
    return browser, fake


def test_llm_answer_streams_token_by_token_and_shows_what_the_guard_dropped(llm_page):
    browser, fake = llm_page
    fake.reply(f"{SUPPORTED} [1]. {INVENTED} [1].", delay=0.1)
    browser.find_element(By.ID, "question").send_keys("What did Kim pledge?", Keys.ENTER)
    # While the model is still generating, part of its text is already on the page.
    live = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, ".answer.streaming .live"))
    wait(browser).until(lambda d: "pledged" in live.text)
    answer = browser.find_element(By.CSS_SELECTOR, ".answer")
    assert "streaming" in answer.get_attribute("class") and not fake.stream_finished.is_set()
    wait(browser).until(lambda d: "streaming" not in answer.get_attribute("class"))
    assert fake.stream_finished.is_set()
    text = answer.find_element(By.CSS_SELECTOR, ".answer-text").text
    assert "unconditional support" in text and "golden horse" not in text
    guard = answer.find_element(By.CSS_SELECTOR, ".guard summary")
    assert guard.text.startswith("Guard") and "1 kept" in guard.text and "1 dropped" in guard.text
    assert answer.find_element(By.CSS_SELECTOR, ".answer-text .chip").text == "[1]"
    guard.click()
    answer.find_element(By.CSS_SELECTOR, ".draft summary").click()
    assert "golden horse" in answer.find_element(By.CSS_SELECTOR, ".draft-text").text  # shown as the draft only
    browser.save_screenshot(str(SCREENSHOTS / "llm-guard.png"))


def test_stop_ends_the_answer_and_the_generation(llm_page):
    browser, fake = llm_page
    fake.reply(" ".join(["word"] * 300), delay=0.1)
    browser.find_element(By.ID, "question").send_keys("What did Kim pledge?", Keys.ENTER)
    wait(browser).until(lambda d: "word" in d.find_element(By.CSS_SELECTOR, ".answer.streaming .live").text)
    browser.find_element(By.ID, "stop-button").click()
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, ".answer.failed .error").text == "Error: stopped")
    assert browser.find_element(By.ID, "stop-button").get_attribute("hidden") is not None
    assert browser.find_element(By.ID, "ask-button").is_enabled()
    assert fake.stream_cancelled.wait(8), "the server kept reading the model's stream after the page hung up"
    assert fake.chunks_sent < 300


def test_an_answer_that_breaks_off_shows_the_servers_reason(llm_page):
    browser, fake = llm_page
    fake.reply(" ".join(["word"] * 50), delay=0.05, break_after=5)
    browser.find_element(By.ID, "question").send_keys("What did Kim pledge?", Keys.ENTER)
    error = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, ".answer.failed .error"))
    assert error.text.startswith("Error: ") and "ended early" not in error.text  # the server's reason, not a guess
    assert browser.find_element(By.ID, "ask-button").is_enabled()


def test_an_llm_summary_the_guard_dropped_entirely_says_so(llm_page):
    """The model invents every sentence: the summary comes back empty, which the page showed as an empty
    summary (an article) or as "Refused … no reason given" (a topic)."""
    browser, fake = llm_page
    invented = "The council bought a golden submarine [1]. Aliens landed in Paris on Tuesday [1]."
    selector = '#articles .article[data-id="kim-putin-vostochny-2023"]'
    item = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, selector))
    fake.reply(invented)
    item.find_element(By.XPATH, ".//button[text()='Summarise']").click()
    note = wait(browser).until(lambda d: item.find_element(By.CSS_SELECTOR, ".result .refusal"))
    assert note.find_element(By.CSS_SELECTOR, ".refusal-label").text.lower() == "nothing verified"
    assert re.search(r"None of the \d+ sentence\(s\) the model wrote was supported", note.text)
    assert "dropped" in item.find_element(By.CSS_SELECTOR, ".result .guard summary").text
    fake.reply_with(lambda body: invented)
    try:
        browser.find_element(By.ID, "topic").send_keys("Russia and North Korea", Keys.ENTER)
        topic = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "#topic-result .refusal"))
        assert topic.find_element(By.CSS_SELECTOR, ".refusal-label").text.lower() == "nothing verified"
        assert "no reason given" not in topic.text
    finally:
        fake.default = None
    assert not script_errors(browser)


def test_conversation_survives_a_reload_and_follow_ups_use_chat(page, server):
    ask(page, "What did Kim pledge?")
    network_events(page)
    ask(page, "And who went with him?")
    urls = [e["params"]["request"]["url"] for e in network_events(page) if e["method"] == "Network.requestWillBeSent"]
    assert any(u.endswith("/v1/chat") for u in urls)
    page.get(server + "/")
    wait(page).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#history .turn")) == 2)
    page.find_element(By.ID, "clear-history").click()
    assert not page.find_elements(By.CSS_SELECTOR, "#history .turn")


def test_upload_by_picker_and_by_drop_then_filter_and_summarise(page, tmp_path):
    picked = tmp_path / "web-test-harbour.md"
    picked.write_text("---\ntitle: Harbour reopens after the storm\nsource: Web Test Wire\npublished_at: 2030-01-02\n---\n"
                      "The harbour at Port Elsa reopened on Tuesday after the storm damaged two piers. "
                      "Officials said 40 fishing boats returned the same evening.\n", encoding="utf-8")
    page.find_element(By.ID, "files").send_keys(str(picked))
    # Drag and drop: a real drop event carrying a File, as the browser builds it from a desktop drag.
    page.execute_script("""
        const dt = new DataTransfer();
        dt.items.add(new File(["---\\ntitle: Bridge vote delayed\\nsource: Web Test Wire\\npublished_at: 2031-05-06\\n---\\n" +
          "The council delayed its vote on the river bridge to June, the mayor said on Monday."],
          "web-test-bridge.md", {type: "text/markdown"}));
        const zone = document.getElementById("dropzone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        const bad = new DataTransfer();
        bad.items.add(new File(["%PDF-1.4"], "web-test-notes.pdf", {type: "application/pdf"}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: bad, bubbles: true, cancelable: true}));
    """)
    rejected = wait(page).until(lambda d: d.find_element(By.CSS_SELECTOR, '.upload.failed[data-file="web-test-notes.pdf"]'))
    assert "unsupported file type" in rejected.find_element(By.CSS_SELECTOR, ".upload-status").text
    for name in ("web-test-harbour.md", "web-test-bridge.md"):
        item = wait(page).until(lambda d: d.find_element(By.CSS_SELECTOR, f'.upload[data-file="{name}"]'))
        wait(page).until(lambda d: "ok" in item.get_attribute("class").split() or "failed" in item.get_attribute("class"))
        assert "1 added" in item.find_element(By.CSS_SELECTOR, ".upload-status").text
        assert float(item.find_element(By.TAG_NAME, "progress").get_attribute("value")) == 1.0
    for article_id in ("web-test-harbour", "web-test-bridge"):
        wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'.article[data-id="{article_id}"]'))
    page.save_screenshot(str(SCREENSHOTS / "upload.png"))

    # Source filter (server side) then date filter (in the page).
    wait(page).until(lambda d: "Web Test Wire" in [o.text for o in Select(d.find_element(By.ID, "filter-source")).options])
    Select(page.find_element(By.ID, "filter-source")).select_by_visible_text("Web Test Wire")
    wait(page).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#articles .article")) == 2)
    page.execute_script("const i = document.getElementById('filter-from'); i.value = '2031-01-01';"
                        "i.dispatchEvent(new Event('change'));")
    ids = [e.get_attribute("data-id") for e in page.find_elements(By.CSS_SELECTOR, "#articles .article")]
    assert ids == ["web-test-bridge"]

    article = page.find_element(By.CSS_SELECTOR, '.article[data-id="web-test-bridge"]')
    article.find_element(By.XPATH, ".//button[text()='Summarise']").click()
    summary = wait(page).until(lambda d: article.find_element(By.CSS_SELECTOR, ".summary-text"))
    assert "bridge" in summary.text and summary.find_elements(By.CSS_SELECTOR, ".chip")

    Select(page.find_element(By.ID, "filter-source")).select_by_index(0)
    page.execute_script("const i = document.getElementById('filter-from'); i.value = '';"
                        "i.dispatchEvent(new Event('change'));")
    topic = page.find_element(By.ID, "topic")
    topic.send_keys("Russia and North Korea", Keys.ENTER)
    result = wait(page).until(lambda d: d.find_element(By.CSS_SELECTOR, "#topic-result .summary-text"))
    assert result.find_elements(By.CSS_SELECTOR, ".chip")
    assert not script_errors(page)


def test_a_topic_nothing_covers_is_shown_as_a_refusal_with_its_reason(page):
    page.find_element(By.ID, "topic").send_keys("cryptocurrency regulation in Brazil", Keys.ENTER)
    refusal = wait(page).until(lambda d: d.find_element(By.CSS_SELECTOR, "#topic-result .refusal"))
    assert refusal.find_element(By.CSS_SELECTOR, ".refusal-label").text.lower() == "refused"
    reason = refusal.find_element(By.CSS_SELECTOR, ".reason").text
    assert reason.startswith("Reason:") and "brazil" in reason.lower()
    assert not page.find_elements(By.CSS_SELECTOR, "#topic-result .summary-text")  # not shown as a summary
    assert not script_errors(page)


def test_page_is_labelled_and_fits_a_narrow_screen(page):
    unlabelled = page.execute_script("""
        return [...document.querySelectorAll('input, select, textarea, button')]
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
          .map(e => e.outerHTML);""")
    assert unlabelled == []
    page.set_window_size(390, 844)
    ask(page, "What did Kim pledge?")
    overflow = page.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.save_screenshot(str(SCREENSHOTS / "narrow.png"))


def test_api_docs_load_with_the_network_blocked(browser, server):
    browser.set_window_size(1280, 900)
    network_events(browser)
    browser.get(server + "/docs")
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
    paths = {e.text.replace("\u200b", "") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/v1/ask", "/v1/articles", "/v1/summarize"} <= paths
    browser.save_screenshot(str(SCREENSHOTS / "docs.png"))
    docs_requests = requested_urls(network_events(browser))
    assert any(u.endswith("/static-offline-docs/swagger-ui-bundle.js") for u in docs_requests)
    assert {urlsplit(u).hostname for u in docs_requests if urlsplit(u).scheme in NETWORK_SCHEMES} == {"127.0.0.1"}

    browser.get(server + "/redoc")
    wait(browser).until(lambda d: "Answer a question from the articles" in d.find_element(By.TAG_NAME, "body").text)
    browser.save_screenshot(str(SCREENSHOTS / "redoc.png"))
    assert requested_hosts(network_events(browser), allow=frozenset({REDOC_LOGO})) == {"127.0.0.1"}


def test_nothing_but_loopback_was_ever_requested(browser, server):
    """Runs last: every request the page and the docs made in this module went to the server."""
    script_errors(browser)  # drain: ReDoc's failed logo fetch is logged as an error
    browser.get(server + "/")
    wait(browser).until(lambda d: "article" in d.find_element(By.ID, "articles-count").text)
    network_events(browser)
    assert requested_hosts(EVERY_REQUEST, allow=frozenset({REDOC_LOGO})) == {"127.0.0.1"}
    assert not script_errors(browser)


def test_a_server_with_api_keys_asks_for_the_key_once_and_then_answers(browser, tmp_path_factory):
    key = "web-page-key-0123456789"
    with serve(tmp_path_factory.mktemp("keyed") / "data", CITEWIRE_API_KEYS=key) as url:
        assert httpx.get(url + "/v1/articles").status_code == 401
        browser.set_window_size(1280, 900)
        browser.get(url + "/")
        prompt = wait(browser).until(EC.alert_is_present())
        assert "API key" in prompt.text
        prompt.send_keys(key)
        prompt.accept()
        wait(browser).until(lambda d: "8 article" in d.find_element(By.ID, "articles-count").text)
        answer = ask(browser, "What did Kim pledge?")
        assert answer.find_elements(By.CSS_SELECTOR, ".answer-text .chip")
        assert browser.execute_script("return sessionStorage.getItem('citewire.apiKey')") == key


def test_an_upload_refused_for_want_of_a_key_asks_for_it_and_then_uploads(browser, tmp_path_factory, tmp_path):
    """The upload goes through XMLHttpRequest (for progress), not fetch: its 401 must prompt too."""
    key = "web-upload-key-0123456789"
    with serve(tmp_path_factory.mktemp("keyed-upload") / "data", CITEWIRE_API_KEYS=key) as url:
        browser.set_window_size(1280, 900)
        browser.get(url + "/")  # a new port is a new origin: no key stored yet
        wait(browser).until(EC.alert_is_present()).dismiss()  # the user cancels the prompt at load
        while True:  # any other request of the page load asks again; cancel those too
            try:
                wait(browser, 2).until(EC.alert_is_present()).dismiss()
            except TimeoutException:
                break
        picked = tmp_path / "web-test-keyed.md"
        picked.write_text("---\ntitle: Ferry timetable changes\nsource: Web Test Wire\npublished_at: 2030-03-04\n---\n"
                          "The ferry to Port Elsa will leave at 7am from Monday, the operator said.\n", encoding="utf-8")
        browser.find_element(By.ID, "files").send_keys(str(picked))
        prompt = wait(browser).until(EC.alert_is_present())
        assert "API key" in prompt.text
        prompt.send_keys(key)
        prompt.accept()
        item = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '.upload.ok[data-file="web-test-keyed.md"]'))
        assert "1 added" in item.find_element(By.CSS_SELECTOR, ".upload-status").text
        assert browser.execute_script("return sessionStorage.getItem('citewire.apiKey')") == key
        listed = httpx.get(url + "/v1/articles", headers={"x-api-key": key}).json()
        assert any(a["title"] == "Ferry timetable changes" for a in listed["articles"])


def test_a_wrong_key_at_load_is_forgotten_once_a_working_key_is_stored(browser, tmp_path_factory):
    """The list said "Could not list articles: unauthorized" until a reload, though a later prompt stored a good key."""
    key = "web-relist-key-0123456789"
    with serve(tmp_path_factory.mktemp("keyed-relist") / "data", CITEWIRE_API_KEYS=key) as url:
        browser.set_window_size(1280, 900)
        browser.get(url + "/")  # a new port is a new origin: no key stored yet
        prompt = wait(browser).until(EC.alert_is_present())
        prompt.send_keys("a-wrong-key")
        prompt.accept()
        count = browser.find_element(By.ID, "articles-count")
        wait(browser).until(lambda d: "unauthorized" in count.text)
        box = browser.find_element(By.ID, "question")
        box.send_keys("What did Kim pledge?", Keys.ENTER)
        prompt = wait(browser).until(EC.alert_is_present())
        prompt.send_keys(key)
        prompt.accept()
        wait(browser).until(lambda d: "8 article" in count.text)
        turn = browser.find_elements(By.CSS_SELECTOR, "#history .turn")[-1]
        wait(browser).until(lambda d: turn.find_elements(By.CSS_SELECTOR, ".answer-text .chip"))


def test_an_answer_and_a_summary_made_without_a_down_llm_say_so_on_the_page(browser, tmp_path_factory):
    """CITEWIRE_LLM_OUTAGE_FALLBACK=extractive (the default): with the LLM's port refusing connections, the answer
    and the summary are the extractive ones, and the page says why in a visible note."""
    import socket

    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    with serve(tmp_path_factory.mktemp("browser-down") / "data", CITEWIRE_LLM_BASE_URL=f"http://127.0.0.1:{dead}/v1",
               CITEWIRE_LLM_MODEL="x", CITEWIRE_LLM_MAX_RETRIES="0") as url:
        browser.get(url + "/")
        browser.execute_script("localStorage.clear()")
        browser.get(url + "/")
        answer = ask(browser, "What did Kim pledge?")
        assert "pledged" in answer.find_element(By.CSS_SELECTOR, ".answer-text").text
        note = answer.find_element(By.CSS_SELECTOR, ".fallback.note")
        assert note.is_displayed() and note.text.startswith("Answered without the LLM: "), note.text
        assert "not reachable" in note.text and str(dead) not in note.text
        selector = '#articles .article[data-id="kim-putin-vostochny-2023"]'
        item = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, selector))
        item.find_element(By.XPATH, ".//button[text()='Summarise']").click()
        summary_note = wait(browser).until(lambda d: item.find_element(By.CSS_SELECTOR, ".result .fallback.note"))
        assert summary_note.text.startswith("Summarised without the LLM: "), summary_note.text
