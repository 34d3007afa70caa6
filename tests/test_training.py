"""The shipped models are what training/train_answers.py makes from the stored features (fixed seed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.retrieval.learned import ANSWERABILITY_MODEL, MODELS_DIR, PASSAGE_MODEL, SENTENCE_MODEL, load_models
from tests.conftest import REPO

FEATURES = REPO / "training" / "features.npz"


@pytest.mark.skipif(not FEATURES.exists(), reason="training/features.npz not extracted yet")
def test_training_script_reproduces_the_shipped_models(tmp_path):
    subprocess.run([sys.executable, str(REPO / "training" / "train_answers.py"), "fit", "--out", str(tmp_path)],
                   check=True, cwd=REPO, timeout=300, capture_output=True)
    for name in (PASSAGE_MODEL, SENTENCE_MODEL, ANSWERABILITY_MODEL):
        assert (tmp_path / name).read_bytes() == (MODELS_DIR / name).read_bytes(), f"{name} differs from what ships"


def test_shipped_models_load_and_name_their_features():
    from app.retrieval.features import ALL_PASSAGE_FEATURES, SENTENCE_FEATURES
    from training.train_answers import ANSWERABILITY_FEATURES, RANKER_FEATURES, SELECTOR_FEATURES

    models = load_models()
    assert models is not None, "app/models/ must ship the trained models"
    assert models.passages.features == list(RANKER_FEATURES)
    assert set(RANKER_FEATURES) <= set(ALL_PASSAGE_FEATURES)
    assert models.sentences.features == list(SELECTOR_FEATURES)
    assert set(SELECTOR_FEATURES) <= set(SENTENCE_FEATURES)
    assert models.answerability.features == list(ANSWERABILITY_FEATURES)
    assert 0.0 <= models.answerability.threshold < 1.0


def test_passage_labels_grade_the_answer_string_or_only_relevant_articles():
    import numpy as np

    from training.train_answers import passage_labels

    gold = np.array([True, True, False, False])
    relevant = np.array([True, False, True, False])
    assert passage_labels(gold, relevant, "answer").tolist() == [2, 2, 1, 0]
    assert passage_labels(gold, relevant, "relevant").tolist() == [2, 0, 1, 0]
    assert passage_labels(gold, relevant, "graded-relevant-first").tolist() == [3, 1, 2, 0]
    assert passage_labels(gold, relevant, "graded-string-first").tolist() == [3, 2, 1, 0]
    with pytest.raises(ValueError):
        passage_labels(gold, relevant, "nonsense")


def test_compare_ranker_scores_hits_on_relevant_articles_apart_from_the_answer_string(tmp_path):
    """A passage that holds the answer string but is not of a relevant article counts for hit@k under the training
    labels, not for the benchmark's (qrels) hit@k; a ranker trained on relevant-article labels learns the other."""
    import numpy as np

    from app.retrieval.features import ALL_PASSAGE_FEATURES, PASSAGE_FEATURES
    from training.train_answers import compare_ranker

    rng = np.random.default_rng(0)
    questions, per = 80, 10
    x = rng.normal(size=(questions * per, len(ALL_PASSAGE_FEATURES)))
    gold = np.zeros(questions * per, bool)
    relevant = np.zeros(questions * per, bool)
    for q in range(questions):
        a = q * per
        gold[a], relevant[a + 1] = True, True  # the string in an unrelated article; the relevant one without it
        x[a, ALL_PASSAGE_FEATURES.index("bm25_rel")] = 5.0  # what says "holds the string"
        x[a + 1, ALL_PASSAGE_FEATURES.index("title_cov")] = 5.0  # what says "the article the question is about"
    features = tmp_path / "features.npz"
    np.savez(features, passage_x=x, passage_y=np.where(gold, 2, np.where(relevant, 1, 0)),
             passage_group=np.repeat(np.arange(questions), per), passage_gold=gold, passage_relevant=relevant,
             question_fold=np.arange(questions) % 2)
    rows = compare_ranker(features, {"answer labels": PASSAGE_FEATURES, "relevant labels": (PASSAGE_FEATURES, "relevant")})
    by_name = {r["variant"]: r for r in rows}
    assert by_name["answer labels"]["hit1"] > 0.9 and by_name["answer labels"]["qrels_hit1"] < 0.1
    assert by_name["relevant labels"]["qrels_hit1"] > 0.9
    assert by_name["relevant labels"]["qrels_hit5_diff"][0] >= 0.0
    older = tmp_path / "older.npz"  # features stored before the relevance arrays: no label scheme can be told apart
    np.savez(older, passage_x=x, passage_y=np.where(gold, 2, np.where(relevant, 1, 0)),
             passage_group=np.repeat(np.arange(questions), per), question_fold=np.arange(questions) % 2)
    rows = compare_ranker(older, {"answer labels": PASSAGE_FEATURES, "relevant labels": (PASSAGE_FEATURES, "relevant")})
    assert [r["variant"] for r in rows] == ["answer labels"] and np.isnan(rows[0]["qrels_hit5"])


def test_the_refusal_threshold_is_chosen_on_out_of_fold_probabilities():
    """Chosen on the probabilities the model gives its own training questions, the threshold looked safer than it
    was: 0.078 of unseen 2022–2023 answerable questions refused against the 0.05 it was chosen for."""
    import numpy as np

    from training.train_answers import (
        MAX_FALSE_REFUSAL,
        choose_threshold,
        fit_answerability,
        out_of_fold_probabilities,
    )

    rng = np.random.default_rng(0)
    y = np.r_[np.ones(120, int), np.zeros(60, int)]
    x = rng.normal(size=(len(y), 16))
    x[:, 0] += 0.8 * y  # one weak real signal among fifteen noise columns: in-sample it looks stronger than it is
    model = fit_answerability(x, y, tuple(f"f{i}" for i in range(16)))
    oof = out_of_fold_probabilities(x, y)
    assert model["threshold"] == choose_threshold(oof, y)[0]
    assert model["train_false_refusal"] <= MAX_FALSE_REFUSAL
    # the same rule on in-sample probabilities would refuse more: it trusts the noise columns
    from sklearn.linear_model import LogisticRegression

    scaled = (x - x.mean(axis=0)) / x.std(axis=0)
    in_sample = LogisticRegression(C=1.0, max_iter=1000, random_state=7).fit(scaled, y).predict_proba(scaled)[:, 1]
    assert choose_threshold(in_sample, y)[1] > model["train_refusal"]
    # what it is for: on fresh questions of the same kind the threshold keeps its 5 %, the in-sample one did not
    fresh_y = np.r_[np.ones(2000, int), np.zeros(1000, int)]
    fresh_x = rng.normal(size=(len(fresh_y), 16))
    fresh_x[:, 0] += 0.8 * fresh_y
    z = model["intercept"] + ((fresh_x - np.array(model["mean"])) / np.array(model["scale"])) @ np.array(model["coef"])
    answerable = 1 / (1 + np.exp(-z[fresh_y == 1]))
    assert np.mean(answerable < model["threshold"]) <= MAX_FALSE_REFUSAL
    assert np.mean(answerable < choose_threshold(in_sample, y)[0]) > MAX_FALSE_REFUSAL
