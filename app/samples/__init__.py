"""The bundled sample corpus: short news articles written by the Citewire team in its own words."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from app.ingest.loaders import load_path
from app.ingest.service import IngestReport, IngestService


def samples_path() -> Path:
    return Path(str(resources.files("app.samples") / "articles.jsonl"))


def index_samples(ingest: IngestService) -> IngestReport:
    """Idempotent: on a warm store every sample comes back 'unchanged'."""
    return ingest.ingest(load_path(samples_path()))
