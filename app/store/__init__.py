"""Storage: the SQLite article record with its BM25 (FTS5) index, and the Chroma vector store."""
