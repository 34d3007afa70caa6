"""Background word frequencies: what a small index borrows from news when it weighs a question's words."""

from __future__ import annotations

import numpy as np
import pytest

from app.config import Settings
from app.retrieval.background import BACKGROUND_FILE, BackgroundFrequencies, blended_doc_freq, load_background
from app.retrieval.features import question_terms
from app.store.lexical import term_key
from app.text import stem
from tests.conftest import SHARED

CORPUS = SHARED / "data" / "realtimeqa-dev" / "corpus.jsonl.gz"


def eight_chunk_index(words: list[str]) -> tuple[dict[str, int], int]:
    """The sample articles' counts for the Derna question: "derna" in one chunk of eight, the rest in none."""
    return {w: 1 for w in words if w == "derna"}, 8


def test_the_table_knows_common_news_words_from_rare_ones():
    rates = load_background().rates(["people", "died", "derna", "kim-putin", "qzxvwk"])
    assert rates["people"] > rates["died"] > rates["derna"] > 0
    assert rates["kim-putin"] == 0.0  # compounds count for nothing, as in the index's own counts
    assert rates["qzxvwk"] == 0.0


def test_the_blend_adds_weight_pseudo_chunks_at_the_background_rate():
    background = BackgroundFrequencies(np.array([term_key("died")], dtype=np.int64), np.array([50]), 100)
    counts, total = blended_doc_freq(eight_chunk_index, background, 10)(["died", "derna", "people"])
    assert total == 18
    assert counts == {"died": 5.0, "derna": 1.0, "people": 0.0}


def test_weight_zero_is_the_index_alone():
    assert blended_doc_freq(eight_chunk_index, load_background(), 0) is eight_chunk_index


def test_over_a_small_index_a_rare_name_outweighs_a_common_word_again():
    """Over eight chunks "died" (in none) weighed more than "Derna" (in one): the question's point was lost."""
    question = "How many people died in Derna?"
    alone = question_terms(question, eight_chunk_index).idf
    assert alone[stem("died")] > alone[stem("derna")]
    blended = question_terms(question, blended_doc_freq(eight_chunk_index, load_background(), 300)).idf
    assert blended[stem("derna")] > blended[stem("died")] > blended[stem("people")]


def test_a_large_index_outweighs_the_background():
    """233,000 chunks (the benchmark index): the largest weight measured (3,000) moves no word's IDF by more than 2 %."""
    weight = 3000
    words = ["died", "derna", "people", "qzxvwk"]
    rates = load_background().rates(words)

    def big(ws):  # counts in the proportions of news, at the benchmark index's size
        return {w: round(rates[w] * 233_000) for w in ws}, 233_000

    alone = question_terms("died derna people qzxvwk", big).idf
    blended = question_terms("died derna people qzxvwk", blended_doc_freq(big, load_background(), weight)).idf
    for key, value in alone.items():
        assert blended[key] == pytest.approx(value, rel=0.02)


@pytest.mark.parametrize("weight", [None, 300])
def test_the_service_weighs_question_words_by_the_index_alone_unless_a_weight_is_set(tmp_path, weight):
    from app.samples import index_samples
    from app.services import build_services

    settings = Settings(data_dir=tmp_path) if weight is None else Settings(data_dir=tmp_path, background_df_weight=weight)
    services = build_services(settings)
    try:
        index_samples(services.ingest)
        counts, total = services.retrieval.doc_freq(["died", "derna"])
        own, own_total = services.records.document_frequencies(["died", "derna"])
        if weight is None:  # the default: the index's own counts (docs/answers.md, *Small indexes*)
            assert (counts, total) == (own, own_total)
        else:
            assert own["died"] == 0 and counts["died"] > 0 and total == own_total + weight
    finally:
        services.close()


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/data/realtimeqa-dev is not beside the repository")
def test_the_training_script_reproduces_the_shipped_table():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_background_df",
                                                  BACKGROUND_FILE.parents[2] / "training" / "build_background_df.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build(CORPUS)
    with np.load(BACKGROUND_FILE) as shipped:
        assert set(shipped.files) == set(built)
        for name in built:
            assert np.array_equal(shipped[name], built[name]), name
