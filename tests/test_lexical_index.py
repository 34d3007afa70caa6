"""The in-memory BM25 index: FTS5's scores, deletions and edits seen, several stores in step."""

from __future__ import annotations

import random
import sqlite3

import numpy as np
import pytest

from app.ingest.article import ArticleIn
from app.store.lexical import BM25Index, chunk_terms, compound_key, query_keys, term_key, tokens
from app.store.models import Filters
from app.store.records import RecordStore
from app.text import STOPWORDS

TEXTS = [
    "The harbour wall collapsed after the storm; engineers inspected the harbour on Monday.",
    "Storm Ciarán brought record rainfall to the northern coast and closed three harbours.",
    "The council approved a budget of 40 million euros for the new tram line.",
    "Engineers said the tram line would open in 2026, two years later than planned.",
    "A café in Zürich won the national coffee prize for its espresso.",
    "Biden's COVID-19 plan: the well-known tram engineers' union backed it.",
    "Covid cases rose in 19 districts; Biden said the plan was well known.",
]


def _fts5_scores(texts: list[str], query: str) -> dict[int, float]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='porter unicode61 remove_diacritics 2')")
    conn.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", list(enumerate(texts, start=1)))
    terms = " OR ".join(f'"{w}"' for w in query.split())
    return {r: -s for r, s in conn.execute("SELECT rowid, bm25(t) FROM t WHERE t MATCH ?", (terms,))}


def _store_with(tmp_path, texts) -> RecordStore:
    from app.store.models import StoredArticle, StoredChunk

    store = RecordStore(tmp_path / "records.sqlite")
    with store.transaction():
        for i, text in enumerate(texts):
            article = StoredArticle(f"a{i}", "", "Wire", "", f"2024-01-0{i + 1}", 1704067200 + 86400 * i, text,
                                    f"h{i}", "now")
            store.put_article(article, [StoredChunk(f"a{i}:0", f"a{i}", 0, 0, len(text), text)], "")
    return store


@pytest.mark.parametrize("query", ["harbour storm", "tram engineers", "cafe zurich espresso", "harbours 2026",
                                   "covid-19 plan", "biden's union"])
def test_scores_match_sqlite_fts5_bm25(tmp_path, query):
    store = _store_with(tmp_path, TEXTS)
    ours = dict(store.bm25_search(query, 10))
    expected = _fts5_scores(TEXTS, query)
    assert {f"a{r - 1}:0" for r in expected} == set(ours)
    for rowid, score in expected.items():
        assert ours[f"a{rowid - 1}:0"] == pytest.approx(score, rel=1e-4)


def _compounds_by_definition(text: str) -> list[str]:
    """Maximal chains of two or more letter/digit runs, each joined to the next by one hyphen or apostrophe."""
    text = text.lower()
    runs, i = [], 0
    while i < len(text):
        if text[i].isalnum():
            j = i
            while j < len(text) and text[j].isalnum():
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    chains, chain = [], runs[:1]
    for prev, run in zip(runs, runs[1:]):
        if run[0] == prev[1] + 1 and text[prev[1]] in "-'’":
            chain.append(run)
        else:
            chains.append(chain)
            chain = [run]
    chains.append(chain)
    return [text[c[0][0]:c[-1][1]] for c in chains if len(c) > 1]


def _term_counts(text: str) -> dict[int, int]:
    _, keys, tfs = chunk_terms(text)
    return dict(zip(np.frombuffer(keys, dtype=np.int64).tolist(), np.frombuffer(tfs, dtype=np.uint16).tolist()))


@pytest.mark.parametrize("text", [
    "Biden's COVID-19 plan: the well-known engineers' union backed it.",
    "a--b -c- d'-e f-'g x'y'z rock’n’roll 1-2-3_4 foo_bar-baz __a-b é-à naïve-café ß-x",
    "state-of-the-art " * 3 + "Supercalifragilisticexpialidocious-antidisestablishmentarianism, twenty-one's",
    "a-b- c-d--e x-y' p-q'-r 'm-n ‘s-t’ u-v_w",
])
def test_compound_terms_are_the_hyphen_and_apostrophe_chains(text):
    counts: dict[int, int] = {}
    for word in _compounds_by_definition(text):
        key = compound_key(tokens(word))
        counts[key] = counts.get(key, 0) + 1
    plain = _term_counts(text.replace("-", " ").replace("'", " ").replace("’", " "))
    stored = _term_counts(text)
    assert {k: n for k, n in stored.items() if k not in plain} == counts
    assert {k: n for k, n in stored.items() if k in plain} == plain
    assert chunk_terms(text)[0] == len(tokens(text))  # the length counts plain tokens only


def _terms_by_definition(text: str) -> tuple[int, dict[int, int]]:
    """chunk_terms' (length, term counts) from the definitions: plain tokens (stopwords dropped) and chains."""
    counts: dict[int, int] = {}
    found = tokens(text)
    for token in found:
        if token not in STOPWORDS:
            counts[term_key(token)] = counts.get(term_key(token), 0) + 1
    for word in _compounds_by_definition(text):
        key = compound_key(tokens(word))
        counts[key] = counts.get(key, 0) + 1
    return len(found), counts


def test_chunk_terms_match_the_definitions_on_random_awkward_text():
    rng = random.Random(5)
    alphabet = ["a", "b", "Z", "é", "ß", "İ", "1", "_", "-", "'", "’", " ", "\n", "the", "s", "don", "x-y"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        length, counts = _terms_by_definition(text)
        assert (chunk_terms(text)[0], _term_counts(text)) == (length, counts), text


def test_stopwords_and_question_words_are_not_query_terms():
    assert query_keys("What did the council say about it?") == query_keys("council")
    dl, keys, _ = chunk_terms("The council and the mayor")
    assert dl == 5 and len(keys) // 8 == 2  # every token counts for length; only content terms are indexed


def test_date_and_source_filters_are_exact(tmp_path):
    store = _store_with(tmp_path, TEXTS)
    every = [cid for cid, _ in store.bm25_search("harbour storm tram", 10)]
    assert set(every) == {"a0:0", "a1:0", "a2:0", "a3:0", "a5:0"}
    early = store.bm25_search("harbour storm tram", 10, Filters(published_to_ts=1704067200 + 86400))
    assert {cid for cid, _ in early} == {"a0:0", "a1:0"}
    assert store.bm25_search("harbour", 10, Filters(sources=["Other"])) == []
    only = store.bm25_search("harbour storm tram", 10, Filters(article_ids=["a2"]))
    assert [cid for cid, _ in only] == ["a2:0"]


def test_a_second_store_on_the_same_file_sees_adds_edits_and_deletes(services, tmp_path):
    other = RecordStore(services.settings.records_path)  # another worker process, in effect
    try:
        assert other.bm25_search("flamingo", 5) == []
        services.ingest.ingest([ArticleIn(id="f1", title="Zoo", text="A flamingo escaped from the zoo.")])
        assert [cid.split(":")[0] for cid, _ in other.bm25_search("flamingo", 5)] == ["f1"]
        services.ingest.ingest([ArticleIn(id="f1", title="Zoo", text="A penguin escaped from the zoo.")])
        assert other.bm25_search("flamingo", 5) == []
        assert [cid.split(":")[0] for cid, _ in other.bm25_search("penguin", 5)] == ["f1"]
        services.ingest.delete("f1")
        assert other.bm25_search("penguin", 5) == []
    finally:
        other.close()


def test_segments_merge_without_losing_or_resurrecting_chunks(services, monkeypatch):
    monkeypatch.setattr(BM25Index, "MAX_SEGMENTS", 2)
    index = services.records.lexical
    for i in range(6):  # each ingest + search adds a segment; merges happen along the way
        services.ingest.ingest([ArticleIn(id=f"n{i}", title="Note", text=f"Walrus number {i} was counted.")])
        if i == 2:
            services.ingest.delete("n1")
        assert services.retrieval.search("walrus", top_k=10, mode="bm25")
    assert len(index.segments) <= 3
    found = {p.article_id for p in services.retrieval.search("walrus", top_k=10, mode="bm25")}
    assert found == {"n0", "n2", "n3", "n4", "n5"}
    index.compact()
    assert len(index.segments) == 1 and index.stats()[0] == 5


def test_document_frequencies_count_chunks_per_word(services):
    services.ingest.ingest([
        ArticleIn(id="d1", title="", text="Storms hit the coast."),
        ArticleIn(id="d2", title="", text="A storm is coming; the storm is strong."),
        ArticleIn(id="d3", title="", text="Calm seas today."),
    ])
    df, total = services.records.document_frequencies(["storm", "calm", "volcano", "well-known"])
    assert total == 3
    assert df == {"storm": 2, "calm": 1, "volcano": 0, "well-known": 0}


def test_legacy_fts5_record_is_backfilled(tmp_path):
    path = tmp_path / "records.sqlite"
    store = _store_with(tmp_path, TEXTS[:2])
    store.close()
    with sqlite3.connect(path) as conn:  # an index written before chunk_terms existed
        conn.execute("DELETE FROM chunk_terms")
        conn.execute("CREATE VIRTUAL TABLE chunks_fts USING fts5(body)")
    reopened = RecordStore(path)
    try:
        assert {cid for cid, _ in reopened.bm25_search("harbour storm", 5)} == {"a0:0", "a1:0"}
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name='chunks_fts'").fetchone()[0] == 0
        reopened.close()
        with sqlite3.connect(path) as conn:  # postings from another tokenisation are recomputed
            conn.execute("UPDATE lexical_meta SET value='0'")
            conn.execute("UPDATE chunk_terms SET keys=x''")
        reopened = RecordStore(path)
        assert {cid for cid, _ in reopened.bm25_search("harbour storm", 5)} == {"a0:0", "a1:0"}
    finally:
        reopened.close()


def test_snapshot_is_mapped_on_the_next_start_and_caught_up(tmp_path, monkeypatch):
    import app.store.lexical as lexical

    monkeypatch.setattr(lexical, "SNAPSHOT_EVERY", 1)
    store = _store_with(tmp_path, TEXTS)
    store.lexical.warm()  # loads, then writes the snapshot
    assert store.lexical.snapshot_seq == len(TEXTS)
    before = store.bm25_search("harbour storm tram", 10)
    with store.transaction():  # after the snapshot: one chunk deleted
        store.remove_article("a0")
    store.close()

    reopened = RecordStore(tmp_path / "records.sqlite")
    try:
        reopened.lexical.sync()
        assert reopened.lexical.snapshot_seq == len(TEXTS)  # mapped from disk, not rebuilt
        assert [c for c, _ in reopened.bm25_search("harbour storm tram", 10)] == [c for c, _ in before if c != "a0:0"]
    finally:
        reopened.close()

    (tmp_path / "records.sqlite").unlink()  # a new record under the same folder: the old snapshot is not its own
    fresh = _store_with(tmp_path, TEXTS[2:3])
    try:
        fresh.lexical.sync()
        assert fresh.lexical.snapshot_seq is None
        assert [c for c, _ in fresh.bm25_search("tram harbour", 10)] == ["a0:0"]
    finally:
        fresh.close()


@pytest.mark.parametrize("query", ["İstanbul", "İmamoğlu said", "mayor İmamoğlu"])
def test_a_word_that_lower_casing_splits_finds_its_own_spelling(tmp_path, query):
    """"İ" lower-cases to "i" plus a combining dot, which is no letter: the text is indexed as "i" + "stanbul". A
    query word lower-cased after it was found must be keyed the same way, or it matches nothing."""
    store = _store_with(tmp_path, ["Mayor Ekrem İmamoğlu of İstanbul spoke.", "The harbour storm.", "Ankara."])
    assert [cid for cid, _ in store.bm25_search(query, 10)] == ["a0:0"]
    assert set(query_keys(query)) <= set(_term_counts("Mayor Ekrem İmamoğlu of İstanbul spoke."))
