"""``citewire repair``: make Chroma hold exactly the vectors of the chunks the record holds.

Two ways they drift apart, neither of which a read notices:

- **Orphan vectors**: a vector whose chunk the record does not hold. A write killed between its Chroma
  upsert and its record commit (SIGKILL, a lost host) leaves its vectors behind, and so does a vector
  delete that failed after its commit (Chroma down). Reads drop them, but they still take places in
  Chroma's top-k, so dense search sees fewer real chunks.
- **Missing vectors**: a chunk the record holds without a vector (a store written before the writer turn
  existed, app/store/write_lock.py; a restored backup of one store but not the other). Dense search can
  never find it, and re-posting the article says "unchanged".

Listing is done outside the writer turn (readers never take it); every change is decided again, and made,
inside it, a page at a time, so a repair running beside servers that ingest and delete never undoes their
writes: an id that looked orphaned because its write was in flight is known by the time the turn is ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from app.embed import Embedder
from app.ingest.pipeline import embedding_text
from app.ingest.service import WriterTurnLost, vector_metadata
from app.store.records import RecordStore
from app.store.vector import VectorStore

PAGE = 5000  # ids listed (and then checked) per request to Chroma and the record
EMBED_PAGE = 512  # missing chunks re-embedded per turn


@dataclass
class RepairReport:
    vectors: int = 0  # vectors listed in Chroma
    chunks: int = 0  # chunks the record holds
    orphans: int = 0  # vectors without a chunk: deleted (or, dry run, found)
    missing: int = 0  # chunks without a vector: re-embedded and upserted (or, dry run, found)
    skipped: int = 0  # missing when listed, but rewritten or deleted by a writer before the repair's turn


def find_orphans(records: RecordStore, vectors: VectorStore, page: int = PAGE) -> tuple[int, list[str]]:
    """(vectors listed, ids of those whose chunk the record does not hold). Outside the turn: a write in
    flight may show up here; ``delete_orphans`` asks again in the turn. Ids written meanwhile can shift
    Chroma's offsets, so a sweep beside busy writers may miss an orphan: the next one finds it."""
    seen, orphans = 0, []
    for ids in vectors.id_pages(page):
        seen += len(ids)
        known = records.known_chunk_ids(ids)
        orphans.extend(i for i in ids if i not in known)
    return seen, orphans


def delete_orphans(records: RecordStore, vectors: VectorStore, candidates: list[str], page: int = PAGE) -> int:
    """Deletes those of ``candidates`` the record still does not hold, in the writer turn; returns how many."""
    deleted = 0
    for start in range(0, len(candidates), page):
        part = candidates[start : start + page]
        with records.writer_turn():
            known = records.known_chunk_ids(part)
            gone = [i for i in part if i not in known]
            if not records.writer_turn_held():  # an unknown id may be another writer's, not yet committed
                raise WriterTurnLost("lost the writer turn; nothing more was deleted")
            vectors.delete(gone)
        deleted += len(gone)
    return deleted


def sweep_orphans(records: RecordStore, vectors: VectorStore, page: int = PAGE) -> tuple[int, int]:
    """(vectors listed, orphans deleted)."""
    seen, candidates = find_orphans(records, vectors, page)
    return seen, delete_orphans(records, vectors, candidates, page)


def missing_pages(records: RecordStore, vectors: VectorStore, page: int = PAGE) -> Iterator[tuple[int, list[str]]]:
    """Page by page of the record's chunks: (chunks in the page, ids of those without a vector in Chroma)."""
    after = 0
    while rows := records.chunk_ids_after(after, page):
        after = rows[-1][0]
        ids = [chunk_id for _, chunk_id in rows]
        present = vectors.present(ids)
        yield len(ids), [i for i in ids if i not in present]


def find_missing(records: RecordStore, vectors: VectorStore, page: int = PAGE) -> tuple[int, list[str]]:
    """(chunks the record holds, ids of those without a vector in Chroma)."""
    seen, missing = 0, []
    for count, part in missing_pages(records, vectors, page):
        seen += count
        missing.extend(part)
    return seen, missing


def restore_missing(records: RecordStore, vectors: VectorStore, embedder: Embedder, missing: list[str],
                    page: int = EMBED_PAGE) -> tuple[int, int]:
    """Re-embeds the chunks of ``missing`` (outside the turn: seconds of CPU) and upserts their vectors in the
    turn, for those the record still holds as they were embedded. Returns (restored, skipped)."""
    restored = skipped = 0
    for start in range(0, len(missing), page):
        rows = records.chunks_for_vectors(missing[start : start + page])
        skipped += min(page, len(missing) - start) - len(rows)  # deleted since they were listed
        if not rows:
            continue
        embedded = embedder.embed([embedding_text(head.title, chunk.text) for chunk, head, _ in rows])
        with records.writer_turn():
            now = {chunk.id: (chunk, head, ts) for chunk, head, ts in records.chunks_for_vectors([c.id for c, _, _ in rows])}
            keep = [i for i, row in enumerate(rows) if now.get(row[0].id) == row]  # same chunk, title, source, date
            if keep and not records.writer_turn_held():
                raise WriterTurnLost("lost the writer turn; nothing more was restored")
            if keep:
                vectors.upsert([rows[i][0].id for i in keep], np.asarray(embedded)[keep],
                               [vector_metadata(rows[i][0], rows[i][1].source, rows[i][2])
                                for i in keep])
        restored += len(keep)
        skipped += len(rows) - len(keep)
    return restored, skipped


def repair(records: RecordStore, vectors: VectorStore, embedder: Embedder, dry_run: bool = False,
           page: int = PAGE) -> RepairReport:
    """Deletes orphan vectors, then restores missing ones; with ``dry_run`` only counts them."""
    report = RepairReport()
    report.vectors, orphans = find_orphans(records, vectors, page)
    report.orphans = len(orphans) if dry_run else delete_orphans(records, vectors, orphans, page)
    # A page at a time, never the whole list: a Chroma lost or restored from an old backup leaves every chunk
    # missing, and millions of ids held at once cost gigabytes. Restoring only writes Chroma, so the record's
    # rowid paging is undisturbed.
    for count, part in missing_pages(records, vectors, page):
        report.chunks += count
        if dry_run:
            report.missing += len(part)
        else:
            restored, skipped = restore_missing(records, vectors, embedder, part)
            report.missing += restored
            report.skipped += skipped
    return report
