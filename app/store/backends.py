"""Pick the record store (article record + BM25 postings) from settings."""

from __future__ import annotations

from app.config import Settings
from app.store.records import RecordStore


def make_record_store(settings: Settings) -> RecordStore:
    """SQLite under the data dir (one host), or PostgreSQL when ``lexical_url`` names a server."""
    url = settings.lexical_url
    if url:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError("CITEWIRE_LEXICAL_URL must be a postgresql:// URL")
        from app.store.postgres import PostgresRecordStore

        return PostgresRecordStore(url, snapshot_dir=settings.data_dir / "lexical")
    return RecordStore(settings.records_path)
