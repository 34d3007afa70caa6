"""`citewire check [--repair]` and the record's schema stamp with the record on a real PostgreSQL server
(CITEWIRE_LEXICAL_URL): the SQLite tests (test_check_command.py, test_record_schema.py) do not reach these paths."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.ingest.article import ArticleIn
from app.store.records import SCHEMA_VERSION
from tests import postgres_server

runner = CliRunner()


@pytest.fixture(scope="module")
def pg():
    yield from postgres_server.running()


@pytest.fixture
def pg_env(pg, tmp_path, monkeypatch):
    """A fresh database on the server, and the CLI's environment pointing at it."""
    url = postgres_server.new_database(pg)
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CITEWIRE_LEXICAL_URL", url)
    return url


def _sql(url: str, *statements: tuple[str, tuple]) -> list:
    import psycopg

    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        for sql, params in statements:
            cursor = conn.execute(sql, params)
            out.append(cursor.fetchall() if cursor.description else None)
    return out


def _article(i: int) -> ArticleIn:
    return ArticleIn(id=f"story-{i}", title=f"Harbour report {i}", source="Coast Herald", published_at="2024-05-02",
                     text=f"The harbour of town {i} reopened on Monday. Officials said {i} ships docked at dawn.")


def test_check_finds_damage_in_a_postgres_record_and_repair_mends_it(pg_env):
    from app.config import Settings
    from app.services import build_services

    services = build_services(Settings())
    try:
        assert services.ingest.ingest([_article(i) for i in range(4)], workers=0).counts["added"] == 4
        services.vectors.delete(services.records.chunk_ids_of("story-1"))  # a lost vector
    finally:
        services.close()
    # story-2's article row lost (its chunk, postings and vector left); story-3's chunk row lost (its postings and
    # vector left), as a partial restore of the database leaves them
    _sql(pg_env, ("DELETE FROM articles WHERE id = %s", ("story-2",)),
         ("DELETE FROM chunks WHERE article_id = %s", ("story-3",)))

    found = runner.invoke(cli, ["check"])
    assert found.exit_code == 1, found.output
    rows = {line[:40].strip(): line[40:].split() for line in found.stdout.splitlines()[1:]}
    assert rows["chunks without a vector"] == ["1", "(story-1)"], found.stdout
    assert rows["chunks whose article is missing"] == ["1", "(story-2)"], found.stdout
    assert rows["articles without a chunk"] == ["1", "(story-3)"], found.stdout
    assert rows["lexical postings without a chunk"][0] == "1", found.stdout
    assert found.stderr.strip() == "error: 5 mismatches between the stores: run `citewire check --repair`"
    fixed = runner.invoke(cli, ["check", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stdout.strip().endswith("consistent after the repair"), fixed.stdout
    again = runner.invoke(cli, ["check"])
    assert again.exit_code == 0 and "consistent: the record" in again.stdout, again.output
    # what was re-embedded and whose postings were recomputed is found again, by meaning and by words
    assert "(story-1 #0" in runner.invoke(cli, ["search", "harbour of town 1", "--mode", "dense", "--top-k", "1"]).stdout
    for mode in ("bm25", "dense"):  # story-3 re-chunked from its article: found again both ways
        assert "(story-3 #0" in runner.invoke(cli, ["search", "harbour of town 3 reopened", "--mode", mode,
                                                   "--top-k", "1"]).stdout
    [[(chunks,)]] = _sql(pg_env, ("SELECT count(*) FROM chunks WHERE article_id = %s", ("story-2",)))
    assert chunks == 0  # the chunk whose article was gone is deleted, not left to be cited


def test_a_postgres_record_is_stamped_and_a_newer_one_is_refused_with_one_line(pg_env):
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    [[(stamp,)]] = _sql(pg_env, ("SELECT value FROM lexical_meta WHERE key = 'schema'", ()))
    assert stamp == str(SCHEMA_VERSION)
    [[(terms,)]] = _sql(pg_env, ("UPDATE lexical_meta SET value = %s WHERE key = 'schema'", (str(SCHEMA_VERSION + 1),)),
                        ("SELECT count(*) FROM chunk_terms", ()))[1:]
    for command in (["list"], ["check"], ["ask", "What did Kim pledge?"], ["samples"]):
        result = runner.invoke(cli, command)
        assert result.exit_code == 1, (command, result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and f"has schema {SCHEMA_VERSION + 1}, written by a newer Citewire" in lines[0], lines
        assert "CITEWIRE_LEXICAL_URL" in lines[0], lines  # where the record is: the server, not the data dir
    [[(after,)]] = _sql(pg_env, ("SELECT count(*) FROM chunk_terms", ()))
    assert after == terms  # nothing rewrote the newer record's postings
