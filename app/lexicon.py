"""WordNet synonyms and antonyms for the checker's alignment and the answer features, read from a small file.

wordllama's subword vectors put some synonyms far apart ("pledged"/"promised": cosine .25) and some
antonyms close, so word vectors alone cannot tell a faithful rewording from a flipped fact. WordNet
3.0 (Princeton; licence inside the file) can: ``lexicon.json.gz`` holds, per stem (``app.text.stem``),
the ids of the word's most frequent synsets, each synset's hypernyms, and antonym stems. It is built
by ``training/build_lexicon.py`` from Debian's ``wordnet-base``; nothing is downloaded at run time.
"""

from __future__ import annotations

import gzip
import json
import threading
from functools import lru_cache
from pathlib import Path

# The file stays in app/answer/ where the checker's build script and package data put it; this loader sits
# below app/retrieval and app/answer so both may use it (``app.answer.lexicon`` re-exports it).
LEXICON_PATH = Path(__file__).resolve().parent / "answer" / "lexicon.json.gz"
# Irregular form -> base forms ("went" -> "go"), by stem, from WordNet's exception lists
# (training/build_lemmas.py); read only by the answer features, never by the checker.
LEMMAS_PATH = Path(__file__).resolve().parent / "answer" / "lemmas.json.gz"
_EMPTY: frozenset = frozenset()


class Lexicon:
    """Synonym, near-sense (one hypernym step) and antonym tests between stems."""

    def __init__(self, payload: dict) -> None:
        self._synsets = {k: frozenset(v) for k, v in payload["synsets"].items()}
        self._hypernyms = {int(k): v for k, v in payload["hypernyms"].items()}
        self._antonyms = {k: frozenset(v) for k, v in payload["antonyms"].items()}

    def synsets(self, stem: str) -> frozenset[int]:
        return self._synsets.get(stem, _EMPTY)

    @lru_cache(maxsize=65536)  # noqa: B019 (one shared instance for the process)
    def near(self, stem: str) -> frozenset[int]:
        """The stem's synsets and their hypernyms: 'pledge' reaches 'promise', 'factory' reaches 'plant'."""
        own = self.synsets(stem)
        return own.union(h for s in own for h in self._hypernyms.get(s, ()))

    def synonym(self, a: str, b: str) -> bool:
        return a != b and not self.synsets(a).isdisjoint(self.synsets(b))

    def related(self, a: str, b: str) -> bool:
        """Synonyms, or one hypernym step apart either way."""
        return a != b and (not self.near(a).isdisjoint(self.synsets(b)) or not self.near(b).isdisjoint(self.synsets(a)))

    def antonyms(self, stem: str) -> frozenset[str]:
        return self._antonyms.get(stem, _EMPTY)


_lock = threading.Lock()
_shared: Lexicon | None = None


def shared() -> Lexicon:
    """The process-wide lexicon, loaded on first use (about 0.1 s)."""
    global _shared
    with _lock:
        if _shared is None:
            with gzip.open(LEXICON_PATH, "rt", encoding="utf-8") as f:
                _shared = Lexicon(json.load(f))
        return _shared


_lemmas: dict[str, tuple[str, ...]] | None = None


def lemma_stems(stem: str) -> tuple[str, ...]:
    """Stems of the base forms of an irregular form's stem ("went" -> ("go",), "men" -> ("man",)); empty for
    any other stem. Separate from ``Lexicon`` so the checker's lookups stay what it was trained on."""
    global _lemmas
    if _lemmas is None:
        with _lock:
            if _lemmas is None:
                with gzip.open(LEMMAS_PATH, "rt", encoding="utf-8") as f:
                    _lemmas = {k: tuple(v) for k, v in json.load(f)["lemmas"].items()}
    return _lemmas.get(stem, ())
