"""The refusal threshold follows the index's size (app/models/answerability_by_size.json, training/fit_size_thresholds.py):
over a few articles the answerability inputs run lower than over the full index the model was fitted on."""

from __future__ import annotations

import json

import pytest

from app.answer.selection import LearnedAnswerer, SentenceSelector
from app.retrieval.learned import (
    MODELS_DIR,
    SIZE_THRESHOLDS,
    AnswerModels,
    ModelFileError,
    SizeThresholds,
    load_models,
)
from tests.conftest import REPO

FULL_INDEX_CHUNKS = 233_307


@pytest.fixture(scope="module")
def models() -> AnswerModels:
    loaded = load_models()
    assert loaded is not None and loaded.size_thresholds is not None
    return loaded


def test_between_anchors_the_threshold_is_interpolated_in_log_size_and_clamped_outside():
    sizes = SizeThresholds([(100, 0.30), (10_000, 0.40)])
    assert sizes.at(1) == sizes.at(100) == 0.30
    assert sizes.at(10_000) == sizes.at(10**7) == 0.40
    assert sizes.at(1_000) == pytest.approx(0.35)  # halfway in log(chunks), not in chunks
    assert sizes.at(200) < sizes.at(400) < sizes.at(5_000)


def test_the_full_index_keeps_the_shipped_threshold_and_no_size_gets_a_higher_one(models):
    assert models.threshold(None) == models.answerability.threshold
    assert models.threshold(FULL_INDEX_CHUNKS) == models.answerability.threshold
    assert models.threshold(10 * FULL_INDEX_CHUNKS) == models.answerability.threshold
    anchors = models.size_thresholds.anchors
    assert [c for c, _ in anchors] == sorted(c for c, _ in anchors)
    assert [t for _, t in anchors] == sorted(t for _, t in anchors)
    assert anchors[-1] == (FULL_INDEX_CHUNKS, models.answerability.threshold)
    assert all(models.threshold(c) <= models.answerability.threshold for c in (1, 50, 500, 5_000, 50_000))


def test_the_answerer_reads_the_size_of_its_own_index(models):
    def sized(chunks):
        return lambda words: ({w: 0 for w in words}, chunks)

    small = LearnedAnswerer(SentenceSelector(models, None, sized(9)))
    full = LearnedAnswerer(SentenceSelector(models, None, sized(FULL_INDEX_CHUNKS)))
    assert small.threshold == models.size_thresholds.anchors[0][1] < full.threshold == models.answerability.threshold
    assert LearnedAnswerer(SentenceSelector(models, None, None)).threshold == models.answerability.threshold


def test_with_background_word_counts_blended_in_the_full_index_bar_holds(models):
    """The blend lifts a small index's answerability inputs ("capital of Australia" over the samples: 0.19 -> 0.37) and
    the size thresholds were measured without it, so with a background weight the bar is the full index's."""
    from app.retrieval.background import blended_doc_freq, load_background

    def own(words):
        return {w: 0 for w in words}, 9

    assert SentenceSelector(models, None, blended_doc_freq(own, None, 0)).index_chunks() == 9  # no blend: its size
    blended = SentenceSelector(models, None, blended_doc_freq(own, load_background(), 300))
    assert blended.index_chunks() is None
    assert LearnedAnswerer(blended).threshold == models.answerability.threshold


def test_a_damaged_size_file_is_refused_naming_it(tmp_path):
    path = tmp_path / SIZE_THRESHOLDS
    for content in ("not json", '{"anchors": []}', '{"anchors": [[500, 0.3], [100, 0.2]]}',
                    '{"anchors": [[100, 0.3], [100, 0.4]]}', '{"anchors": [[100, 3]]}', '{"other": 1}'):
        path.write_text(content)
        with pytest.raises(ModelFileError, match="answerability_by_size.json is damaged"):
            SizeThresholds.load(path)


def test_a_refusal_never_prints_its_score_equal_to_its_bar():
    from app.answer.selection import _below

    assert _below(0.22, 0.29) == "0.22 < 0.29"
    assert _below(0.3141, 0.3149) == "0.314 < 0.315"


def test_fit_reproduces_the_shipped_anchors(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "training"))
    import fit_size_thresholds

    payload = fit_size_thresholds.fit(fit_size_thresholds.ROWS_FILE, MODELS_DIR)
    assert payload == json.loads((MODELS_DIR / SIZE_THRESHOLDS).read_text())
    assert payload["answerability_threshold"] == load_models().answerability.threshold


@pytest.fixture(scope="module")
def samples_data_dir(tmp_path_factory):
    from app.config import Settings
    from app.samples import index_samples
    from app.services import build_services

    folder = tmp_path_factory.mktemp("size-thresholds") / "data"
    built = build_services(Settings(data_dir=folder))
    assert index_samples(built.ingest).counts["failed"] == 0
    built.close()
    return folder


@pytest.mark.parametrize("by_size", [True, False])
def test_over_the_samples_the_bar_is_theirs_unless_switched_off(samples_data_dir, by_size):
    """"What caused the Derna floods?" scores between the samples' bar and the full index's: answered from the Derna
    article by default, refused with CITEWIRE_THRESHOLD_BY_INDEX_SIZE=false, naming the bar it missed."""
    from app.config import Settings
    from app.services import build_services

    built = build_services(Settings(data_dir=samples_data_dir, threshold_by_index_size=by_size))
    try:
        answer = built.answers.ask("What caused the Derna floods?")
        chunks = built.answers.extractive.selector.index_chunks()
        bar = built.answers.extractive.threshold
    finally:
        built.close()
    models = load_models()
    assert chunks < models.size_thresholds.anchors[0][0]  # eight articles: below the smallest measured size
    if by_size:
        assert bar == models.size_thresholds.anchors[0][1]
        assert answer.answerable and "Storm Daniel" in answer.answer
        assert {c.article_id for c in answer.citations} == {"libya-derna-floods-2023"}
    else:
        assert bar == models.answerability.threshold
        assert not answer.answerable and f"< {models.answerability.threshold:.2f})" in answer.refusal_reason
