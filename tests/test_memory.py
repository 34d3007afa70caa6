"""Server memory (issue 14): LightGBM through its C API, the checker built on first use, malloc arenas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from app.memory import limit_malloc_arenas
from app.retrieval.learned import MODELS_DIR, PASSAGE_MODEL, SENTENCE_MODEL, BoostedModel, load_models

needs_models = pytest.mark.skipif(load_models() is None, reason="app/models not trained yet")


@needs_models
@pytest.mark.parametrize("name", [PASSAGE_MODEL, SENTENCE_MODEL])
def test_native_booster_scores_equal_lightgbm_to_the_bit(name):
    """The C API path must give the Python package's raw scores exactly: the answers depend on them."""
    import lightgbm

    model = BoostedModel(MODELS_DIR / name)
    reference = lightgbm.Booster(model_str=(MODELS_DIR / name).read_text())
    assert model.features == reference.feature_name()
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(300, len(model.features))) * rng.choice([0.01, 1.0, 50.0], size=(300, len(model.features)))
    rows[rng.random(rows.shape) < 0.15] = 0.0
    rows[rng.random(rows.shape) < 0.05] = np.nan  # missing values (an undated article's age)
    got = model.score(rows.tolist())
    want = reference.predict(rows, raw_score=True, num_threads=1)
    assert got.shape == (300,)
    assert np.array_equal(got, want)
    assert model.score([]).shape == (0,)


@needs_models
def test_without_the_wheel_layouts_library_the_package_scores_the_same(monkeypatch):
    """A LightGBM whose shared library is not where its wheel keeps it (conda, system builds) falls back to
    the Python package, with the same scores."""
    from app.retrieval import learned

    native = BoostedModel(MODELS_DIR / PASSAGE_MODEL)

    def missing():
        raise ImportError("lib_lightgbm.so not found")

    monkeypatch.setattr(learned, "_lightgbm_library", missing)
    fallback = BoostedModel(MODELS_DIR / PASSAGE_MODEL)
    assert fallback.booster is not None and fallback.features == native.features
    rows = np.random.default_rng(3).normal(size=(20, len(native.features))).tolist()
    assert np.array_equal(fallback.score(rows), native.score(rows))


@needs_models
def test_loading_the_models_does_not_import_the_lightgbm_package():
    code = ("import sys; from app.retrieval.learned import load_models; m = load_models(); "
            "print(m.passages.score([[0.0] * len(m.passages.features)])[0] != 0, "
            "'lightgbm' in sys.modules, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False", "False"]


def test_checker_is_built_on_first_use_without_an_llm(services):
    assert services.checker_instance is None
    checker = services.checker
    assert services.checker is checker
    assert checker.check("The sky is blue.", ["The sky is blue."]).supported


def test_checker_is_built_at_start_up_for_the_llm_guard(tmp_path):
    from app.config import Settings
    from app.services import build_services

    built = build_services(Settings(data_dir=tmp_path / "data", llm_base_url="fake://"))
    try:
        assert built.checker_instance is not None
    finally:
        built.close()


def test_malloc_arena_limit(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas(0) is False
    if sys.platform.startswith("linux") and "glibc" in " ".join(__import__("platform").libc_ver()):
        assert limit_malloc_arenas(2) is True
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas(2) is False  # the environment already decided
