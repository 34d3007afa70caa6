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
    # Whether articles without a date pass; None: only when no date bound is given. A request's own bound
    # (published_from or published_to) leaves them out from either side: an undated article is not known to
    # lie inside it. as_of alone keeps them (retrieval folds it into published_to_ts with undated=True).
    # When they pass, they pass every bound: stored as 0, an as_of before 1970 must not drop them.
    undated: bool | None = None

    @property
    def undated_pass(self) -> bool:
        if self.undated is not None:
            return self.undated
        return self.published_from_ts is None and self.published_to_ts is None
