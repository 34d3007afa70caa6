"""The WordNet lexicon, kept importable here for the checker: it now lives in ``app.lexicon`` (a lower layer)
so that the retrieval features can count synonyms too without importing ``app.answer``."""

from app.lexicon import LEXICON_PATH, Lexicon, shared

__all__ = ["LEXICON_PATH", "Lexicon", "shared"]
