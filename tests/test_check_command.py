"""`citewire check [--repair]` over a real embedded Chroma (PersistentClient) in a tmp dir: each store damaged on
purpose, as a crash, a failed delete or a partial restore leaves it, is found and counted (exit 1), `--repair` makes
them agree again from the record, and a second repair finds nothing to do."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.ingest.article import ArticleIn

runner = CliRunner()


def _article(i: int, words: str = "reopened on Monday") -> ArticleIn:
    return ArticleIn(id=f"story-{i}", title=f"Harbour report {i}", source="Coast Herald", published_at="2024-05-02",
                     text=f"The harbour of town {i} {words}. Officials said {i} ships docked at dawn.")


def _counts(output: str) -> dict[str, int]:
    out = {}
    for line in output.splitlines()[1:]:
        parts = line.split("  ")
        cells = [p.strip() for p in parts if p.strip()]
        if len(cells) >= 2 and cells[1].isdigit():
            out[cells[0]] = int(cells[1])
    return out


@pytest.fixture
def damaged(settings, monkeypatch):
    """Six articles, then one of each kind of damage."""
    from app.services import build_services

    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(settings.data_dir))
    services = build_services(settings)
    try:
        assert services.ingest.ingest([_article(i) for i in range(6)], workers=0).counts["added"] == 6
        # an update whose delete of the replaced vectors failed: a stale vector of story-0
        real_delete = services.vectors.delete
        services.vectors.delete = lambda ids: (_ for _ in ()).throw(ConnectionError("Chroma went away"))
        assert services.ingest.ingest([_article(0, "closed for repairs")], workers=0).counts["updated"] == 1
        services.vectors.delete = real_delete
        # a vector lost (a restored Chroma backup older than the record): story-1's chunk has none
        services.vectors.delete(services.records.chunk_ids_of("story-1"))
        stale_chunk_of_2 = services.records.chunk_ids_of("story-2")
    finally:
        services.close()
    with sqlite3.connect(settings.records_path) as db:
        # a record restored from before story-2 existed: its vector stays, the record lacks it
        rowids = [r[0] for r in db.execute("SELECT rowid FROM chunks WHERE article_id='story-2'")]
        db.execute("DELETE FROM chunk_terms WHERE chunk_rowid IN (%s)" % ",".join("?" * len(rowids)), rowids)
        db.execute("DELETE FROM chunks WHERE article_id='story-2'")
        db.execute("DELETE FROM articles WHERE id='story-2'")
        # story-3's article row lost, its chunk (and postings, vector) left
        db.execute("DELETE FROM articles WHERE id='story-3'")
        # story-4's chunk row lost: its postings and vector are left, the article has no chunk
        db.execute("DELETE FROM chunks WHERE article_id='story-4'")
    return settings, stale_chunk_of_2


def test_check_counts_each_mismatch_and_repair_makes_the_stores_agree(damaged):
    settings, _ = damaged
    found = runner.invoke(cli, ["check"])
    assert found.exit_code == 1, found.output
    assert found.exception is None or isinstance(found.exception, SystemExit), found.exception
    counts = _counts(found.stdout)
    assert counts == {"articles in the record": 4, "chunks in the record": 4, "lexical postings": 5,
                      "vectors in Chroma": 6,
                      "vectors of replaced chunks (stale)": 2,  # story-0's old chunk, story-4's lost chunk
                      "vectors of articles the record lacks": 1,  # story-2
                      "chunks without a vector": 1,  # story-1
                      "lexical postings without a chunk": 1,  # story-4's
                      "chunks without lexical postings": 0,
                      "chunks whose article is missing": 1,  # story-3's
                      "articles without a chunk": 1}, found.stdout  # story-4
    assert "(story-0, story-4)" in found.stdout and "(story-2)" in found.stdout and "(story-3)" in found.stdout
    assert found.stderr.strip() == "error: 7 mismatches between the stores: run `citewire check --repair`"

    fixed = runner.invoke(cli, ["check", "--repair"])
    assert fixed.exit_code == 0, fixed.output
    assert ("repaired: deleted 3 orphan vectors, re-embedded 1 missing, deleted 1 orphan posting, recomputed 0 "
            "missing, deleted 1 chunk without an article, re-chunked 1 article") in fixed.stdout, fixed.stdout
    assert fixed.stdout.strip().endswith("consistent after the repair")

    again = runner.invoke(cli, ["check"])
    assert again.exit_code == 0 and "consistent: the record" in again.stdout, again.output
    assert _counts(again.stdout)["vectors in Chroma"] == 4 == _counts(again.stdout)["chunks in the record"]
    idempotent = runner.invoke(cli, ["check", "--repair"])
    assert idempotent.exit_code == 0 and "consistent: the record" in idempotent.stdout, idempotent.output
    assert "repaired:" not in idempotent.stdout
    # what was re-chunked and re-embedded is found again, by words and by meaning
    for mode in ("bm25", "dense"):
        hit = runner.invoke(cli, ["search", "harbour of town 4 reopened", "--mode", mode, "--top-k", "1"])
        assert hit.exit_code == 0 and "(story-4 #0" in hit.stdout, hit.output
    assert "story-1 #0" in runner.invoke(cli, ["search", "harbour of town 1", "--mode", "dense",
                                               "--top-k", "1"]).stdout


def test_check_of_a_fresh_or_healthy_store_is_consistent(settings, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(settings.data_dir))
    assert runner.invoke(cli, ["samples"]).exit_code == 0
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0 and "consistent" in result.stdout, result.output
    assert _counts(result.stdout)["articles in the record"] == 8
