"""BM25Index._load_snapshot reads marks.json, then each .npy, by path; save_snapshot (another worker at start-up)
swaps the folder with two renames. A load that took the marks of one snapshot and the arrays of the next counted
the rows between them twice (arrays of S2 + postings since S1's seq): duplicated chunks in N, df and results, and
this process's next save_snapshot wrote the duplicates into the snapshot every later process maps. The load now
reads again when the folder changed under it."""
from __future__ import annotations

import json

import app.store.lexical as lexical
from app.store.models import StoredArticle, StoredChunk
from app.store.records import RecordStore


def _add(store, i, text):
    with store.transaction():
        article = StoredArticle(f"a{i}", "", "Wire", "", None, None, text, f"h{i}", "now")
        store.put_article(article, [StoredChunk(f"a{i}:0", f"a{i}", 0, 0, len(text), text)], "")


def test_a_load_beside_a_save_never_takes_a_chunk_twice(tmp_path, monkeypatch):
    monkeypatch.setattr(lexical, "SNAPSHOT_EVERY", 1)
    path = tmp_path / "records.sqlite"
    writer = RecordStore(path)
    for i in range(3):
        _add(writer, i, f"The walrus number {i} swam past the pier.")
    writer.lexical.warm()  # snapshot S1: seq 3
    for i in range(3, 6):
        _add(writer, i, f"The walrus number {i} swam past the pier.")
    writer.lexical.sync()

    real_loads, fired = json.loads, []

    def marks_then_another_worker_saves(text, *a, **k):
        out = real_loads(text, *a, **k)
        if not fired and isinstance(out, dict) and "tomb" in out:
            fired.append(True)
            writer.lexical.save_snapshot()  # S2: seq 6, swapped in while this load is under way
        return out

    monkeypatch.setattr(lexical.json, "loads", marks_then_another_worker_saves)
    reader = RecordStore(path)
    try:
        reader.lexical.sync()
        monkeypatch.setattr(lexical.json, "loads", real_loads)
        assert fired
        df, total = reader.document_frequencies(["walrus"])
        hits = [c for c, _ in reader.bm25_search("walrus", 20)]
        reader.lexical.save_snapshot()  # this worker's own later snapshot: what the next start maps
        later = RecordStore(path)
        try:
            later_total = later.document_frequencies(["walrus"])[1]
        finally:
            later.close()
        assert (df, total, len(hits), later_total) == ({"walrus": 6}, 6, 6, 6), (
            f"reader counts {df} of {total} chunks, {len(hits)} hits ({len(set(hits))} distinct); the next start "
            f"counts {later_total}; the record holds 6")
    finally:
        reader.close()
        writer.close()
