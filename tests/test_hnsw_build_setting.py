"""CITEWIRE_HNSW_EF_CONSTRUCTION sets how much work Chroma's HNSW graph does per inserted vector, for a collection
created from then on; an existing collection keeps what it was built with (Chroma cannot change it in place), so a
changed setting never leaves one graph built two ways."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import Settings
from app.store.vector import VectorStore


def _ef(store: VectorStore) -> int:
    return store.hnsw_configuration()["ef_construction"]


def test_a_new_collection_is_built_with_the_setting_and_an_existing_one_keeps_its_own(tmp_path):
    store = VectorStore(Settings(data_dir=tmp_path / "data", hnsw_ef_construction=40), "test-embedder")
    try:
        assert _ef(store) == 40
    finally:
        store.close()
    reopened = VectorStore(Settings(data_dir=tmp_path / "data", hnsw_ef_construction=200), "test-embedder")
    try:
        assert _ef(reopened) == 40
    finally:
        reopened.close()
    other = VectorStore(Settings(data_dir=tmp_path / "other"), "test-embedder")
    try:
        assert _ef(other) == Settings.model_fields["hnsw_ef_construction"].default
    finally:
        other.close()


@pytest.mark.parametrize("value", [0, 7, 5000])
def test_an_unusable_build_effort_is_refused(tmp_path, value):
    with pytest.raises(ValidationError, match="hnsw_ef_construction"):
        Settings(data_dir=tmp_path / "data", hnsw_ef_construction=value)
