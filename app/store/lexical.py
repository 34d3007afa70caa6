"""BM25 over the article record, ranked in memory in milliseconds.

SQLite FTS5 (and PostgreSQL's ts_rank) score every row that matches any query term: an OR query
of five common words scores a third of a 233k-chunk corpus, ~220 ms (docs/performance.md). Here
each chunk's term counts are written to the record in the same transaction as the chunk (the
``chunk_terms`` table, keyed by an ever-growing ``seq``), and every process keeps an in-memory
inverted index of them in segments. Before a search it reads the rows added since its last look
(new segment) and the tombstones of deleted ones, so several processes or hosts sharing one record
stay in step without talking to each other. Scoring is vectorised numpy over the posting lists of
the query terms only.

Tokens follow FTS5's ``porter unicode61 remove_diacritics 2``: lower-cased, accents stripped,
split on anything not a letter or digit, stemmed with the original Porter algorithm; stopwords
are not indexed (queries never use them). Terms are stored as 64-bit hashes of their stems, so
no shared vocabulary table has to be coordinated between writers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import Stemmer

from app.text import QUESTION_WORDS, STOPWORDS, fold_accents, words

FORMAT = "2"  # bump when tokenisation changes: stores rebuild their postings on open
log = logging.getLogger(__name__)
SNAPSHOT_EVERY = 20_000  # chunks added since the last snapshot before a start-up writes a new one
_SNAPSHOT_ARRAYS = ("seqs", "rowids", "published", "dl", "terms", "indptr", "docs", "tfs")
K1 = 1.2  # FTS5's bm25() defaults: the quality measured in docs/retrieval.md was taken with these
B = 0.75
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# Words joined by hyphens or apostrophes ("covid-19", "biden's"): FTS5 matched them as phrases, so
# they are indexed as one compound term too (not counted in the length), and queried as such.
# Unlike an FTS5 phrase, "well-known" then does not match "well known" written with a space.
# A chain: a maximal run of words joined by single separators (a plain word is a chain of one), found in one pass
# with its words (chunk_terms). Possessive: a run never gives letters back, so the pattern is linear.
_CHAIN = re.compile(r"[^\W_]++(?:[-'’][^\W_]++)*", re.UNICODE)
_local = threading.local()
_key_cache: dict[str, int] = {}
_index_cache: dict[str, int] = {}  # as _key_cache, plus stopwords mapped to 0 (not indexed)
_KEY_CACHE_MAX = 500_000


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # PyStemmer objects are not thread-safe: one per thread
        stemmer = _local.stemmer = Stemmer.Stemmer("porter")
    return stemmer


def term_key(token: str) -> int:
    """The stored id of a (lower-cased) token: a signed 64-bit hash of its Porter stem."""
    key = _key_cache.get(token)
    if key is None:
        stem = _stemmer().stemWord(fold_accents(token))
        key = int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=8).digest(), "little", signed=True)
        if len(_key_cache) < _KEY_CACHE_MAX:
            _key_cache[token] = key
    return key


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def compound_key(parts: list[str]) -> int:
    """The term of a hyphen/apostrophe compound: its parts' stems, space-joined (no plain stem has a space)."""
    stems = " ".join(_stemmer().stemWord(fold_accents(p)) for p in parts)
    return int.from_bytes(hashlib.blake2b(stems.encode(), digest_size=8).digest(), "little", signed=True)


def word_key(word: str) -> int | None:
    """The term a query word (app.text.words) looks up: a plain term or a compound."""
    parts = tokens(word)
    if not parts:
        return None
    return term_key(parts[0]) if len(parts) == 1 else compound_key(parts)


def chunk_terms(text: str) -> tuple[int, bytes, bytes]:
    """(token count, term keys as int64 bytes, term counts as uint16 bytes) for one chunk body.

    One pass finds each chain of words joined by hyphens or apostrophes ("covid-19", a plain word being a chain
    of one): a chain with a separator is a compound and its words are tokens. The same terms and counts as
    the two-pattern version before it (plain tokens, then a separate compound search: about 8 % of an ingest
    worker's samples), in one regular-expression pass; tests/test_lexical_index.py checks them against the
    definitions."""
    chains = Counter(_CHAIN.findall(text.lower()))
    n_tokens = chains.total()
    compounds: dict[str, int] = {}
    if "-" in text or "'" in text or "’" in text:
        for chain in [c for c in chains if not c.isalnum()]:  # isalnum is exactly the pattern's [^\W_]
            n = compounds[chain] = chains.pop(chain)
            parts = _TOKEN.findall(chain)
            n_tokens += (len(parts) - 1) * n
            for part in parts:
                chains[part] += n
    cache = _index_cache
    if len(cache) > _KEY_CACHE_MAX:
        cache.clear()
    counts: dict[int, int] = {}
    for token, n in chains.items():
        key = cache.get(token)
        if key is None:
            key = 0 if token in STOPWORDS else term_key(token)  # 0: not indexed
            cache[token] = key
        if key:
            counts[key] = counts.get(key, 0) + n
    for compound, n in compounds.items():
        key = cache.get(compound)  # compounds hold '-' or an apostrophe: no clash with plain tokens
        if key is None:
            key = cache[compound] = compound_key(_TOKEN.findall(compound))
        counts[key] = counts.get(key, 0) + n
    keys = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    tfs = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    if n_tokens > 65535:  # a term count must fit the stored uint16
        tfs = tfs.clip(max=65535)
    tfs = tfs.astype(np.uint16)
    return n_tokens, keys.tobytes(), tfs.tobytes()


def query_keys(text: str) -> list[int]:
    """The distinct content terms of a query, as the FTS5 OR query had them: the words of
    ``app.text.words`` less stopwords and question words, compounds kept whole."""
    # Each word's chains, as the index found them: a word is one chain unless lower-casing split it ("İstanbul" ->
    # "i̇stanbul", whose dot is no letter), and the index, which lower-cases first, holds "i" + "stanbul".
    keys = [word_key(chain) for word in words(text) for chain in _CHAIN.findall(word)
            if chain not in STOPWORDS and chain not in QUESTION_WORDS]
    return list(dict.fromkeys(k for k in keys if k is not None))


@dataclass(slots=True)
class PostingRow:
    seq: int
    rowid: int
    published_ts: int
    dl: int
    keys: bytes
    tfs: bytes


class Segment:
    """An immutable inverted index over some chunks (only ``alive`` changes, on deletion)."""

    def __init__(self, rows: list[PostingRow]) -> None:
        self.seqs = np.fromiter((r.seq for r in rows), dtype=np.int64, count=len(rows))
        self.rowids = np.fromiter((r.rowid for r in rows), dtype=np.int64, count=len(rows))
        self.published = np.fromiter((r.published_ts for r in rows), dtype=np.int64, count=len(rows))
        self.dl = np.fromiter((r.dl for r in rows), dtype=np.float32, count=len(rows))
        self.alive = np.ones(len(rows), dtype=bool)
        key_parts = [np.frombuffer(r.keys, dtype=np.int64) for r in rows]
        tf_parts = [np.frombuffer(r.tfs, dtype=np.uint16) for r in rows]
        lengths = np.fromiter((len(k) for k in key_parts), dtype=np.int64, count=len(rows))
        keys = np.concatenate(key_parts) if key_parts else np.zeros(0, np.int64)
        tfs = np.concatenate(tf_parts) if tf_parts else np.zeros(0, np.uint16)
        docs = np.repeat(np.arange(len(rows), dtype=np.int32), lengths)
        self._set_postings(keys, docs, tfs)

    def _set_postings(self, keys: np.ndarray, docs: np.ndarray, tfs: np.ndarray) -> None:
        order = np.argsort(keys)  # one unstable sort: the order of docs within a term does not matter
        keys = keys[order]
        self.docs = docs[order]
        self.tfs = tfs[order]
        starts = np.flatnonzero(np.diff(keys)) + 1 if len(keys) else np.zeros(0, np.int64)
        starts = np.concatenate(([0], starts)) if len(keys) else starts
        self.terms = keys[starts]
        self.indptr = np.append(starts, len(keys)).astype(np.int64)

    @classmethod
    def merged(cls, parts: list[Segment]) -> Segment:
        """One segment holding the live chunks of ``parts`` (dead ones are dropped here)."""
        out = cls.__new__(cls)
        keep = [p.alive for p in parts]
        out.seqs = np.concatenate([p.seqs[k] for p, k in zip(parts, keep)])
        out.rowids = np.concatenate([p.rowids[k] for p, k in zip(parts, keep)])
        out.published = np.concatenate([p.published[k] for p, k in zip(parts, keep)])
        out.dl = np.concatenate([p.dl[k] for p, k in zip(parts, keep)])
        out.alive = np.ones(len(out.seqs), dtype=bool)
        keys, docs, tfs, base = [], [], [], 0
        for part, k in zip(parts, keep):
            new_index = np.cumsum(k) - 1 + base  # old doc -> new doc (valid where alive)
            counts = np.diff(part.indptr)
            part_keys = np.repeat(part.terms, counts)
            live = k[part.docs]
            keys.append(part_keys[live])
            docs.append(new_index[part.docs[live]].astype(np.int32))
            tfs.append(part.tfs[live])
            base += int(k.sum())
        # parts arrive in seq order, so seqs stay sorted: tombstones find their docs by bisection
        out._set_postings(np.concatenate(keys), np.concatenate(docs), np.concatenate(tfs))
        return out

    def __len__(self) -> int:
        return len(self.seqs)

    def postings(self, key: int) -> tuple[np.ndarray, np.ndarray]:
        i = np.searchsorted(self.terms, key)
        if i >= len(self.terms) or self.terms[i] != key:
            return _EMPTY_I32, _EMPTY_U16
        return self.docs[self.indptr[i]:self.indptr[i + 1]], self.tfs[self.indptr[i]:self.indptr[i + 1]]

    def kill(self, seqs: np.ndarray) -> int:
        at = np.searchsorted(self.seqs, seqs)
        at = at[at < len(self.seqs)]
        hit = at[np.isin(self.seqs[at], seqs)]
        self.alive[hit] = False
        self._kills = getattr(self, "_kills", 0) + 1  # after the change: a count taken meanwhile is not kept
        return len(hit)

    def live_stats(self) -> tuple[int, float]:
        """(live chunks, their total length), the same sums as before, kept until ``alive`` changes: every
        search and document-frequency look-up reads them, ~0.2 ms a call at 233k chunks (docs/performance.md)."""
        kills = getattr(self, "_kills", 0)
        cached = getattr(self, "_live", None)
        if cached is None or cached[0] is not self.alive or cached[1] != kills:
            cached = self._live = (self.alive, kills, int(self.alive.sum()), float(self.dl[self.alive].sum()))
        return cached[2], cached[3]


_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_U16 = np.zeros(0, dtype=np.uint16)


class PostingSource:
    """What the index reads from the record store it mirrors."""

    def postings_since(self, seq: int, limit: int) -> list[PostingRow]: ...
    def tombstones_since(self, seq: int) -> tuple[list[int], int]: ...
    def lexical_marks(self) -> tuple[int, int]: ...
    def lexical_identity(self) -> str: ...


class BM25Index:
    """In-memory BM25 (FTS5's formula) over segments mirrored from a record store."""

    MAX_SEGMENTS = 8
    PAGE = 64_000  # rows read per step: bounds the memory of a load; a full corpus is ~4 segments

    def __init__(self, source: PostingSource, snapshot_dir: Path | None = None) -> None:
        self._source = source
        self._segments: list[Segment] = []
        self._seq = 0
        self._tomb = 0
        self._lock = threading.Lock()
        self._snapshot_dir = snapshot_dir
        self.snapshot_seq: int | None = None  # the seq the loaded (or last saved) snapshot covers
        self._frequencies: dict[tuple, tuple[dict[str, int], int]] = {}  # recent document_frequencies answers

    def arrays(self) -> list[np.ndarray]:
        """Every array of every segment: memory-mapped ones after a snapshot load (the warm-up faults them in)."""
        with self._lock:
            return [a for segment in self._segments for a in vars(segment).values() if isinstance(a, np.ndarray)]

    def sync(self) -> None:
        """Catch up with writes committed since the last look (by this process or any other)."""
        seq, tomb = self._source.lexical_marks()
        if seq == self._seq and tomb == self._tomb:
            return
        with self._lock:
            if not self._segments and self._seq == 0:
                self._load_snapshot(seq)
            # tombstones first: every chunk they name was committed before them, so it is in the
            # postings read next (a tombstone read later waits for the next sync)
            dead, self._tomb = self._source.tombstones_since(self._tomb) if tomb != self._tomb else ([], self._tomb)
            while seq > self._seq:
                rows = self._source.postings_since(self._seq, self.PAGE)
                if not rows:
                    break
                self._segments.append(Segment(rows))
                self._seq = rows[-1].seq
            if dead:
                dead_seqs = np.sort(np.asarray(dead, dtype=np.int64))
                for segment in self._segments:
                    segment.kill(dead_seqs)
            if len(self._segments) > self.MAX_SEGMENTS:
                # keep the full pages; fold the run of small recent segments (and their dead docs) into one
                tail = len(self._segments)
                while tail > 0 and len(self._segments[tail - 1]) < self.PAGE // 2:
                    tail -= 1
                if len(self._segments) - tail > 1:
                    self._segments = self._segments[:tail] + [Segment.merged(self._segments[tail:])]
                if len(self._segments) > self.MAX_SEGMENTS:
                    self._segments = [Segment.merged(self._segments)]

    def warm(self) -> None:
        """Load the index now (a server calls this at start-up, in the background), and save a
        snapshot when the one on disk is missing or well behind, so the next start maps it."""
        try:
            self.sync()
            if self._snapshot_dir is not None and self._seq - (self.snapshot_seq or 0) >= SNAPSHOT_EVERY:
                self.save_snapshot()
        except Exception:  # the first search will try again and report
            log.warning("could not preload the lexical index", exc_info=True)

    # --- snapshots: the merged index as .npy files, memory-mapped on the next start ----------
    def _snapshot_path(self) -> Path | None:
        if self._snapshot_dir is None:
            return None
        return self._snapshot_dir / f"bm25-v{FORMAT}-{self._source.lexical_identity()}"

    def _load_snapshot(self, current_seq: int) -> None:
        path = self._snapshot_path()
        if path is None or not (path / "marks.json").exists():
            return
        for _ in range(3):  # another process swapping its snapshot in mid-read: read the new one whole
            try:
                folder = path.stat().st_ino
                marks = json.loads((path / "marks.json").read_text())
                if marks["seq"] > current_seq:  # the record is older than the snapshot: not ours
                    return
                segment = Segment.__new__(Segment)
                for name in _SNAPSHOT_ARRAYS:
                    setattr(segment, name, np.load(path / f"{name}.npy", mmap_mode="r"))
                segment.alive = np.ones(len(segment.seqs), dtype=bool)
                swapped = path.stat().st_ino != folder
            except (OSError, ValueError, KeyError):
                log.warning("ignoring an unreadable lexical snapshot at %s", path, exc_info=True)
                return
            if not swapped:  # marks and arrays of one snapshot: marks of one with the next's arrays count chunks twice
                self._segments, self._seq, self._tomb = [segment], int(marks["seq"]), int(marks["tomb"])
                self.snapshot_seq = self._seq
                return
        log.warning("the lexical snapshot at %s kept changing while it was read; rebuilding from the record", path)

    def save_snapshot(self) -> None:
        """Merge into one segment (dropping deleted chunks) and write it; best effort."""
        path = self._snapshot_path()
        if path is None:
            return
        with self._lock:
            if not self._segments:
                return
            merged = Segment.merged(self._segments)
            self._segments = [merged]
            marks = {"seq": self._seq, "tomb": self._tomb}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}-{threading.get_ident()}")
        old = path.with_name(f"{path.name}.old{os.getpid()}-{threading.get_ident()}")
        try:
            tmp.mkdir()
            for name in _SNAPSHOT_ARRAYS:
                np.save(tmp / f"{name}.npy", getattr(merged, name))
            (tmp / "marks.json").write_text(json.dumps(marks))
            if path.exists():
                path.rename(old)  # readers that mapped the old files keep them until they close
            tmp.rename(path)
            self.snapshot_seq = marks["seq"]
        except OSError:  # another process won the race: its snapshot is as good
            log.info("lexical snapshot not written", exc_info=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    def compact(self) -> None:
        with self._lock:
            if self._segments:
                self._segments = [Segment.merged(self._segments)]

    @property
    def segments(self) -> list[Segment]:
        return list(self._segments)

    def stats(self) -> tuple[int, float]:
        segments = self.segments
        live = [s.live_stats() for s in segments]
        n = sum(count for count, _ in live)
        total_dl = sum(length for _, length in live)
        return n, (total_dl / n if n else 0.0)

    def doc_freq(self, key: int, segments: list[Segment] | None = None) -> int:
        return sum(int(s.alive[s.postings(key)[0]].sum()) for s in (segments or self.segments))

    def search(self, query: str, limit: int, allow: Callable[[Segment], np.ndarray | None] | None = None
               ) -> list[tuple[int, float]]:
        """(posting seq, BM25 score) best first; ``allow`` gives a per-segment mask of eligible docs. The posting's
        seq, not the chunk's rowid, names the hit: SQLite gives a replaced article's new chunks the rowids its old
        ones had, so a replace committed after the ranking would map an old chunk's score onto a new chunk; a seq
        is never reused, and a deleted chunk's posting is gone with it."""
        keys = query_keys(query)
        if not keys or limit <= 0:
            return []
        self.sync()
        segments = self.segments
        n, avgdl = self.stats()
        if n == 0:
            return []
        idf = {}
        for key in keys:
            df = self.doc_freq(key, segments)
            if df:
                # FTS5: log((N - n + 0.5) / (n + 0.5)), floored at a tiny positive value
                idf[key] = max(float(np.log((n - df + 0.5) / (df + 0.5))), 1e-6)
        if not idf:
            return []
        found_rowids, found_seqs, found_scores = [], [], []
        for segment in segments:
            scores = np.zeros(len(segment), dtype=np.float32)
            norm = K1 * (1 - B + B * segment.dl / avgdl)
            touched = False
            for key, weight in idf.items():
                docs, tfs = segment.postings(key)
                if len(docs):
                    tf = tfs.astype(np.float32)
                    scores[docs] += weight * tf * (K1 + 1) / (tf + norm[docs])
                    touched = True
            if not touched:
                continue
            eligible = segment.alive & (scores > 0)
            mask = allow(segment) if allow else None
            if mask is not None:
                eligible &= mask
            candidates = np.flatnonzero(eligible)
            if len(candidates) > limit:
                top = np.argpartition(-scores[candidates], limit - 1)[:limit]
                candidates = candidates[top]
            found_rowids.append(segment.rowids[candidates])
            found_seqs.append(segment.seqs[candidates])
            found_scores.append(scores[candidates])
        if not found_rowids:
            return []
        rowids, seqs = np.concatenate(found_rowids), np.concatenate(found_seqs)
        scores = np.concatenate(found_scores)
        order = np.lexsort((rowids, -scores))[:limit]  # ties by rowid, as always
        return [(int(seqs[i]), float(scores[i])) for i in order]

    def document_frequencies(self, raw_words: Iterable[str]) -> tuple[dict[str, int], int]:
        """Chunks containing each word as one whole term (FTS5 vocabulary semantics), and the total."""
        self.sync()
        wanted = frozenset(raw_words)
        key = (wanted, self._seq, self._tomb)  # counts of live chunks: the same for any segmentation of a state
        known = self._frequencies.get(key)
        if known is not None:  # one ask looks the question's words up 2-3 times (ranker, selector, scorer)
            return dict(known[0]), known[1]
        settled = not self._lock.locked()  # a sync under way may have moved the marks before the segments
        segments = self.segments
        out = {}
        for word in wanted:
            parts = tokens(word)
            out[word] = self.doc_freq(term_key(parts[0]), segments) if len(parts) == 1 else 0
        total = self.stats()[0]
        if settled and not self._lock.locked() and key == (wanted, self._seq, self._tomb):
            if len(self._frequencies) >= 256:
                self._frequencies.clear()
            self._frequencies[key] = (dict(out), total)
        return out, total
