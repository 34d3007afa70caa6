"""Regressions found by the review of the input-normalisation work (NFKC questions, legacy encodings, summary caps,
serve --workers, Chroma URL refusals, duplicate ids): each test failed before its fix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.ingest.loaders import decode_text
from app.main import create_app
from tests.conftest import chroma_binary
from tests.test_integration import free_port, stop, wait_for

# A Czech news paragraph: Windows-1250 is *the* legacy encoding for Czech text files and pages.
CZECH = ("Starosta Prahy v pondělí oznámil, že město investuje miliardy korun do oprav silnic a výstavby nových "
         "stanic metra. Obyvatelé města plány většinou přivítali, ale odborníci vyjádřili pochybnosti o financování.")
FULL_WIDTH_QUESTION = "Ｗｈａｔ ｄｉｄ Ｋｉｍ ｐｌｅｄｇｅ？"  # the README's own example of NFKC input


# --- legacy encodings: the Windows-1252 tie-break overrides charset-normalizer's right answer -----------------------

HUNGARIAN = ("A budapesti polgármester hétfőn bejelentette, hogy a város milliárdokat fektet az utak felújításába és "
             "új metróállomások építésébe. A lakosok többsége üdvözölte a terveket, de a szakértők kétségeiket fejezték ki.")
ROMANIAN = ("Primarul Bucureştiului a anunţat luni că oraşul va investi miliarde de lei în repararea drumurilor şi "
            "construcţia de noi staţii de metrou. Locuitorii au salutat în mare parte planurile.")


@pytest.mark.parametrize("text", [CZECH, HUNGARIAN, ROMANIAN], ids=["cs", "hu", "ro"])
def test_decode_text_reads_central_european_windows_1250(text):
    """charset-normalizer ranks cp1250 first (it is right), but cp1252 ties on chaos and coherence, so
    decode_text picks cp1252 and stores mojibake ("pondìlí", "hétfõn", "Bucureºtiului")."""
    from charset_normalizer import from_bytes

    raw = text.encode("cp1250")
    assert str(from_bytes(raw).best()) == text  # the library alone reads it right
    assert decode_text(raw) == text


def test_uploaded_czech_page_is_stored_as_written(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False))) as client:
        response = client.post("/v1/articles", files=[("files", ("praha.txt", CZECH.encode("cp1250")))])
        assert response.status_code == 201, response.text
        assert client.get("/v1/articles/praha").json()["text"] == CZECH


# --- NFKC: "chat messages are searched after NFKC" holds for /v1/chat, not for the OpenAI-compatible chat ----------

@pytest.fixture(scope="module")
def sample_app(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("r11") / "data", index_samples=True, warmup=False))
    with TestClient(app) as client:
        yield client


def test_openai_chat_completions_reads_a_full_width_question_as_v1_chat_does(sample_app):
    chat = sample_app.post("/v1/chat", json={"messages": [{"role": "user", "content": FULL_WIDTH_QUESTION}]}).json()
    assert chat["answerable"], chat  # /v1/chat normalises: answered
    reply = sample_app.post("/v1/chat/completions", json={
        "model": "citewire", "messages": [{"role": "user", "content": FULL_WIDTH_QUESTION}]})
    assert reply.status_code == 200, reply.text
    content = reply.json()["choices"][0]["message"]["content"]
    assert "do not say" not in content and "Kim" in content, content  # observed: a refusal


def test_slack_reads_a_full_width_question_as_v1_ask_does(sample_app):
    from app.slack.bot import Responder
    from app.slack.conversation import parse

    asked = sample_app.post("/v1/ask", json={"question": FULL_WIDTH_QUESTION}).json()
    assert asked["answerable"], asked
    text, blocks = Responder(lambda: sample_app.app.state.services).compose(parse(FULL_WIDTH_QUESTION))
    assert blocks is not None and not text.startswith("Sorry"), text  # observed: "Sorry, I can't answer that …"


def test_slack_summary_of_a_topic_nfkc_lengthens_is_a_plain_refusal_not_an_internal_error(sample_app):
    """112 characters typed; NFKC makes them 2,016, over the topic cap: Slack's own length check counts before NFKC,
    so the service's InvalidSummaryRequest escapes as "something went wrong (InvalidSummaryRequest)"."""
    from app.slack.bot import Responder
    from app.slack.conversation import parse

    topic = "\ufdfa" * 112
    text, _ = Responder(lambda: sample_app.app.state.services).compose(parse(f"summarize {topic}"))
    assert text.startswith("Sorry, I can't summarise that: the topic is longer than 2000 characters"), text


# --- citewire serve --workers N -------------------------------------------------------------------------------------

needs_chroma = pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")


@pytest.mark.integration
@needs_chroma
def test_serve_workers_still_writes_the_access_log(tmp_path):
    """`citewire serve` logs one JSON access line per request; with --workers 2 the workers never call
    configure_logging (only the parent did), so requests leave no access line and worker logs are not JSON."""
    chroma_port, port = free_port(), free_port()
    chroma = subprocess.Popen([chroma_binary(), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                               "--port", str(chroma_port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = open(tmp_path / "serve.log", "w+")
    server = None
    try:
        wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma)
        env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_WARMUP": "false",
               "CITEWIRE_CHROMA_URL": f"http://127.0.0.1:{chroma_port}"}
        server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(port)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        wait_for(f"http://127.0.0.1:{port}/readyz", server, timeout=180)
        for _ in range(3):
            httpx.get(f"http://127.0.0.1:{port}/v1/articles?limit=1", timeout=30).raise_for_status()
        time.sleep(1)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
        stop(chroma)
    log.seek(0)
    assert log.read().count('"logger": "citewire.access"') >= 3


@pytest.mark.integration
def test_a_worker_that_fails_to_start_exits_non_zero_at_any_log_level(tmp_path):
    """_WorkerFailed listens for uvicorn's ERROR record; at CITEWIRE_LOG_LEVEL=CRITICAL that record is never made,
    so the server stops after every worker failed and `citewire serve` exits 0 with no `error:` line."""
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data"), "CITEWIRE_WARMUP": "false",
           "CITEWIRE_LOG_LEVEL": "CRITICAL", "CITEWIRE_CHROMA_URL": f"http://127.0.0.1:{free_port()}"}
    run = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--workers", "2", "--port", str(free_port())],
                         env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert run.returncode != 0, run.stderr[-2000:]


# --- Chroma URL refusals: the new query/fragment refusal prints the secret it refuses ----------------------------------

@pytest.mark.parametrize("url", ["http://chroma:8000?chroma_client_auth_credentials=s3cr3t-value",
                                 "http://chroma:8000/#s3cr3t-value",
                                 "http://chroma:8000?auth=Bearer%20s3cr3t-value"])
def test_a_refused_chroma_url_does_not_print_its_credentials(tmp_path, url):
    """A URL with a query string was accepted (and the query dropped) before; now it is refused, and the refusal
    echoes the query to stderr (from there to container and CI logs): shown_url masks only user:password@ and
    password/api_key/token= names, not Chroma's own chroma_client_auth_credentials, a fragment, or auth=."""
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["list"], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d"),
                                                    "CITEWIRE_CHROMA_URL": url})
    assert result.exit_code == 2 and "error: invalid setting" in result.stderr
    assert "s3cr3t-value" not in result.stderr, result.stderr


# --- duplicate ids: a superseded record that is invalid is still counted, listed and not warned about ------------------

def test_an_invalid_record_given_again_with_its_id_is_named_in_the_warning(tmp_path):
    """A feed that repeats a story with its date corrected: the unreadable record is reported failed on its own
    (as every unreadable record is), the corrected one is stored, and the warning names the id (it named
    nothing: the invalid record never reached the duplicate check)."""
    import json

    records = [{"id": "a", "text": "The harbour wall fell on Monday after the storm.", "published_at": "2024-13-45"},
               {"id": "a", "text": "The harbour wall fell on Monday after the storm.", "published_at": "2024-03-05"}]
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False))) as client:
        response = client.post("/v1/articles", content="\n".join(json.dumps(r) for r in records),
                               headers={"content-type": "application/x-ndjson"})
        body = response.json()
        assert client.get("/v1/articles/a").json()["published_at"].startswith("2024-03-05")
        assert (body["added"], body["failed"]) == (1, 1), body
        assert [r["status"] for r in body["results"]] == ["failed", "added"], body["results"]
        assert any("'a' is given 2 times" in w for w in body["warnings"]), body
