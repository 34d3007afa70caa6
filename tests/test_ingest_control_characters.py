"""Control characters leave every stored field, not only the text. PostgreSQL's text columns refuse a NUL: one in a
record's source or url failed its whole batch there ("store write failed", a 503 as if the store were down) while
SQLite stored it."""
from __future__ import annotations

import pytest

from app.config import Settings
from app.ingest.article import ArticleIn, normalise
from app.services import build_services
from tests import postgres_server


def _records(field: str) -> list[ArticleIn]:
    good = [ArticleIn(id=f"good-{i}", title=f"Good {i}", text=f"Good article number {i} about harbours.")
            for i in range(3)]
    value = {"source": "Gaz\x00ette\x07", "url": "https://gazette.example/\x00a1"}[field]
    return [*good, ArticleIn(id="bad", title="Bad", text="A fine body about harbours.", **{field: value})]


def test_normalise_strips_control_characters_from_source_and_url():
    article = normalise(ArticleIn(id="a", text="Body.", source=" Gaz\x00ette ", url="https://g.example/\x00a1 "))
    assert (article.source, article.url) == ("Gazette", "https://g.example/a1")
    derived = normalise(ArticleIn(text="Body.", url="https://g.example/\x1fa1"))
    assert derived.source == "g.example" and derived.id == normalise(ArticleIn(text="Body.", url="https://g.example/a1")).id


def test_clean_fields_keep_their_content_hash():
    """Stored articles are compared by content hash on re-ingest: a field without control characters must hash as
    it did before this change, or every stored article would count as updated."""
    plain = normalise(ArticleIn(id="a", title="T", text="Body.", source="S", url=" https://g.example/a "))
    assert plain.content_hash == "21cb07d12a0fd6ab"  # what the code before gave
    assert normalise(ArticleIn(text="Body.", url=" https://g.example/a1 ")).id == "d73c182598fa6424"  # likewise


@pytest.mark.parametrize("field", ["source", "url"])
def test_sqlite_stores_the_field_without_them(services, field):
    report = services.ingest.ingest(_records(field))
    assert report.counts["added"] == 4, report.counts
    stored = services.records.get_article("bad")
    assert "\x00" not in stored.source + stored.url and "\x07" not in stored.source


@pytest.fixture(scope="module")
def pg():
    yield from postgres_server.running()


@pytest.mark.integration
@pytest.mark.parametrize("field", ["source", "url"])
def test_postgresql_stores_the_whole_batch(tmp_path, pg, field):
    built = build_services(Settings(data_dir=tmp_path / "d", lexical_url=postgres_server.new_database(pg)))
    try:
        report = built.ingest.ingest(_records(field))
        assert report.counts["added"] == 4, [(o.article_id, o.status, o.error) for o in report.outcomes]
        stored = built.records.get_article("bad")
        assert "\x00" not in stored.source + stored.url
    finally:
        built.close()
