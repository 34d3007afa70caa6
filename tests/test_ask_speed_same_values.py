"""Speed-ups of the learned /v1/ask path (issue 8) must change no value: each is checked against the plain way."""

from __future__ import annotations

import numpy as np

from app.answer import scoring
from app.answer.scoring import QuestionScorer
from app.ingest.article import ArticleIn
from app.retrieval import features
from app.retrieval.service import RetrievalService
from app.store.lexical import Segment
from app.store.models import ArticleHead, StoredChunk
from app.text import stem, words

QUESTION = "How many harbour workers did Storm Ciarán injure in Brest on Monday?"
TITLES = ["Storm Ciarán hits Brest", "Storm Ciarán hits Brest", "Harbour closed", "Harbour closed"]
PASSAGES = ["Storm Ciarán hit Brest. Twelve harbour workers were injured. He said more were missing.",
            "Storm Ciarán hit Brest. Twelve harbour workers were injured. He said more were missing.",
            "The harbour stayed closed on Monday. Workers cleared debris.",
            "The harbour stayed closed on Monday. Workers cleared debris."]
SENTENCES = ["Twelve harbour workers were injured.", "He said more were missing.", "The harbour stayed closed on Monday.",
             "Workers cleared debris."]
PREVIOUS = ["Storm Ciarán hit Brest.", "Twelve harbour workers were injured.", "", "The harbour stayed closed on Monday."]


def test_scorer_computes_each_context_once_and_scores_as_one_sentence_at_a_time(services, monkeypatch):
    """A headline, a lead-in sentence and a (passage, headline) pair are credited once per call; every score
    equals the score of that sentence asked alone (where nothing can be shared)."""
    scorer = QuestionScorer(services.embedder, services.records.document_frequencies)
    calls = []
    plain = scoring._term_credits
    monkeypatch.setattr(scoring, "_term_credits", lambda *a: calls.append(a) or plain(*a))
    together = scorer.score(QUESTION, SENTENCES, TITLES, PREVIOUS, PASSAGES)
    assert len(calls) < 4 * len(SENTENCES)  # 16 without the memo
    alone = [scorer.score(QUESTION, [s], [t], [p], [c])[0] for s, t, p, c in zip(SENTENCES, TITLES, PREVIOUS, PASSAGES)]
    assert [(s.score, s.coverage, s.context_coverage, s.type_match) for s in together] == \
        [(s.score, s.coverage, s.context_coverage, s.type_match) for s in alone]
    assert together[1].coverage > 0  # the lead-in credit reached "He said more were missing."


def test_stem_table_gives_the_stems_and_stays_bounded(monkeypatch):
    table = features._StemTable()
    sample = words("Ciarán's storms flooded the harbours; engineers were inspecting well-known İstanbul quays")
    assert list(map(table.__getitem__, sample)) == [stem(w) for w in sample]
    monkeypatch.setattr(features._StemTable, "LIMIT", 3)
    table = features._StemTable()
    for w in sample:
        assert table[w] == stem(w)
    assert len(table) <= 3 and table["harbours"] == stem("harbours")


def test_segment_live_stats_follow_deletions():
    from app.store.lexical import PostingRow

    rows = [PostingRow(seq=i + 1, rowid=i + 1, published_ts=0, dl=float(3 + i),
                       keys=np.array([7, 8 + i], dtype=np.int64).tobytes(), tfs=np.array([1, 2], dtype=np.uint16).tobytes())
            for i in range(5)]
    segment = Segment(rows)

    def plain():
        return int(segment.alive.sum()), float(segment.dl[segment.alive].sum())

    assert segment.live_stats() == plain() == (5, 25.0)
    segment.kill(np.array([2, 4], dtype=np.int64))
    assert segment.live_stats() == plain() == (3, 15.0)
    segment.alive = np.ones(5, dtype=bool)  # a snapshot load replaces the array
    assert segment.live_stats() == plain() == (5, 25.0)


def test_document_frequencies_follow_ingest_and_delete(services):
    services.ingest.ingest([ArticleIn(id="d1", title="", text="Storms hit the coast."),
                            ArticleIn(id="d2", title="", text="Calm seas today.")])
    words_asked = ["storm", "calm"]
    assert services.records.document_frequencies(words_asked) == ({"storm": 1, "calm": 1}, 2)
    assert services.records.document_frequencies(words_asked) == ({"storm": 1, "calm": 1}, 2)  # remembered
    services.ingest.ingest([ArticleIn(id="d3", title="", text="Another storm is coming.")])
    assert services.records.document_frequencies(words_asked) == ({"storm": 2, "calm": 1}, 3)
    services.ingest.delete("d1")
    df, total = services.records.document_frequencies(words_asked)
    assert (df, total) == ({"storm": 1, "calm": 1}, 2)
    df["storm"] = 99  # callers get their own dict
    assert services.records.document_frequencies(words_asked)[0]["storm"] == 1


class _RecordsReadingOnly:
    """A stand-in record store that has only some chunks (the rest are orphans) and logs what is read."""

    def __init__(self, present: set[str]) -> None:
        self.present = present
        self.read: list[list[str]] = []

    def chunks_by_id(self, ids):
        self.read.append(list(ids))
        return {cid: StoredChunk(cid, f"art-{cid}", 0, 0, 4, cid) for cid in ids if cid in self.present}

    def article_heads_by_id(self, ids):
        return {a: ArticleHead(a, a.upper(), "Wire", "", None) for a in ids}


def _plain_materialise(ranked, top_k, present):
    """The earlier rule: read 2 × top_k chunks, keep the first top_k present, in rank order."""
    return [cid for cid, _ in ranked[: top_k * 2] if cid in present][:top_k]


def test_materialise_reads_the_second_half_only_for_orphans(services):
    ranked = [(f"c{i}", 1.0 - i / 100) for i in range(20)]
    for present in ({f"c{i}" for i in range(20)}, {f"c{i}" for i in range(20)} - {"c1", "c3"},
                    {"c0", "c7", "c12"}, set()):
        records = _RecordsReadingOnly(present)
        retrieval = RetrievalService(services.settings, records, None, None)
        got = retrieval._materialise(ranked, 5, ranked[:3], ranked[2:6])
        assert [p.chunk_id for p in got] == _plain_materialise(ranked, 5, present)
        assert [p.title for p in got] == [f"ART-{p.chunk_id.upper()}" for p in got]
        assert [p.bm25_rank for p in got] == [{"c0": 1, "c1": 2, "c2": 3}.get(p.chunk_id) for p in got]
        assert len(records.read) == (1 if len(present & {f"c{i}" for i in range(5)}) == 5 else 2)


def test_word_tuple_is_words_without_the_copy():
    from app.text import word_tuple

    for text in ("Putin's men-at-arms met Zürich’s mayor.", "", "ΟΔΟΣ Σ İstanbul"):
        assert word_tuple(text) == tuple(words(text))
        assert word_tuple(text) is word_tuple(text)  # the memoised tuple, not a copy


def test_text_senses_are_the_lexicon_unions():
    from app.lexicon import shared

    lexicon = shared()
    wide = {"pledg", "promis", "factori", "plant", "walrus", "xyzzy", "go", "went"}
    own, near = features._text_senses(wide)
    assert own == frozenset().union(*(lexicon.synsets(t) for t in wide))
    assert near == frozenset().union(*(lexicon.near(t) for t in wide))
