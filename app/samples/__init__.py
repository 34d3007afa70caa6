"""The bundled sample corpus: short news articles written by the Citewire team in its own words."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from app.ingest.loaders import load_path
from app.ingest.service import IngestReport, IngestService


def samples_path() -> Path:
    return Path(str(resources.files("app.samples") / "articles.jsonl"))


def index_samples(ingest: IngestService, stop_on_failure: bool = False) -> IngestReport:
    """Idempotent: on a warm store every sample comes back 'unchanged'. ``stop_on_failure``: as for ``citewire
    ingest``, a store that fails (down, disk full) raises IngestStopped instead of failing each sample."""
    return ingest.ingest(load_path(samples_path()), stop_on_failure=stop_on_failure)
