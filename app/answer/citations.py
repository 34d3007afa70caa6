"""Turn (passage, character span) pairs into numbered citations whose quotes are verbatim."""

from __future__ import annotations

from app.answer.models import Citation
from app.retrieval.service import Passage


class CitationBook:
    """Numbers quotes in order of first use; the same quote cited twice keeps its number."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, int, int], Citation] = {}

    def cite(self, passage: Passage, start: int, end: int) -> int:
        """``start``/``end`` are offsets in the article; the quote is cut from the passage text."""
        key = (passage.article_id, start, end)
        if key not in self._by_key:
            local_start, local_end = start - passage.char_start, end - passage.char_start
            if local_start < 0 or local_end > len(passage.text) or local_start >= local_end:
                raise ValueError("quote span lies outside its passage")
            self._by_key[key] = Citation(
                n=len(self._by_key) + 1, article_id=passage.article_id, chunk_id=passage.chunk_id,
                title=passage.title, source=passage.source, url=passage.url, published_at=passage.published_at,
                quote=passage.text[local_start:local_end], char_start=start, char_end=end,
            )
        return self._by_key[key].n

    @property
    def citations(self) -> list[Citation]:
        return sorted(self._by_key.values(), key=lambda c: c.n)
