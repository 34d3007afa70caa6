"""Ingestion: files and records in, chunked, embedded and indexed articles out."""
