"""Cited text for clients that show only text (OpenAI-style chat UIs, MCP hosts, Slack).

The answer keeps its ``[n]`` markers and gets a "Sources:" list at its end, so the citations
survive any client, even one that drops every field but ``content``; a refusal says why. Article
fields are text, not markup: titles and publishers are escaped (HTML and Markdown link syntax), only http(s)
URLs are shown, dates
are the day, as on the web page.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from app.answer.models import Citation

SOURCES_HEADING = "Sources:"
REFUSAL_REASON = "Reason:"
FALLBACK_NOTE = "without the LLM, from the articles' own sentences:"  # after "Answered" or "Summarised"


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities: an article's title is text, never markup (a Markdown renderer would run
    ``<script>``; Slack's mrkdwn reads ``<!channel>`` as a ping). One helper for every text-only adapter."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def field_text(text: str) -> str:
    """An article field (title, publisher) as one line of Markdown text: escaped (``escape``), on one line, and with
    the brackets of link and image syntax escaped, so a feed's title ``![](https://tracker/p.png)`` or
    ``[log in](https://phish)`` is shown, not loaded or linked (a review)."""
    text = escape(" ".join(text.split())).replace("\\", "\\\\")  # a backslash first: "\\[" must not undo the escape
    return text.replace("[", "\\[").replace("]", "\\]")


def web_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None: a ``javascript:`` or ``data:`` URL from a feed is not shown as a link.
    Characters that would end it or start markup in Markdown or Slack text (whitespace and line breaks, brackets)
    are percent-encoded."""
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    for char, code in (("<", "%3C"), (">", "%3E"), ('"', "%22"), ("(", "%28"), (")", "%29"), ("[", "%5B"),
                       ("]", "%5D")):
        url = url.replace(char, code)
    return "".join(quote(ch) if ch.isspace() else ch for ch in url)  # UTF-8 percent-encoding: NBSP is %C2%A0


def day(published_at: str | None) -> str:
    """The date (YYYY-MM-DD) of an ISO date or timestamp, as the web page shows it; "undated" without one."""
    return published_at[:10] if published_at else "undated"


def sources_block(citations: Sequence[Citation]) -> str:
    """One Markdown list item per citation: title, publisher, date, URL, then the verbatim quote."""
    lines = [SOURCES_HEADING]
    for c in citations:
        line = f"- [{c.n}] {field_text(c.title)} — {field_text(c.source)}, {day(c.published_at)}"
        url = web_url(c.url)
        lines.append(f"{line} — {url}" if url else line)
        lines.append(f"  “{' '.join(c.quote.split())}”")
    return "\n".join(lines)


def with_reason(text: str, reason: str | None) -> str:
    """A refusal's text with why, as the web page shows it: chat UIs show ``content`` and nothing else."""
    text = text.strip()
    return f"{text}\n\n{REFUSAL_REASON} {reason.rstrip('.')}." if reason else text


def fallback_note(fallback: dict | None, what: str = "Answered") -> str | None:
    """One line saying an answer (or summary: ``what="Summarised"``) was made without the LLM because it failed or
    was cooling down after a failure (CITEWIRE_LLM_OUTAGE_FALLBACK=extractive), else None. The same words on the CLI,
    in Slack and from the MCP tools; the reason names no URL or key."""
    if not fallback:
        return None
    reason = " ".join(str(fallback.get("reason") or "the LLM failed").split()).rstrip(".")
    return f"{what} {FALLBACK_NOTE} {reason}."


def with_note(text: str, note: str | None) -> str:
    """The text shown to the user with the fallback note (``fallback_note``) as its last line, in brackets."""
    return f"{text}\n\n({note})" if note else text


def with_sources(text: str, citations: Sequence[Citation]) -> str:
    """The text as is when nothing is cited (a refusal), else text + a blank line + the sources."""
    text = text.strip()
    return f"{text}\n\n{sources_block(citations)}" if citations else text


def without_sources(text: str) -> str:
    """Undo ``with_sources`` (and ``with_reason``, ``with_note``) on an earlier assistant turn, so a condensed history
    stays short and reads as /v1/chat's, whose turns carry the answer text alone."""
    head, _, _ = text.partition(f"\n\n{SOURCES_HEADING}\n")
    head, _, _ = head.partition(f"\n\n{REFUSAL_REASON} ")
    head, _, _ = head.partition(f"\n\n(Answered {FALLBACK_NOTE} ")
    return head.strip()
