"""Find the passages that answer a question, as of a date.

News questions are time-bound: nothing published after ``as_of`` is eligible, and articles from
the weeks just before it get a recency boost (measured in docs/retrieval.md).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from app.config import Settings
from app.embed import Embedder
from app.retrieval.features import (
    ALL_PASSAGE_FEATURES,
    PASSAGE_EXTRA_FEATURES,
    PASSAGE_FEATURES,
    DocFreq,
    QuestionTerms,
    passage_extra_rows,
    passage_row,
    question_terms,
    with_article_features,
)
from app.retrieval.learned import BoostedModel
from app.store.models import Filters
from app.store.records import RecordStore
from app.store.vector import VectorStore

MODES = ("hybrid", "bm25", "dense")
RERANK_POOL = 50  # fused candidates the learned ranker rescores (answers sit in the top 50 for ~95 %: docs/answers.md)
EXCLUDE_POOL = 200  # candidates fetched when articles are excluded, so enough survive the exclusion


@dataclass(slots=True)
class Passage:
    chunk_id: str
    article_id: str
    chunk_index: int
    title: str
    source: str
    url: str
    published_at: str | None
    text: str
    char_start: int
    char_end: int
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None


def _unit_scaled(ranked: list[tuple[str, float]]) -> dict[str, float]:
    if not ranked:
        return {}
    values = [s for _, s in ranked]
    top, low = max(values), min(values)
    span = top - low
    if span <= 0:
        return {cid: 1.0 for cid, _ in ranked}
    return {cid: (s - low) / span for cid, s in ranked}


def article_of(chunk_id: str) -> str:
    """Chunk ids are ``article_id:index:hash``; article ids may hold colons themselves."""
    return chunk_id.rsplit(":", 2)[0]


def end_of_day_ts(day: date | datetime) -> int:
    if isinstance(day, datetime):
        moment = day if day.tzinfo else day.replace(tzinfo=timezone.utc)
        return math.floor(moment.timestamp())  # as ingest stores published_ts (int() rounds up before 1970)
    return int(datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc).timestamp())


def start_of_day_ts(day: date | datetime) -> int:
    """A lower bound: a date from its first second (UTC), a date and time from that instant (as end_of_day_ts)."""
    if isinstance(day, datetime):
        moment = day if day.tzinfo else day.replace(tzinfo=timezone.utc)
        return math.floor(moment.timestamp())  # as ingest stores published_ts (int() rounds up before 1970)
    return int(datetime.combine(day, time(), tzinfo=timezone.utc).timestamp())


def per_article_first(ranked: list, per_article: int, article=lambda passage: passage.article_id) -> list:
    """The ranked list (passages, or anything ``article`` names the article of) with at most ``per_article`` items
    of any one article ahead of the rest, which follow in their order: the top k then spans more articles."""
    first, rest, taken = [], [], Counter()
    for item in ranked:
        (first if taken[article(item)] < per_article else rest).append(item)
        taken[article(item)] += 1
    return first + rest


_BM25_REL, _TEXT_COV = PASSAGE_FEATURES.index("bm25_rel"), PASSAGE_FEATURES.index("text_cov")


def shares_a_word(row: list[float]) -> bool:
    """Whether a ranker row's passage shares a word with the question: a BM25 match, or a question term in its
    text or headline. The ranker never learned what to make of one that shares none (on the full index every
    pooled passage shares some), and over a few unrelated articles it put the newest of those first."""
    return row[_BM25_REL] > 0 or row[_TEXT_COV] > 0


class RetrievalService:
    def __init__(self, settings: Settings, records: RecordStore, vectors: VectorStore, embedder: Embedder,
                 ranker: BoostedModel | None = None, doc_freq: DocFreq | None = None) -> None:
        self.settings = settings
        self.records = records
        self._doc_freq = doc_freq
        self.vectors = vectors
        self.embedder = embedder
        self.ranker = ranker  # learned passage ranker (hybrid mode); None keeps the fused order
        # the ranker reads its columns by name; the slot/synonym/phrase columns cost time, so they are computed
        # only when it reads one of them (and always without a ranker: training reads every column)
        names = getattr(ranker, "features", None) or (PASSAGE_FEATURES if ranker is not None
                                                      else ALL_PASSAGE_FEATURES)
        self.ranker_columns = [ALL_PASSAGE_FEATURES.index(n) for n in names]
        self.extra_columns = bool(set(names) & set(PASSAGE_EXTRA_FEATURES))

    @property
    def doc_freq(self) -> DocFreq:
        """How question words are weighted: the index's own counts unless given (build_services blends news's in)."""
        return self._doc_freq or self.records.document_frequencies

    def search(
        self,
        query: str,
        top_k: int | None = None,
        filters: Filters | None = None,
        as_of: date | datetime | None = None,
        mode: str | None = None,
        exclude_articles: set[str] | None = None,
        per_article: int = 0,
    ) -> list[Passage]:
        """``exclude_articles`` hides whole articles (the benchmark's constructed unanswerables). ``per_article``:
        at most that many passages of one article ahead of other articles' (``per_article_first``; 0: off)."""
        top_k = top_k or self.settings.top_k
        mode = mode or self.settings.retrieval_mode
        as_of_ts = self.as_of_ts(as_of)
        pool = max(self.settings.candidates, top_k)
        bm25, dense = self.candidates(query, EXCLUDE_POOL if exclude_articles else pool, filters, as_of_ts, mode)
        if exclude_articles:
            bm25 = [c for c in bm25 if article_of(c[0]) not in exclude_articles][:pool]
            dense = [c for c in dense if article_of(c[0]) not in exclude_articles][:pool]
        if self.ranker is not None and mode == "hybrid":
            passages, rows = self.rerank_features(query, bm25, dense, as_of_ts)
            if not per_article:
                return self.rerank(passages, rows, top_k)
            return per_article_first(self.rerank(passages, rows, len(passages)), per_article)[:top_k]
        return self.rank(bm25, dense, mode, as_of_ts, top_k, per_article=per_article)

    def rerank_features(self, query: str, bm25, dense, as_of_ts: int, pool: int = RERANK_POOL,
                        terms: QuestionTerms | None = None) -> tuple[list[Passage], list[list[float]]]:
        """The fused top ``pool`` passages and their ranker features (training reads the same rows)."""
        fused = self._fuse(bm25, dense, "hybrid")
        ranked = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:pool]
        passages = self._materialise(ranked, pool, bm25, dense)
        terms = terms or question_terms(query, self.doc_freq)
        top_bm25 = max((s for _, s in bm25), default=0.0) or 1.0
        bm25_score = dict(bm25)
        dense_score = dict(dense)
        published = self.records.published_ts_of_chunks([p.chunk_id for p in passages])
        # Age relative to the newest candidate (not to as_of): asking today about last year's news ranks
        # as asking then did. With no dated candidate at all, every passage counts as fresh.
        dated = [ts for ts in published.values() if ts and ts <= as_of_ts]
        newest = max(dated) if dated else None
        rows = []
        for p in passages:
            ts = published.get(p.chunk_id)
            days = (newest - ts) / 86400 if ts and newest else (0.0 if newest is None else None)
            rows.append(passage_row(terms, p.text, p.title, p.chunk_index, bm25_score.get(p.chunk_id, 0.0) / top_bm25,
                                    p.bm25_rank, dense_score.get(p.chunk_id, 0.0), p.dense_rank, p.score, days))
        rows = with_article_features(rows, [p.article_id for p in passages])
        if self.extra_columns:
            extras = passage_extra_rows(terms, [(p.text, p.title, p.article_id) for p in passages])
            rows = [row + extra for row, extra in zip(rows, extras)]
        return passages, rows

    def rerank(self, passages: list[Passage], rows: list[list[float]], top_k: int) -> list[Passage]:
        if not passages:
            return []
        columns = self.ranker_columns
        scores = self.ranker.score(rows if columns == list(range(len(rows[0]))) else [[r[i] for i in columns] for r in rows])
        last = self.settings.rerank_matched_first  # passages sharing no word with the question go last
        order = sorted(range(len(passages)), key=lambda i: (last and not shares_a_word(rows[i]), -scores[i]))[:top_k]
        out = []
        for i in order:
            passages[i].score = round(float(scores[i]), 6)
            out.append(passages[i])
        return out

    @staticmethod
    def as_of_ts(as_of: date | datetime | None) -> int:
        return end_of_day_ts(as_of) if as_of is not None else int(datetime.now(timezone.utc).timestamp())

    def candidates(self, query: str, pool: int, filters: Filters | None, as_of_ts: int,
                   mode: str) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """Each retriever's best ``pool`` chunks, nothing published after ``as_of_ts``."""
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}; use one of {', '.join(MODES)}")
        # (an instant at the epoch, 0, is a bound like any other: filter(None, …) dropped it)
        upper = min(t for t in (filters.published_to_ts if filters else None, as_of_ts) if t is not None)
        if upper >= self.records.newest_published_ts():
            upper = None  # excludes nothing: spare the stores a filter
        scoped = Filters(
            sources=filters.sources if filters else None,
            article_ids=filters.article_ids if filters else None,
            published_from_ts=filters.published_from_ts if filters else None,
            published_to_ts=upper,
            undated=filters.undated_pass if filters else True,
        )
        bm25 = self.records.bm25_search(query, pool, scoped) if mode in ("hybrid", "bm25") else []
        dense = self.vectors.query(self.embedder.embed([query])[0], pool, scoped) if mode in ("hybrid", "dense") else []
        return bm25, dense

    def rank(self, bm25, dense, mode: str, as_of_ts: int, top_k: int, bm25_weight: float | None = None,
             fusion: str | None = None, recency_boost: float | None = None, per_article: int = 0) -> list[Passage]:
        fused = self._fuse(bm25, dense, mode, bm25_weight, fusion)
        fused = self._apply_recency(fused, as_of_ts, recency_boost)
        ranked = sorted(fused.items(), key=lambda item: item[1], reverse=True)
        if per_article:  # on (chunk id, score) pairs: only the top k become passages
            ranked = per_article_first(ranked, per_article, lambda item: article_of(item[0]))
        return self._materialise(ranked, top_k, bm25, dense)

    def _fuse(self, bm25: list[tuple[str, float]], dense: list[tuple[str, float]], mode: str,
              weight: float | None = None, fusion: str | None = None) -> dict[str, float]:
        if mode == "bm25":
            return {cid: score for cid, score in bm25}
        if mode == "dense":
            return {cid: score for cid, score in dense}
        w = self.settings.bm25_weight if weight is None else weight
        if (fusion or self.settings.fusion) == "convex":
            # Scores scaled to [0, 1] within each list keep the size of BM25's lead, which ranks drop.
            scores = {cid: w * s for cid, s in _unit_scaled(bm25).items()}
            for cid, s in _unit_scaled(dense).items():
                scores[cid] = scores.get(cid, 0.0) + (1 - w) * s
            return scores
        k = self.settings.rrf_k
        scores: dict[str, float] = {}
        for rank, (cid, _) in enumerate(bm25, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
        for rank, (cid, _) in enumerate(dense, start=1):
            scores[cid] = scores.get(cid, 0.0) + (1 - w) / (k + rank)
        return scores

    def _apply_recency(self, scores: dict[str, float], as_of_ts: int, boost: float | None = None) -> dict[str, float]:
        boost = self.settings.recency_boost if boost is None else boost
        if boost <= 1 or not scores:
            return scores
        window_start = as_of_ts - int(timedelta(days=self.settings.recency_days).total_seconds())
        published = self.records.published_ts_of_chunks(list(scores))
        out = {}
        for cid, score in scores.items():
            ts = published.get(cid)
            recent = ts is not None and window_start <= ts <= as_of_ts
            # Every mode scores higher-is-better and positive (BM25, cosine of neighbours, fused sums).
            out[cid] = score * boost if recent and score > 0 else score
        return out

    def _materialise(self, ranked, top_k, bm25, dense) -> list[Passage]:
        bm25_rank = {cid: i for i, (cid, _) in enumerate(bm25, start=1)}
        dense_rank = {cid: i for i, (cid, _) in enumerate(dense, start=1)}
        # Up to 2 × top_k chunks are read, in case some are orphans (vectors without a record, which drop out
        # here); the second half only when the first falls short (the learned path reads 50, not 100).
        chunks = self.records.chunks_by_id([cid for cid, _ in ranked[:top_k]])
        articles = self.records.article_heads_by_id(c.article_id for c in chunks.values())
        if sum(c.article_id in articles for c in chunks.values()) < top_k and len(ranked) > top_k:
            chunks |= self.records.chunks_by_id([cid for cid, _ in ranked[top_k: top_k * 2]])
            articles = self.records.article_heads_by_id(c.article_id for c in chunks.values())
        passages: list[Passage] = []
        for cid, score in ranked:
            chunk = chunks.get(cid)
            if chunk is None or chunk.article_id not in articles:
                continue
            article = articles[chunk.article_id]
            passages.append(Passage(
                chunk_id=cid, article_id=article.id, chunk_index=chunk.index, title=article.title,
                source=article.source, url=article.url, published_at=article.published_at, text=chunk.text,
                char_start=chunk.char_start, char_end=chunk.char_end, score=round(float(score), 6),
                bm25_rank=bm25_rank.get(cid), dense_rank=dense_rank.get(cid),
            ))
            if len(passages) >= top_k:
                break
        return passages
