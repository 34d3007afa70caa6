"""Findings of a new-user walk over the adapters (OpenAI-compatible API, Slack): each failed before its fix.
The OpenAI refusal through a real client is in tests/test_openai_compat.py."""

from __future__ import annotations

from app.answer.models import REFUSAL, Answer, Citation
from app.answer.render import sources_block, web_url, with_reason, with_sources, without_sources
from app.slack.render import citation_blocks


def _citation(**fields) -> Citation:
    base = {"n": 1, "article_id": "a", "chunk_id": "a:0:x", "title": "Title", "source": "TZ Times", "url": "",
            "published_at": "2024-03-02", "quote": "Quoted words.", "char_start": 0, "char_end": 13}
    return Citation(**(base | fields))


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


def test_slack_sources_show_the_day_and_the_same_url_rule():
    head = citation_blocks(_citation(published_at="2024-03-02T04:30:00+00:00", url="javascript:alert(3)",
                                     title="<!channel>"))[0]["text"]["text"]
    assert "TZ Times · 2024-03-02\n" in head and "T04:30" not in head
    assert "javascript:" not in head and "*&lt;!channel&gt;*" in head
    linked = citation_blocks(_citation(url="https://example.com/x|y"))[0]["text"]["text"]
    assert "<https://example.com/x%7Cy|Title>" in linked
