"""Answers and summaries as Slack messages: Block Kit within Slack's limits, plain text for refusals.

Slack rejects a message with more than 50 blocks or a section whose text exceeds 3,000
characters, so long text is split at sentence or word boundaries and the sources that do not
fit are counted in a closing note instead of being dropped silently. Every piece of text that
comes from an article, the model or the person asking is escaped before it is sent (a message's
``text`` too): ``<!channel>`` or ``<https://x|y>`` in it must stay text, not ping or link. The
limits apply to the text as sent, so text is escaped first and split after.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.answer.models import Answer, Citation
from app.answer.render import (  # escape: Slack mrkdwn treats &, < and > as control characters
    day,
    escape,
    fallback_note,
    web_url,
)
from app.dependency_errors import classify
from app.summarize.service import Summary

MAX_BLOCKS = 50  # Slack: blocks per message
MAX_SECTION_CHARS = 3000  # Slack: text of a section block
MAX_CONTEXT_CHARS = 2000  # kept below Slack's limit for context elements
MAX_FALLBACK_CHARS = 3900  # the notification / fallback `text`; Slack advises under 4,000
_SPLIT_AT = re.compile(r"(?<=[.!?…])\s+|\n+")


def _entity_safe(text: str, cut: int) -> int:
    """``cut`` moved back to before an ``&amp;``/``&lt;``/``&gt;`` it would split."""
    amp = text.rfind("&", max(0, cut - 4), cut)
    return amp if amp > 0 and ";" not in text[amp:cut] else cut


def split_text(text: str, limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Pieces of at most ``limit`` characters, cut after a sentence, else a space, else anywhere
    (but never inside an escaped entity)."""
    limit = max(limit, 1)
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max((m.end() for m in _SPLIT_AT.finditer(window) if m.end() <= limit), default=0)
        if cut < limit // 2:
            cut = window.rfind(" ") + 1 or _entity_safe(rest, limit)
        cut = cut or limit  # always make progress (a limit of 0 or 1 appended "" forever)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict:
    if len(text) > MAX_CONTEXT_CHARS:
        text = text[: _entity_safe(text, MAX_CONTEXT_CHARS)]
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


MAX_HEAD_FIELD_CHARS = 600  # a title or publisher in a source's head; a longer URL is not linked


def _short(text: str, limit: int = MAX_HEAD_FIELD_CHARS) -> str:
    """``text`` escaped and cut to ``limit`` characters as sent (never inside an entity)."""
    text = escape(text)
    return text if len(text) <= limit else text[: _entity_safe(text, limit - 1)] + "…"


def _link(url: str, label: str) -> str:
    label = _short(label.replace("|", "/")) or "link"
    safe_url = web_url(url)
    if safe_url is None or len(safe_url) > MAX_HEAD_FIELD_CHARS:
        return f"*{label}*"
    return f"*<{safe_url.replace('|', '%7C')}|{label}>*"


def citation_blocks(citation: Citation) -> list[dict]:
    """``[n] Title`` (linked), source and date, then the quoted span as a block quote."""
    head = f"*[{citation.n}]* {_link(citation.url, citation.title or citation.article_id)}\n" \
           f"{_short(citation.source or 'unknown source')} · {day(citation.published_at)}"
    quote = escape(" ".join(citation.quote.split()))
    pieces = split_text(quote, MAX_SECTION_CHARS - len(head) - 10)
    blocks = [_section(f"{head}\n>{pieces[0]}" if pieces else head)]
    blocks += [_section(f">{piece}") for piece in pieces[1:]]
    return blocks


def _with_sources(body: str, citations: Sequence[Citation], footer: str | None) -> list[dict]:
    blocks = [_section(piece) for piece in split_text(escape(body))] or [_section(" ")]
    tail = [_context(escape(footer))] if footer else []
    if citations:
        blocks += [{"type": "divider"}, _section("*Sources*")]
    room = MAX_BLOCKS - len(blocks) - len(tail) - 1  # one spare for the "not shown" note
    # an answer longer than ~140,000 characters; with sources, one block fewer: the "not shown" note needs it
    if len(blocks) + len(tail) > MAX_BLOCKS or (citations and room < 0):
        blocks = blocks[: MAX_BLOCKS - len(tail) - 1] + [_context("(answer shortened to fit one Slack message)")]
        return blocks + tail
    shown = 0
    for citation in citations:
        more = citation_blocks(citation)
        if len(more) > room:
            break
        blocks += more
        room -= len(more)
        shown += 1
    if shown < len(citations):
        blocks.append(_context(f"{len(citations) - shown} more source(s) not shown: Slack allows {MAX_BLOCKS} blocks."))
    return blocks + tail


def fallback_text(text: str) -> str:
    """The `text` Slack shows in notifications and to clients without Block Kit: escaped, then cut."""
    text = escape(text.strip()) or " "
    if len(text) <= MAX_FALLBACK_CHARS:
        return text
    return text[: _entity_safe(text, MAX_FALLBACK_CHARS - 1)] + "…"


def refusal_text(reason: str | None, fallback: str) -> str:
    if reason:
        return fallback_text(f"Sorry, I can't answer that from the articles I have: {reason}.")
    return fallback_text(f"Sorry, I can't answer that. {fallback}")


def answer_message(answer: Answer, asked_as: str | None = None) -> tuple[str, list[dict] | None]:
    """(text, blocks). A refusal is plain text saying why; an answer lists its numbered sources.

    ``asked_as`` is the standalone question a thread follow-up was rewritten into, shown so the
    reader can see how the bot understood it."""
    note = fallback_note(answer.fallback)  # the LLM was down: a short footer line says so
    if not answer.answerable:
        return _with_note(refusal_text(answer.refusal_reason, answer.answer), note), None
    footer = "\n".join(line for line in (f"Answered as: {asked_as}" if asked_as else None, note) if line) or None
    return fallback_text(answer.answer), _with_sources(answer.answer, answer.citations, footer)


def _with_note(text: str, note: str | None) -> str:
    """A plain-text reply (a refusal) with the fallback note as its last line."""
    return f"{text}\n{fallback_text(note)}" if note else text


def summary_message(summary: Summary, label: str) -> tuple[str, list[dict] | None]:
    if not summary.summary.strip() and (summary.guard or {}).get("dropped"):  # before a refusal: it says more
        return fallback_text(f"Sorry, I have no summary of {label}: none of the {summary.guard['dropped']} "
                             "sentence(s) the model wrote was supported by the articles, so the faithfulness "
                             "guard dropped them all."), None
    note = fallback_note(summary.fallback, "Summarised")
    if not summary.answerable and summary.refusal_reason:
        return _with_note(fallback_text(f"Sorry, I can't summarise {label} from the articles I have: "
                                        f"{summary.refusal_reason}."), note), None
    if not summary.sentences or not summary.summary.strip():
        return _with_note(fallback_text(f"Sorry, I found nothing to summarise for {label}."), note), None
    footer = f"Summary of {label}" + (f"\n{note}" if note else "")
    return fallback_text(summary.summary), _with_sources(summary.summary, summary.citations, footer)


def error_text(exc: BaseException) -> str:
    """A dependency that is down is said as the API says it ("the LLM endpoint is not reachable: …"); anything else
    is logged, and only its kind is shown."""
    failure = classify(exc)
    if failure is not None:
        return escape(f"Sorry, I can't answer right now ({failure.error}: {failure.detail}). Please try again "
                      "in a moment.")
    return f"Sorry, something went wrong while answering ({type(exc).__name__}). It has been logged; please try again."


USAGE = escape("Ask me about the news articles I have indexed: mention me with a question, DM me, or use "
               "`/citewire <question>`. `summarize <article id or topic>` summarises; reply in the thread to follow up.")
