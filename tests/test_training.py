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
