"""``citewire check [--repair]``: do the three stores of an article agree?

The record (articles and chunks, SQLite or PostgreSQL) is the truth. Beside it, in the same database, the lexical
index's postings (``chunk_terms``, one row per chunk); in Chroma, one vector per chunk. ``check`` counts where they
disagree:

- vectors without a chunk: of **replaced chunks** (their article is stored, with other chunks: an update whose
  stale-vector delete failed) or of **articles the record lacks** (a write killed before its commit, a delete
  whose vector delete failed, a restored record older than Chroma);
- chunks without a vector (dense search never finds them);
- postings without a chunk, chunks without postings (BM25 misses or ghosts);
- chunks whose article is missing, articles without a chunk (nothing can be quoted, or found).

``--repair`` makes them agree again, from what the record holds: orphan vectors deleted and missing ones
re-embedded (app/ingest/repair.py, in the writer turn), orphan postings deleted and missing ones recomputed, chunks
of a missing article deleted (with their vectors), articles without chunks chunked and embedded again from their
stored text. Running it again finds nothing: it is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ingest.article import NormalisedArticle
from app.ingest.pipeline import Prepared, split_and_index
from app.ingest.repair import PAGE, delete_orphans, find_missing, find_orphans, restore_missing
from app.store.models import StoredChunk
from app.text import counted

# (key, label) of each mismatch, in the order the table shows them
MISMATCHES = (
    ("stale_vectors", "vectors of replaced chunks (stale)"),
    ("orphan_vectors", "vectors of articles the record lacks"),
    ("missing_vectors", "chunks without a vector"),
    ("postings_without_chunk", "lexical postings without a chunk"),
    ("chunks_without_postings", "chunks without lexical postings"),
    ("chunks_without_article", "chunks whose article is missing"),
    ("articles_without_chunks", "articles without a chunk"),
)


@dataclass
class CheckReport:
    articles: int = 0
    chunks: int = 0
    postings: int = 0
    vectors: int = 0
    found: dict[str, list] = field(default_factory=dict)  # mismatch key -> the ids (or posting seqs) found
    articles_named: dict[str, set[str]] = field(default_factory=dict)  # mismatch key -> the articles concerned
    collection_missing: bool = False

    @property
    def mismatches(self) -> int:
        return sum(len(v) for v in self.found.values())

    def table(self) -> list[str]:
        rows = [("articles in the record", self.articles, ""), ("chunks in the record", self.chunks, ""),
                ("lexical postings", self.postings, ""), ("vectors in Chroma", self.vectors,
                                                           "(no collection)" if self.collection_missing else "")]
        for key, label in MISMATCHES:
            named = sorted(self.articles_named.get(key, ()))
            note = (f"({', '.join(named[:3])}{', …' if len(named) > 3 else ''})" if named else "")
            rows.append((label, len(self.found.get(key, ())), note))
        width = max(len(label) for label, _, _ in rows)
        return [f"{'what':<{width}}  {'count':>7}"] + [
            f"{label:<{width}}  {count:>7}{'  ' + note if note else ''}" for label, count, note in rows]


def check(records, vectors, page: int = PAGE) -> CheckReport:
    """Counts every mismatch between the record, its postings and Chroma; changes nothing."""
    report = CheckReport()
    report.articles, report.chunks = records.count()
    report.postings = records.postings_count()
    report.collection_missing = bool(getattr(vectors, "absent", False))
    report.vectors, orphans = find_orphans(records, vectors, page)
    owners = vectors.article_ids_of(orphans) if orphans else {}
    stored = set(records.articles_by_id(set(owners.values()))) if owners else set()
    report.found["stale_vectors"] = [i for i in orphans if owners.get(i) in stored]
    report.found["orphan_vectors"] = [i for i in orphans if owners.get(i) not in stored]
    report.articles_named["stale_vectors"] = {owners[i] for i in report.found["stale_vectors"]}
    report.articles_named["orphan_vectors"] = {owners.get(i) or "?" for i in report.found["orphan_vectors"]}
    _, missing = find_missing(records, vectors, page)
    report.found["missing_vectors"] = missing
    report.articles_named["missing_vectors"] = {c.article_id for c in records.chunks_by_id(missing).values()}
    gaps = records.record_gaps()
    report.found.update(gaps)
    for key in ("chunks_without_postings", "chunks_without_article"):
        report.articles_named[key] = {c.article_id for c in records.chunks_by_id(gaps[key]).values()}
    report.articles_named["articles_without_chunks"] = set(gaps["articles_without_chunks"])
    return report


@dataclass
class CheckRepairs:
    vectors_deleted: int = 0
    vectors_restored: int = 0
    postings_deleted: int = 0
    postings_added: int = 0
    chunks_deleted: int = 0
    articles_rechunked: int = 0
    skipped: int = 0  # rewritten or deleted by a writer meanwhile: left to it

    def line(self) -> str:
        return (f"repaired: deleted {counted(self.vectors_deleted, 'orphan vector')}, re-embedded "
                f"{self.vectors_restored} missing, deleted {counted(self.postings_deleted, 'orphan posting')}, "
                f"recomputed {self.postings_added} missing, deleted {counted(self.chunks_deleted, 'chunk')} without an "
                f"article, re-chunked {counted(self.articles_rechunked, 'article')}"
                + (f" ({self.skipped} rewritten or deleted meanwhile, left to their writer)" if self.skipped else ""))


def repair(ingest, report: CheckReport) -> CheckRepairs:
    """Fixes what ``check`` found, each change decided again inside the record's writer turn."""
    records, vectors, embedder = ingest.records, ingest.vectors, ingest.embedder
    done = CheckRepairs()
    # the record first: chunks of a missing article go (their vectors become orphans, deleted below)
    with records.writer_turn():
        with records.transaction():
            gaps = records.record_gaps()
            records.drop_chunks(gaps["chunks_without_article"])
            records.drop_postings(gaps["postings_without_chunk"])
            done.postings_added = records.add_missing_postings(gaps["chunks_without_postings"])
        done.chunks_deleted = len(gaps["chunks_without_article"])
        done.postings_deleted = len(gaps["postings_without_chunk"])
    for article_id in gaps["articles_without_chunks"]:
        done.articles_rechunked += _rechunk(ingest, article_id)
    orphans = report.found.get("stale_vectors", []) + report.found.get("orphan_vectors", [])
    _, now_orphans = find_orphans(records, vectors)  # the chunks just deleted left theirs
    done.vectors_deleted = delete_orphans(records, vectors, list(dict.fromkeys(orphans + now_orphans)))
    _, missing = find_missing(records, vectors)
    done.vectors_restored, done.skipped = restore_missing(records, vectors, embedder, missing)
    return done


def _rechunk(ingest, article_id: str) -> int:
    """An article the record holds without chunks, chunked, indexed and embedded again from its stored text, then
    written as an ingest writes (record and vectors in the writer turn). 1 when written, 0 when it changed or went
    meanwhile."""
    article = ingest.records.get_article(article_id)
    if article is None or article.n_chunks:
        return 0
    normalised = NormalisedArticle(id=article.id, title=article.title, text=article.text, source=article.source,
                                   url=article.url, published_at=article.published_at,
                                   published_ts=article.published_ts, content_hash=article.content_hash)
    [(chunks, terms)] = split_and_index([(article.id, article.title, article.text, article.content_hash)], ingest.chunker)
    stored = [StoredChunk(cid, article.id, i, start, end, text) for cid, i, start, end, text in chunks]
    prepared = Prepared("check --repair", normalised, "updated", stored, terms)
    embedded = ingest._embed_batch([prepared])
    if isinstance(embedded, Exception):
        raise embedded
    with ingest.records.writer_turn():
        now = ingest.records.get_article(article_id)
        if now is None or now.n_chunks or now.content_hash != article.content_hash:
            return 0
        error = ingest._write([prepared], embedded)
    if error is not None:
        raise error
    return 1
