"""Hybrid retrieval: BM25 (SQLite FTS5) + dense (Chroma), fused, time-aware."""
