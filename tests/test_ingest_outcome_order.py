"""An ingest reports its outcomes in the order of its input (the HTTP ``results`` list, the CLI's lines), whatever
each record's fate: one that fails before chunking, one unchanged and one written sit where they came."""

from __future__ import annotations

import pytest

from app.ingest.article import ArticleIn
from app.ingest.loaders import LoadedRecord


def _article(key: str) -> ArticleIn:
    return ArticleIn(id=key, title=f"Story {key}", text=f"Story {key} says the ferry left at noon from pier {key}.")


@pytest.mark.parametrize("batch_articles", [256, 2])  # all in one batch, and across batches
def test_failed_unchanged_and_written_records_are_reported_where_they_came(services, batch_articles):
    services.ingest.ingest([_article("kept")], workers=0)
    inputs = [
        LoadedRecord("one.json", article=_article("new-1")),
        LoadedRecord("broken.json", error="not JSON"),  # fails before it is an article
        LoadedRecord("kept.json", article=_article("kept")),  # unchanged
        LoadedRecord("undated.json", article=_article("bad-date").model_copy(update={"published_at": "soon"})),
        LoadedRecord("two.json", article=_article("new-2")),
    ]
    seen = []
    report = services.ingest.ingest(inputs, batch_articles=batch_articles, workers=0, on_progress=seen.append)
    expected = ["one.json", "broken.json", "kept.json", "undated.json", "two.json"]
    assert [o.origin for o in report.outcomes] == expected
    assert [o.origin for o in seen] == expected
    assert [o.status for o in report.outcomes] == ["added", "failed", "unchanged", "failed", "added"]
