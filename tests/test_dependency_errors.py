"""An LLM that is down: every route and the CLI say so in their error shape, never a stack trace."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

UNREACHABLE = "http://127.0.0.1:1/v1"
ASK = {"question": "What did Kim pledge?"}
CHAT = {"messages": [{"role": "user", "content": "What did Kim pledge?"}]}
COMPLETION = {"model": "citewire", "messages": [{"role": "user", "content": "What did Kim pledge?"}]}


@pytest.fixture
def down(tmp_path):
    """The app, its LLM at a port where nothing listens; CITEWIRE_LLM_OUTAGE_FALLBACK=error (the extractive fallback:
    tests/test_llm_outage.py)."""
    app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True, llm_base_url=UNREACHABLE,
                              llm_model="x", llm_max_retries=0, llm_outage_fallback="error"))
    with TestClient(app) as client:
        yield client


def _events(text: str) -> list[tuple[str, dict]]:
    blocks = [b.split("\n", 1) for b in text.strip().split("\n\n") if b]
    return [(b[0].removeprefix("event: "), json.loads(b[1].removeprefix("data: "))) for b in blocks]


@pytest.mark.parametrize(("path", "body"), [("/v1/ask", ASK), ("/v1/chat", CHAT)])
@pytest.mark.parametrize("stream", [False, True])
def test_unreachable_llm_is_a_503_streamed_or_not(down, path, body, stream):
    response = down.post(path, json=body | {"stream": stream})
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "dependency unavailable"
    assert "LLM endpoint" in response.json()["detail"]


@pytest.mark.parametrize("stream", [False, True])
def test_unreachable_llm_is_an_openai_shaped_503(down, stream):
    response = down.post("/v1/chat/completions", json=COMPLETION | {"stream": stream})
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["type"] == "server_error" and error["code"] == "dependency_unavailable"
    assert "the LLM endpoint is not reachable" in error["message"] and UNREACHABLE not in error["message"]
    assert response.headers["retry-after"] == "5"  # as the native routes' 503


def _fails_after_one_delta(question, **_):
    yield "delta", "Kim pledged "
    raise openai.APIConnectionError(request=httpx.Request("POST", UNREACHABLE))


@pytest.mark.parametrize(("path", "body"), [("/v1/ask", ASK), ("/v1/chat", CHAT)])
def test_failure_after_streaming_began_is_an_error_event(down, monkeypatch, path, body):
    monkeypatch.setattr(down.app.state.services.answers, "stream", _fails_after_one_delta)
    response = down.post(path, json=body | {"stream": True})
    assert response.status_code == 200
    events = _events(response.text)
    assert [name for name, _ in events] == ["delta", "error"]
    assert events[-1][1]["error"] == "dependency unavailable" and "LLM endpoint" in events[-1][1]["detail"]


def test_completion_failure_after_streaming_began_is_an_error_chunk(down, monkeypatch):
    monkeypatch.setattr(down.app.state.services.answers, "stream", _fails_after_one_delta)
    response = down.post("/v1/chat/completions", json=COMPLETION | {"stream": True})
    data = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    error = json.loads(data[-2])["error"]
    assert error["code"] == "dependency_unavailable" and "LLM endpoint" in error["message"]


@pytest.fixture
def cli_down(tmp_path, monkeypatch):
    """The CLI over the sample articles, its LLM at a port where nothing listens."""
    from typer.testing import CliRunner

    from app.cli import cli

    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    for name, value in {"LLM_BASE_URL": UNREACHABLE, "LLM_MODEL": "x", "LLM_MAX_RETRIES": "0",
                        "LLM_OUTAGE_FALLBACK": "error"}.items():
        monkeypatch.setenv(f"CITEWIRE_{name}", value)
    return lambda *args: runner.invoke(cli, list(args))


def _one_error_line(result, code: int, *expected: str) -> None:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


@pytest.mark.parametrize("stream", ["--stream", "--no-stream"])
def test_cli_ask_with_an_unreachable_llm_is_one_line(cli_down, stream):
    _one_error_line(cli_down("ask", "What did Kim pledge?", stream), 1,
                    f"the LLM endpoint {UNREACHABLE} is unreachable")


def test_cli_summarize_with_an_unreachable_llm_is_one_line(cli_down):
    # with an LLM configured, summaries go through it: the unreachable endpoint is the error
    _one_error_line(cli_down("summarize", "--article-id", "morocco-earthquake-2023"), 1, "LLM endpoint")


def test_cli_eval_against_an_unreachable_server_is_one_line(cli_down, tmp_path):
    _one_error_line(cli_down("eval", "-q", "--url", "http://127.0.0.1:1", "--out", str(tmp_path / "r")), 1,
                    "cannot reach http://127.0.0.1:1")


def test_cli_eval_on_a_folder_without_the_dataset_names_the_missing_file(cli_down, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_error_line(cli_down("eval", "-q", "--dataset", "realtimeqa", "--path", str(empty), "--out",
                             str(tmp_path / "r")), 2, "is missing")


# One classification (app/dependency_errors.py) for the API and the CLI: each failing dependency, raised
# from a route and inside the CLI's guard, gets the API's status, body and Retry-After and the CLI's line.
def _status_error(code: int) -> openai.APIStatusError:
    response = httpx.Response(code, request=httpx.Request("POST", UNREACHABLE + "/chat/completions"))
    return openai.APIStatusError(f"Error code: {code}", response=response, body=None)


def _record_store_down() -> Exception:
    psycopg = pytest.importorskip("psycopg")
    return psycopg.OperationalError("connection to server at 127.0.0.1, port 1 failed: Connection refused")


EMBED = "http://127.0.0.1:9/v1"


def _embeddings_down(cause: openai.OpenAIError) -> Exception:
    """What app/embed/openai_compat.py raises: the client's error, named as the embeddings endpoint's."""
    from app.dependency_errors import EmbeddingEndpointError

    try:
        raise EmbeddingEndpointError(EMBED, cause) from cause
    except EmbeddingEndpointError as exc:
        return exc


def test_the_embeddings_client_names_its_own_endpoint_when_it_is_down():
    from app.dependency_errors import EmbeddingEndpointError
    from app.embed.openai_compat import OpenAIEmbedder

    embedder = OpenAIEmbedder(EMBED, "some-model", None)
    embedder._client = embedder._client.with_options(max_retries=0, timeout=5)
    with pytest.raises(EmbeddingEndpointError) as caught:
        embedder.embed(["Kim met Putin."])
    assert caught.value.endpoint == EMBED and isinstance(caught.value.__cause__, openai.APIConnectionError)


FAILURES = {
    "llm unreachable": (lambda: openai.APIConnectionError(request=httpx.Request("POST", UNREACHABLE)),
                        503, "dependency unavailable", "the LLM endpoint is not reachable: Connection error.",
                        "5",
                        f"the LLM endpoint {UNREACHABLE} is unreachable: Connection error."),
    "llm error": (lambda: _status_error(500), 502, "dependency failed", "the LLM endpoint answered HTTP 500",
                  None,
                  f"the LLM endpoint {UNREACHABLE} answered HTTP 500"),
    # the embeddings endpoint speaks through the openai client too: once said as "the LLM endpoint is unreachable"
    "embeddings unreachable": (lambda: _embeddings_down(openai.APIConnectionError(request=httpx.Request("POST", EMBED))),
                               503, "dependency unavailable", "the embeddings endpoint is not reachable: Connection error.",
                               "5", f"the embeddings endpoint {EMBED} is unreachable: Connection error."),
    "embeddings error": (lambda: _embeddings_down(_status_error(500)), 502, "dependency failed",
                         "the embeddings endpoint answered HTTP 500", None,
                         f"the embeddings endpoint {EMBED} answered HTTP 500"),
    "chroma down": (lambda: httpx.ConnectError("All connection attempts failed"), 503, "dependency unavailable",
                    "the vector store (Chroma server) is not reachable: ConnectError: All connection attempts failed",
                    "5", "cannot reach the vector store (Chroma server): ConnectError: All connection attempts failed"),
    "postgresql down": (_record_store_down, 503, "dependency unavailable",
                        "the record store (PostgreSQL) is not reachable: OperationalError: connection to server at "
                        "127.0.0.1, port 1 failed: Connection refused", "5",
                        "cannot reach the record store (PostgreSQL): OperationalError: connection to server at "
                        "127.0.0.1, port 1 failed: Connection refused"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_the_api_answers_each_failing_dependency(case):
    from fastapi import FastAPI

    from app.api.errors import install_error_handlers

    make, status, error, detail, retry_after, _ = FAILURES[case]
    exc = make()
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/fails")
    def fails():
        raise exc

    response = TestClient(app, raise_server_exceptions=False).get("/fails")
    assert (response.status_code, response.json()) == (status, {"error": error, "detail": detail})
    assert response.headers.get("retry-after") == retry_after


@pytest.mark.parametrize("case", FAILURES)
def test_the_cli_says_each_failing_dependency_in_one_line(case, capsys):
    import typer

    from app.cli.common import _dependency_errors

    make, *_, line = FAILURES[case]
    exc = make()
    with pytest.raises(typer.Exit) as exit_:
        with _dependency_errors(Settings(llm_base_url=UNREACHABLE, llm_model="x")):
            raise exc
    assert exit_.value.exit_code == 1
    assert capsys.readouterr().err.strip().splitlines() == [f"error: {line}"]


def test_a_stream_names_a_record_store_that_is_down():
    # the streams (ask, chat, completions) classify through dependency_failure, as the JSON handlers do
    from app.api.errors import dependency_failure

    assert dependency_failure(_record_store_down())[:2] == (503, "dependency unavailable")
    assert dependency_failure(ValueError("not a dependency")) is None


def test_an_embeddings_endpoint_error_survives_pickling_with_its_endpoint_and_status():
    """An ingest worker's error crosses a process boundary: it once failed to unpickle ("missing 'cause'")."""
    import copy
    import pickle

    for exc in (_embeddings_down(_status_error(500)),
                _embeddings_down(openai.APIConnectionError(request=httpx.Request("POST", EMBED)))):
        for again in (pickle.loads(pickle.dumps(exc)), copy.copy(exc)):
            assert (again.endpoint, again.status_code, str(again)) == (exc.endpoint, exc.status_code, str(exc))
