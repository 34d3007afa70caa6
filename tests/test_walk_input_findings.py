"""Input handling found by a new user's walk through the running service: each test failed before its fix."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.main import create_app
from app.request_types import ARTICLE_ID_RULE

TEXT = "Harbour strike ends in Rotterdam. Dockers returned to work on Monday after a week-long walkout."
ARTICLE_FIELDS = "(fields: id, title, text, source, url, published_at)"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("walk-input") / "data", index_samples=True,
                              warmup=False))
    with TestClient(app) as test_client:
        yield test_client


# --- 1. a date under a news feed's name was dropped, and an unknown field ignored without a word -------------------

@pytest.mark.parametrize(("name", "value", "stored"), [
    ("publishedAt", "2024-01-01", "2024-01-01"),  # NewsAPI
    ("published", "2024-01-02", "2024-01-02"),  # feedparser
    ("pubDate", "Wed, 03 Jan 2024 10:00:00 GMT", "2024-01-03T10:00:00+00:00"),  # RSS, RFC 822
    ("datePublished", "2024-01-04T08:30:00Z", "2024-01-04T08:30:00+00:00"),  # schema.org
    ("published_date", "2024-01-05", "2024-01-05"),
])
def test_a_feeds_date_field_is_the_published_date(client, name, value, stored):
    article_id = f"typo-{name.lower()}"
    response = client.post("/v1/articles", json={"id": article_id, "title": "Typo", name: value, "text": TEXT})
    assert response.status_code == 201, response.text
    assert response.json()["results"][0]["warnings"] == []
    assert client.get(f"/v1/articles/{article_id}").json()["published_at"] == stored  # observed: null


def test_a_field_no_article_reads_is_named_in_the_response(client):
    response = client.post("/v1/articles", json=[
        {"id": "typo-fields", "title": "Typo", "publshed_at": "2024-01-01", "author": "A. Writer", "text": TEXT},
        {"id": "typo-fields-2", "author": "B. Writer", "text": TEXT + " More."}])
    assert response.status_code == 201, response.text
    body = response.json()
    assert [r["warnings"] for r in body["results"]] == [
        [f"ignored 'publshed_at', 'author': not article fields {ARTICLE_FIELDS}"],
        [f"ignored 'author': not an article field {ARTICLE_FIELDS}"],
    ]
    assert body["warnings"] == [
        f"ignored 'publshed_at' (1 record), 'author' (2 records): not article fields {ARTICLE_FIELDS}"]


def test_a_feed_file_reads_the_same_date_fields_and_names_ignored_fields_once(tmp_path):
    path = tmp_path / "feed.jsonl"
    records = [{"id": "feed-1", "publishedAt": "2024-01-01", "tags": ["port"], "text": TEXT},
               {"id": "feed-2", "pubDate": "Tue, 02 Jan 2024 00:00:00 GMT", "tags": [], "text": TEXT + " Again."}]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["ingest", "-q", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added 2, updated 0, unchanged 0, failed 0"), result.stdout
    assert result.stderr.strip() == f"warning: ignored 'tags' (2 records): not an article field {ARTICLE_FIELDS}"
    listed = CliRunner().invoke(cli, ["list"], env=env).stdout
    assert "2024-01-01" in listed and "2024-01-02" in listed, listed


# --- 2. a record that failed was reported with "article_id": null although it gave its id -----------------------

def test_a_failed_record_is_reported_under_the_id_it_gives(client):
    response = client.post("/v1/articles", json=[
        {"id": "test-2", "text": "Alpha beta gamma delta."}, {"id": "test-3", "text": ""},
        {"id": 5, "text": ["a"]}, {"id": "not an id!", "text": ""}])
    assert response.status_code == 201, response.text
    failed = [(r["article_id"], r["error"]) for r in response.json()["results"] if r["status"] == "failed"]
    assert failed == [("test-3", "text: text is empty"), ("5", "text: Input should be a valid string"),
                      (None, f"id: id must be {ARTICLE_ID_RULE}; text: text is empty")]


# --- 3. a body that is not UTF-8 was "There was an error parsing the body" ----------------------------------------

@pytest.mark.parametrize(("path", "body"), [
    ("/v1/search", b'{"query":"Caf\xe9?"}'),
    ("/v1/ask", b'{"question":"Caf\xe9?"}'),
    ("/v1/chat", b'{"messages":[{"role":"user","content":"Caf\xe9?"}]}'),
    ("/v1/summarize", b'{"topic":"Caf\xe9"}'),
])
def test_a_body_that_is_not_utf8_is_malformed_json(client, path, body):
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "malformed JSON", "detail": response.json()["detail"]}
    assert response.json()["detail"].startswith("'utf-8' codec can't decode byte 0xe9"), response.text


def test_the_openai_route_says_why_it_cannot_read_a_body_that_is_not_utf8(client):
    response = client.post("/v1/chat/completions", headers={"content-type": "application/json"},
                           content=b'{"model":"citewire","messages":[{"role":"user","content":"Caf\xe9?"}]}')
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json" and error["type"] == "invalid_request_error"
    assert "'utf-8' codec can't decode byte 0xe9" in error["message"], error


# --- 4. validation messages --------------------------------------------------------------------------------------

def refusal(response) -> str:
    assert response.status_code == 422, response.text
    return "; ".join(e["msg"] for e in response.json()["detail"])


def test_a_blank_chat_question_is_an_empty_question(client):
    for blank in ("   ", "\u0000\u0000"):
        messages = [{"role": "user", "content": "What did Kim pledge?"}, {"role": "user", "content": blank}]
        assert refusal(client.post("/v1/chat", json={"messages": messages})) == "question is empty"
    ends_with_answer = [{"role": "user", "content": "Kim?"}, {"role": "assistant", "content": "He pledged."}]
    assert refusal(client.post("/v1/chat", json={"messages": ends_with_answer})) == \
        "the last message must be the user's question"


def test_an_empty_topic_is_the_empty_topic(client, tmp_path):
    assert refusal(client.post("/v1/summarize", json={"topic": ""})) == "the topic is empty"
    assert refusal(client.post("/v1/summarize", json={"topic": "\u0000 \u0007"})) == "the topic is empty"
    result = CliRunner().invoke(cli, ["summarize", "--topic", ""], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 2 and result.stderr.startswith("error: the topic is empty"), result.stderr
    # beside article ids "" still counts as not given
    both = client.post("/v1/summarize", json={"article_ids": ["kim-putin-vostochny-2023"], "topic": ""})
    assert both.status_code == 200, both.text


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/v1/ask", {"question": "\u0000\u0000"}, "question is empty"),
    ("/v1/search", {"query": "\u0000\u001f "}, "query is empty"),
])
def test_a_question_of_control_characters_is_empty(client, path, body, message):
    assert refusal(client.post(path, json=body)) == message  # observed: a 200 refusal


def test_the_openai_route_refuses_a_question_of_control_characters_as_a_blank_one(client):
    response = client.post("/v1/chat/completions", json={
        "model": "citewire", "messages": [{"role": "user", "content": "\u0000\u0000"}]})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The question is empty: the last user message has no text."


@pytest.mark.parametrize("content", ["", "   ", "\u0000"])
def test_a_blank_last_chat_message_is_an_empty_question_on_both_chat_routes(client, content):
    """A README walkthrough: /v1/chat said "String should have at least 1 character" for "" and "question is empty"
    for "   "; /v1/chat/completions said "The last message must be the user's question" though it was."""
    native = client.post("/v1/chat", json={"messages": [{"role": "user", "content": content}]})
    assert native.status_code == 422 and "question is empty" in native.text, native.text
    openai_style = client.post("/v1/chat/completions", json={
        "model": "citewire", "messages": [{"role": "user", "content": content}]})
    assert openai_style.status_code == 400
    assert openai_style.json()["error"]["message"].startswith("The question is empty")
    not_user = client.post("/v1/chat/completions", json={
        "model": "citewire", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]})
    assert not_user.json()["error"]["message"] == "The last message must be the user's question."


def test_chat_takes_and_ignores_system_messages(client):
    question = [{"role": "user", "content": "What did Kim pledge to Putin?"}]
    plain = client.post("/v1/chat", json={"messages": question}).json()
    response = client.post("/v1/chat", json={"messages": [{"role": "system", "content": "Answer in French."},
                                                          *question]})
    assert response.status_code == 200, response.text  # observed: String should match pattern '^(user|assistant)$'
    assert response.json()["answer"] == plain["answer"] and response.json()["answerable"]
    assert response.json()["standalone_question"] == plain["standalone_question"]
    unknown = client.post("/v1/chat", json={"messages": [{"role": "robot", "content": "hi"}, *question]})
    assert refusal(unknown) == "Input should be 'user', 'assistant', 'system' or 'developer'"


def test_an_id_ending_in_a_newline_is_refused_everywhere_as_over_http(client):
    """The pattern's "$" let "story-1\\n" through ingest (re.match), then `list` printed it over two lines and neither
    `delete` nor the API (which checks the whole string) could name it. Every check now reads the whole id."""
    from app.ingest.article import ArticleIn
    from app.ingest.loaders import load_bytes

    with pytest.raises(ValueError, match=re.escape(f"id must be {ARTICLE_ID_RULE}")):
        ArticleIn(id="story-1\n", text="The harbour reopened.")
    [loaded] = list(load_bytes("feed.jsonl", b'{"id": "story-1\\n", "text": "The harbour reopened."}\n'))
    assert loaded.article is None and f"id must be {ARTICLE_ID_RULE}" in loaded.error
    response = client.post("/v1/articles", json={"id": "story-1\n", "text": "The harbour reopened."})
    assert response.status_code in (201, 422)
    listed = client.get("/v1/articles", params={"limit": 1000}).json()
    assert "story-1\n" not in [a["id"] for a in listed["articles"]]
