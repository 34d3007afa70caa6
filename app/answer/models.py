"""What an answer is made of: sentences, each tied to numbered citations of verbatim quotes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Citation:
    n: int
    article_id: str
    chunk_id: str
    title: str
    source: str
    url: str
    published_at: str | None
    quote: str
    char_start: int
    char_end: int


@dataclass(slots=True)
class AnswerSentence:
    text: str
    citations: list[int]
    support: float | None = None
    status: str = "kept"  # kept | fixed | dropped | unsupported (marked)


@dataclass(slots=True)
class Answer:
    answer: str
    answerable: bool
    citations: list[Citation]
    sentences: list[AnswerSentence] = field(default_factory=list)
    mode: str = "extractive"
    refusal_reason: str | None = None
    guard: dict | None = None
    usage: dict | None = None
    fallback: dict | None = None  # {from: "llm", reason, tried}: the LLM failed or was cooling down (app/llm/status.py)


REFUSAL = "The indexed articles do not say, so I can't answer that without guessing."
