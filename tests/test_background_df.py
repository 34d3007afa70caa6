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
    """233,000 chunks (the benchmark index): the largest weight read on 2024 (3,000) moves no word's IDF by more than
    2 %."""
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


def test_a_word_no_indexed_chunk_holds_still_counts_for_nothing_with_the_blend():
    """question_units (the missing-terms inputs) weigh out a word no chunk can mention: a blended count is small but
    not 0 for a word news knows, so "held" is the index's own count."""
    from app.answer.selection import question_units
    from app.retrieval.features import question_terms

    blended = blended_doc_freq(eight_chunk_index, load_background(), 300)
    units = question_units(question_terms("How many people died in Derna?", blended), blended)
    assert units[stem("derna")] > 0
    assert units[stem("died")] == 0.0 and units[stem("people")] == 0.0  # in none of the eight chunks


def test_a_damaged_table_with_the_weight_set_is_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app import retrieval
    from app.cli import cli

    damaged = tmp_path / "background_df.npz"
    damaged.write_bytes(b"PK\x03\x04 not a zip")
    monkeypatch.setattr(retrieval.background, "BACKGROUND_FILE", damaged)
    load_background.cache_clear()
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CITEWIRE_BACKGROUND_DF_WEIGHT", "300")
    import socket

    with socket.socket() as probe:  # a port serve's own check finds free, so the table's check is what fails
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    try:
        for command in (["ask", "What did Kim pledge?"], ["serve", "--port", port]):
            result = CliRunner().invoke(cli, command)
            assert result.exit_code == 1, (command, result.output, result.exception)
            assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and "CITEWIRE_BACKGROUND_DF_WEIGHT is set but" in lines[0], lines
            assert str(damaged) in lines[0]
    finally:
        load_background.cache_clear()
