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
    """Synonym, near-sense (one hypernym step) and antonym tests between stems.

    Kept compact (issue 14: server RSS <= 1 GB): per stem its synset id, or a tuple of ids when it has
    several (38k of 60k stems have one); per synset id (dense, 0..85k) in a list its hypernym, a tuple
    of them, or None; every id one shared int object. Frozensets of the same data took 38 MB (12 MB
    like this, docs/performance.md *Memory*); the public methods return what they did (frozensets).
    """

    def __init__(self, payload: dict) -> None:
        synsets, hypernyms = payload["synsets"], payload["hypernyms"]
        top = max(max((i for v in synsets.values() for i in v), default=-1),
                  max((int(k) for k in hypernyms), default=-1),
                  max((i for v in hypernyms.values() for i in v), default=-1))
        ids = list(range(top + 1))  # one int object per synset id, shared by everything below
        self._synsets: dict[str, int | tuple[int, ...]] = {k: _compact(v, ids) for k, v in synsets.items() if v}
        self._hypernyms: list[int | tuple[int, ...] | None] = [None] * (top + 1)
        for k, v in hypernyms.items():
            if v:
                self._hypernyms[int(k)] = _compact(v, ids)
        words = {k: k for k in synsets}  # antonym stems share the key strings where they can
        self._antonyms = {k: frozenset(words.get(w, w) for w in v) for k, v in payload["antonyms"].items()}

    def synsets(self, stem: str) -> frozenset[int]:
        own = self._synsets.get(stem)
        if own is None:
            return _EMPTY
        return frozenset((own,)) if type(own) is int else frozenset(own)

    @lru_cache(maxsize=65536)  # noqa: B019 (one shared instance for the process)
    def near(self, stem: str) -> frozenset[int]:
        """The stem's synsets and their hypernyms: 'pledge' reaches 'promise', 'factory' reaches 'plant'."""
        own = self._synsets.get(stem)
        if own is None:
            return _EMPTY
        out = {own} if type(own) is int else set(own)
        for s in ((own,) if type(own) is int else own):
            up = self._hypernyms[s]
            if up is not None:
                out.update((up,) if type(up) is int else up)
        return frozenset(out)

    def synonym(self, a: str, b: str) -> bool:
        if a == b:
            return False
        own, other = self._synsets.get(a), self._synsets.get(b)
        if own is None or other is None:
            return False
        if type(own) is int:
            return own == other if type(other) is int else own in other
        if type(other) is int:
            return other in own
        for s in own:  # a few ids each: scanning two tuples beats building a set
            if s in other:
                return True
        return False

    def related(self, a: str, b: str) -> bool:
        """Synonyms, or one hypernym step apart either way."""
        return a != b and (self._reaches(a, b) or self._reaches(b, a))

    def _reaches(self, a: str, b: str) -> bool:
        """One of b's synsets is one of a's or a hypernym of one."""
        other = self._synsets.get(b)
        if other is None:
            return False
        return other in self.near(a) if type(other) is int else not self.near(a).isdisjoint(other)

    def antonyms(self, stem: str) -> frozenset[str]:
        return self._antonyms.get(stem, _EMPTY)


def _compact(values: list[int], ids: list[int]) -> int | tuple[int, ...]:
    """One id as the shared int itself, several as a tuple of shared ints."""
    return ids[values[0]] if len(values) == 1 else tuple(ids[i] for i in values)


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
