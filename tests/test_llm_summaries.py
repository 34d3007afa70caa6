"""LLM summaries by map-reduce against the fake OpenAI-compatible server."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from app.config import Settings
from app.ingest.article import ArticleIn
from app.offline import count_tokens
from app.services import build_services
from tests.conftest import SHARED, conflicting_toll_reports
from tests.fake_openai import FakeOpenAIServer

CORPUS = SHARED / "data" / "realtimeqa-dev" / "corpus.jsonl.gz"


def longest_articles(n: int = 2) -> list[dict]:
    if CORPUS.exists():
        best: list[tuple[int, dict]] = []
        with gzip.open(CORPUS, "rt") as handle:
            for i, line in enumerate(handle):
                if i >= 3000:  # a slice is enough to find articles far past the window
                    break
                record = json.loads(line)
                best = sorted([*best, (len(record["text"]), record)], key=lambda t: t[0], reverse=True)[:n]
        return [r for _, r in best]
    body = " ".join(f"Report {i}: the harbour council approved budget line {i} worth {i * 1000} euros." for i in range(900))
    return [{"doc_id": "synthetic-long", "title": "Harbour budget", "text": body, "publish_date": "2024-01-01"}]


def echo_model(body: dict) -> str:
    """A stand-in model: map calls quote the first sentence of their first passage; reduce calls keep
    their first three notes. Both keep citation numbers, like a faithful model would."""
    user = body["messages"][-1]["content"]
    if user.startswith("Notes:"):
        notes = [line[2:] for line in user.splitlines() if line.startswith("- ")]
        return " ".join(notes[:3])
    match = re.search(r'<passage id="(\d+)">\n(.+?)(?:(?<=[.!?])\s|\n)', user, re.S)
    number, text = match.group(1), match.group(2).strip()
    return f"{text} [{number}]. The council also bought a golden submarine [{number}]."


@pytest.fixture
def fake():
    with FakeOpenAIServer() as server:
        yield server.reply_with(echo_model)


def test_map_reduce_handles_articles_longer_than_the_window(tmp_path, fake):
    window, max_tokens = 1024, 200
    services = build_services(Settings(data_dir=tmp_path / "d", llm_base_url=fake.base_url, llm_model="fake",
                                       llm_context_window=window, llm_max_tokens=max_tokens))
    article = longest_articles(1)[0]
    services.ingest.ingest([ArticleIn.model_validate(article)])
    article_id = article["doc_id"]
    assert count_tokens(article["text"]) > window * 2
    summary = services.summaries.summarize_articles([article_id], max_words=80)
    assert summary.mode == "llm" and summary.usage["calls"] >= 3  # several maps, then a reduce
    for request in fake.requests:
        assert sum(count_tokens(m["content"]) for m in request["messages"]) <= window - max_tokens
    assert summary.sentences and all(s.citations for s in summary.sentences)
    assert "golden submarine" not in summary.summary and summary.guard["dropped"] >= 1
    assert sum(len(s.text.split()) for s in summary.sentences) <= 80
    text = services.records.get_article(article_id).text
    for c in summary.citations:
        assert text[c.char_start:c.char_end] == c.quote


def test_topic_summary_with_the_llm_keeps_conflict_notes(tmp_path, fake):
    services = build_services(Settings(data_dir=tmp_path / "d", llm_base_url=fake.base_url, llm_model="fake"))
    services.ingest.ingest(conflicting_toll_reports())
    summary = services.summaries.summarize_topic("Derna floods death toll", max_words=100)
    assert summary.mode == "llm" and summary.conflicts
    assert "Wire A reports" in summary.summary and "Wire B reports" in summary.summary


def test_an_llm_summary_with_conflict_notes_stays_within_max_words(tmp_path, fake):
    """The model was always allowed 10 words, whatever the notes left: 20 asked gave 28."""
    services = build_services(Settings(data_dir=tmp_path / "d", llm_base_url=fake.base_url, llm_model="fake"))
    wires = [a.model_copy(update={"source": f"{a.source} of the Tripoli Press"}) for a in conflicting_toll_reports()]
    services.ingest.ingest(wires)
    for max_words in (20, 24, 40):
        summary = services.summaries.summarize_articles([a.id for a in wires], max_words=max_words)
        assert sum(len(s.text.split()) for s in summary.sentences) <= max_words, (max_words, summary.summary)
        assert any(s.status != "conflict" for s in summary.sentences), summary.summary  # never notes alone
    services.close()
