"""Findings of a new-user walk over the adapters (web page, OpenAI-compatible API, Slack): each failed before its fix.
The OpenAI refusal through a real client is in tests/test_openai_compat.py, the page in a browser in
tests/test_browser.py; the page's rendering code runs here in Node when it is installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.answer.models import REFUSAL, Answer, Citation
from app.answer.render import sources_block, web_url, with_reason, with_sources, without_sources
from app.slack.render import citation_blocks

RENDER_JS = Path(__file__).resolve().parent.parent / "app" / "web" / "static" / "render.js"

# The article's own footnotes "[3]" and "[2]" are part of the quoted sentences; Citewire numbers its citations too.
FOOTNOTED = {"id": "fn-1", "title": "Brindlemoor dam report", "source": "Wiki Mirror", "published_at": "2024-02-01",
             "text": "The Brindlemoor dam was completed in 1961 at a cost of 40 million pounds.[3] The Brindlemoor dam "
                     "holds 90 billion litres of water.[2] Engineers inspected the Brindlemoor dam in 2020 and found "
                     "minor cracks."}
FOOTNOTED_QUESTION = "When was the Brindlemoor dam completed and how much water does it hold?"


def _citation(**fields) -> Citation:
    base = {"n": 1, "article_id": "a", "chunk_id": "a:0:x", "title": "Title", "source": "TZ Times", "url": "",
            "published_at": "2024-03-02", "quote": "Quoted words.", "char_start": 0, "char_end": 13}
    return Citation(**(base | fields))


# ---- 1. the web page: only the markers Citewire added are citation chips ------------------------------------

@pytest.fixture(scope="module")
def footnoted_answer(tmp_path_factory):
    from app.config import Settings
    from app.main import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("footnotes") / "data", index_samples=True)
    with TestClient(create_app(settings)) as client:
        assert client.post("/v1/articles", json=[FOOTNOTED]).status_code in (200, 201)
        yield client.post("/v1/ask", json={"question": FOOTNOTED_QUESTION}).json()


def test_sentences_carry_citewires_numbers_apart_from_the_articles_footnotes(footnoted_answer):
    """The page renders from sentences[]: each sentence's text keeps the article's "[2]", its number is separate."""
    by_quote = {c["quote"]: c["n"] for c in footnoted_answer["citations"]}
    assert len(footnoted_answer["sentences"]) == 2, footnoted_answer["answer"]
    for sentence in footnoted_answer["sentences"]:
        assert sentence["text"].endswith(("[2]", "[3]"))  # the footnote stays in the quoted text
        assert sentence["citations"] == [by_quote[sentence["text"]]]  # the number of the passage it quotes
    # the answer string alone cannot tell the footnote "[2]" from citation [2]: both are there
    assert footnoted_answer["answer"].count("[2]") == 2


def _node(script: str) -> object:
    result = subprocess.run(["node", "--input-type=module", "-e",
                             f"import * as r from {json.dumps(RENDER_JS.as_uri())};" + script],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _pieces(function: str, *args) -> list:
    """The page's pieces (strings, and citations as {"chip": n}) from render.js run in Node."""
    call = f"r.{function}({', '.join(json.dumps(a) for a in args)})"
    return _node(f"process.stdout.write(JSON.stringify({call}.map((p) => typeof p === 'string' ? p : {{chip: p.n}})));")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_the_page_makes_chips_of_citewires_numbers_only(footnoted_answer):
    """Every /\\[(\\d+)\\]/ of the answer string was a chip: the article's footnote [2] opened the other passage."""
    pieces = _pieces("sentencePieces", footnoted_answer["sentences"], footnoted_answer["citations"])
    chips = [p["chip"] for p in pieces if isinstance(p, dict)]
    assert chips == [s["citations"][0] for s in footnoted_answer["sentences"]] == [1, 2]
    texts = [p for p in pieces if isinstance(p, str)]
    assert texts[0] == footnoted_answer["sentences"][0]["text"] + " "  # "…litres of water.[2] ": text, not a chip
    # the fallback for a response without sentences still reads the markers of the text
    assert [p["chip"] for p in _pieces("markedPieces", "A. [1] B. [2]", footnoted_answer["citations"])
            if isinstance(p, dict)] == [1, 2]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_a_conflict_note_chips_its_own_markers_not_a_value_that_looks_like_one():
    citations = [{"n": 1, "title": "A"}, {"n": 2, "title": "B"}]
    note = "Sources disagree: Wiki Mirror reports 40 [2] pounds [1]; Daily Post reports 50 [2]."
    sentence = {"text": note, "citations": [1, 2], "status": "conflict"}
    pieces = _pieces("sentencePieces", [sentence], citations)
    assert pieces == ["Sources disagree: Wiki Mirror reports 40 [2] pounds ", {"chip": 1}, "; Daily Post reports 50 ",
                      {"chip": 2}, "."]
    unsupported = {"text": "Kim gave Putin a horse.", "citations": [], "status": "unsupported"}
    assert _pieces("sentencePieces", [unsupported], citations, "[unsupported]") == ["Kim gave Putin a horse. [unsupported]"]


def test_the_page_renders_answers_and_summaries_from_their_sentences():
    """The page's callers pass sentences[]; the text-only reading is the fallback, not the way answers are shown."""
    static = RENDER_JS.parent
    assert "citedText(response.answer, response.sentences, response.citations" in (static / "chat.js").read_text()
    library = (static / "library.js").read_text()
    assert "citedText(result.summary, result.sentences, result.citations)" in library
    assert "conflictText(c, result.citations)" in library and "citedText(c.note" not in library


# ---- 2. an OpenAI-style refusal says why in its content ---------------------------------------------------------

def test_a_refusal_says_why_in_its_text_and_a_history_turn_drops_it_again():
    text = with_reason(REFUSAL, "the passages never mention biden")
    assert text == f"{REFUSAL}\n\nReason: the passages never mention biden."
    assert with_reason(REFUSAL, "no answer.").endswith("Reason: no answer.")  # one full stop
    assert with_reason(REFUSAL, None) == REFUSAL
    assert without_sources(text) == REFUSAL


# ---- 3 and 4. the Markdown Sources block: the day, escaped titles, http(s) URLs only ---------------------------

def test_sources_block_shows_the_day_as_the_web_page_does():
    block = sources_block([_citation(published_at="2024-03-02T04:30:00+00:00"), _citation(n=2, published_at=None)])
    assert "- [1] Title — TZ Times, 2024-03-02\n" in block and "T04:30" not in block
    assert "- [2] Title — TZ Times, undated\n" in block


def test_sources_block_neutralises_html_and_script_urls():
    block = sources_block([
        _citation(title="<script>alert(1)</script>", source="A&B <b>News</b>", url="javascript:alert(3)"),
        _citation(n=2, url="data:text/html,<script>alert(4)</script>"),
        _citation(n=3, url="https://example.com/a b<img src=x>"),
        _citation(n=4, url="HTTP://example.com/ok"),
    ])
    assert "<" not in block and ">" not in block and "javascript:" not in block and "data:" not in block
    assert "- [1] &lt;script&gt;alert(1)&lt;/script&gt; — A&amp;B &lt;b&gt;News&lt;/b&gt;, 2024-03-02\n" in block
    assert "— https://example.com/a%20b%3Cimg%20src=x%3E\n" in block
    assert "— HTTP://example.com/ok\n" in block
    assert web_url("  javascript:alert(1)") is None and web_url("ftp://example.com") is None
    answer = Answer(answer="Quoted words. [1]", answerable=True, citations=[_citation(title="<i>t</i>")])
    assert without_sources(with_sources(answer.answer, answer.citations)) == "Quoted words. [1]"


def test_sources_block_shows_markdown_link_and_image_syntax_in_a_title_as_text():
    """A review: a feed's title "![](https://tracker/p.png)" is an image a chat UI loads, "[log in](https://phish)" a
    live link, and a URL with a line break or ")" broke out of its line."""
    from app.answer.render import field_text

    block = sources_block([
        _citation(title="![](https://tracker.example/p.png) Storm hits", source="[log in](https://phish.example)",
                  url="https://example.com/a)\n- [9] forged"),
    ])
    assert "![](" not in block and "[log in](" not in block  # the brackets are escaped: \\[ … \\]
    assert "- [1] !\\[\\](https://tracker.example/p.png) Storm hits — \\[log in\\](https://phish.example)," in block
    assert "— https://example.com/a%29%0A-%20%5B9%5D%20forged\n" in block
    assert len([line for line in block.splitlines() if line.startswith("- [")]) == 1
    # a backslash cannot undo the escape ("\\[x\\](…)" rendered as a link), and whitespace is UTF-8 percent-encoded
    assert field_text("\\[log in\\](https://phish.example)") == "\\\\\\[log in\\\\\\](https://phish.example)"
    assert web_url("https://example.com/a\u00a0b c") == "https://example.com/a%C2%A0b%20c"


def test_slack_sources_show_the_day_and_the_same_url_rule():
    head = citation_blocks(_citation(published_at="2024-03-02T04:30:00+00:00", url="javascript:alert(3)",
                                     title="<!channel>"))[0]["text"]["text"]
    assert "TZ Times · 2024-03-02\n" in head and "T04:30" not in head
    assert "javascript:" not in head and "*&lt;!channel&gt;*" in head
    linked = citation_blocks(_citation(url="https://example.com/x|y"))[0]["text"]["text"]
    assert "<https://example.com/x%7Cy|Title>" in linked
