"""Cited text for clients that show only text (OpenAI-style chat UIs, MCP hosts).

The answer keeps its ``[n]`` markers and gets a "Sources:" list at its end, so the citations
survive any client, even one that drops every field but ``content``.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.answer.models import Citation

SOURCES_HEADING = "Sources:"


def sources_block(citations: Sequence[Citation]) -> str:
    """One Markdown list item per citation: title, publisher, date, URL, then the verbatim quote."""
    lines = [SOURCES_HEADING]
    for c in citations:
        line = f"- [{c.n}] {c.title} — {c.source}, {c.published_at or 'undated'}"
        lines.append(f"{line} — {c.url}" if c.url else line)
        lines.append(f"  “{' '.join(c.quote.split())}”")
    return "\n".join(lines)


def with_sources(text: str, citations: Sequence[Citation]) -> str:
    """The text as is when nothing is cited (a refusal), else text + a blank line + the sources."""
    text = text.strip()
    return f"{text}\n\n{sources_block(citations)}" if citations else text


def without_sources(text: str) -> str:
    """Undo ``with_sources`` on an earlier assistant turn, so a condensed history stays short."""
    head, _, _ = text.partition(f"\n\n{SOURCES_HEADING}\n")
    return head.strip()
