"""Plain records shared by the stores and the layers above them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class StoredArticle:
    id: str
    title: str
    source: str
    url: str
    published_at: str | None
    published_ts: int | None
    text: str
    content_hash: str
    ingested_at: str
    n_chunks: int = 0


@dataclass(slots=True)
class ArticleHead:
    """What a search result shows of its article: no text, which a search never reads (issue 14: reading
    50 whole articles per learned search cost ~1 ms, docs/performance.md)."""

    id: str
    title: str
    source: str
    url: str
    published_at: str | None


@dataclass(slots=True)
class StoredChunk:
    id: str
    article_id: str
    index: int
    char_start: int
    char_end: int
    text: str


@dataclass(slots=True)
class Filters:
    """Search restrictions; timestamps are seconds since the epoch (UTC)."""

    sources: list[str] | None = None
    published_from_ts: int | None = None
    published_to_ts: int | None = None
    article_ids: list[str] | None = None
    # Whether articles without a date pass. A request's own date bound (published_from or published_to) leaves
    # them out from either side: an undated article is not known to lie inside it (stored as 0, it passed
    # published_to and failed published_from, while the web page hid it for both). as_of alone keeps them.
    undated: bool = True
