"""NewsAPI sends its publisher as an object: {"source": {"id": "reuters", "name": "Reuters"}} (its publishedAt is
already read as an alias). Every record of a NewsAPI dump failed with "source: Input should be a valid string"."""

from __future__ import annotations

import json

from app.ingest.article import normalise
from app.ingest.loaders import load_bytes

NEWSAPI = {
    "status": "ok", "totalResults": 2,
    "articles": [
        {"source": {"id": "reuters", "name": "Reuters"}, "author": "Jane Doe", "title": "Ferry resumes after storm",
         "description": "The island ferry is back.", "url": "https://www.reuters.com/world/ferry-resumes",
         "urlToImage": None, "publishedAt": "2024-05-04T12:00:00Z",
         "content": "The island ferry resumed service on Saturday after a three-day suspension."},
        {"source": {"id": None, "name": "Island Times"}, "author": None, "title": "Bridge vote",
         "url": "https://islandtimes.example/bridge", "publishedAt": "2024-05-05T08:00:00Z",
         "content": "The council voted to build a new bridge across the harbour."},
    ],
}


def test_a_newsapi_response_loads_with_each_publisher_name_as_source():
    records = list(load_bytes("newsapi.json", json.dumps(NEWSAPI).encode()))
    assert [r.error for r in records] == [None, None]
    articles = [normalise(r.article) for r in records]
    assert [a.source for a in articles] == ["Reuters", "Island Times"]
    assert [a.published_at for a in articles] == ["2024-05-04T12:00:00+00:00", "2024-05-05T08:00:00+00:00"]


def test_a_newsapi_record_in_jsonl_loads_too():
    line = json.dumps(NEWSAPI["articles"][0]).encode()
    record = next(load_bytes("feed.jsonl", line))
    assert record.error is None and normalise(record.article).source == "Reuters"
