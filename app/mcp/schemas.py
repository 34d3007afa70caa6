"""What the MCP tools return: typed, so hosts get an output schema and structured content."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CitationItem(BaseModel):
    n: int = Field(description="The number used as [n] in the text.")
    article_id: str
    title: str
    source: str
    url: str
    published_at: str | None
    quote: str = Field(description="Verbatim article text at [char_start, char_end).")
    char_start: int
    char_end: int


class AskResult(BaseModel):
    text: str = Field(description="The answer with [n] markers and a 'Sources:' list: show this to the user.")
    answer: str
    answerable: bool = Field(description="False when the articles do not hold the answer (a refusal).")
    refusal_reason: str | None = None
    citations: list[CitationItem]
    mode: str = Field(description="extractive (no LLM) or llm.")
    fallback: dict | None = Field(default=None, description="{from: \"llm\", reason, tried} when the LLM failed "
                                  "or was cooling down and the extractive answerer answered instead (the text says "
                                  "so in its last line); null otherwise.")


class PassageItem(BaseModel):
    rank: int
    score: float
    article_id: str
    chunk_id: str
    title: str
    source: str
    url: str
    published_at: str | None
    text: str
    char_start: int
    char_end: int


class SearchResult(BaseModel):
    query: str
    results: list[PassageItem]


class SummaryResult(BaseModel):
    text: str = Field(description="The summary with [n] markers and a 'Sources:' list.")
    summary: str
    citations: list[CitationItem]
    article_ids: list[str]
    conflicts: list[str] = Field(description="Notes where sources disagree.")
    answerable: bool = Field(default=True, description="False for a refusal: no indexed article covers the topic, "
                             "or no sentence could be quoted whole within max_words.")
    refusal_reason: str | None = Field(default=None, description="Why the summary was refused.")
    truncated: list[str] = Field(default_factory=list, description="Article summaries: the articles too long to "
                                 "read whole, summarised from their first part.")
    fallback: dict | None = Field(default=None, description="{from: \"llm\", reason, tried} when the LLM failed "
                                  "or was cooling down and the extractive summariser summarised instead; null "
                                  "otherwise.")


class ArticleItem(BaseModel):
    id: str
    uri: str = Field(description="Read the full text as this MCP resource.")
    title: str
    source: str
    url: str
    published_at: str | None
    chunks: int


class ArticleList(BaseModel):
    total: int
    offset: int
    articles: list[ArticleItem]


class ArticleText(BaseModel):
    id: str
    title: str
    source: str
    url: str
    published_at: str | None
    text: str
