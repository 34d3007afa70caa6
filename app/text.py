"""Shared text primitives: sentence spans with character offsets, content terms, stopwords.

Everything that cites text needs exact offsets into the stored article, so sentence splitting
returns spans, never rewritten strings.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import pysbd
import Stemmer

# A compact English stopword list (function words only: content words such as "not" are kept
# because negation matters to faithfulness).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves also s t said says say tell told according""".split()
)
QUESTION_WORDS = frozenset("what which who whom whose when where why how many much did does do".split())

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"\d[\d,.]*")
_stemmer_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _porter() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("porter")


def porter_stem(word: str) -> str:
    """The original Porter algorithm: the one SQLite FTS5's tokenizer uses, for vocabulary look-ups."""
    with _stemmer_lock:
        return _porter().stemWord(word.lower())


def words(text: str) -> list[str]:
    return [m.group(0).lower().replace("’", "'") for m in _WORD.finditer(text)]


def stem(word: str) -> str:
    with _stemmer_lock:
        return _stemmer().stemWord(word)


def content_terms(text: str) -> list[str]:
    """Stemmed non-stopword terms, in order (duplicates kept)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS]


def numbers(text: str) -> set[str]:
    return {m.group(0).rstrip(".,").replace(",", "") for m in _NUMBER.finditer(text)}


_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*)")


def proper_names(text: str) -> set[str]:
    """Capitalised words that do not start a sentence: a cheap named-entity proxy."""
    names: set[str] = set()
    for match in _CAPITALISED.finditer(text):
        for token in name_tokens(match.group(1)):
            if token not in STOPWORDS and token not in QUESTION_WORDS:
                names.add(token)
    return names


def name_tokens(text: str) -> set[str]:
    """Words with possessives dropped and hyphenated compounds split: Putin's -> putin, Russia-North -> russia, north."""
    out: set[str] = set()
    for word in words(text):
        word = word.removesuffix("'s")
        out.update(part for part in word.split("-") if part)
    return out


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


_seg_lock = threading.Lock()


def sentence_spans(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans over ``text`` (shifted by ``offset``), stripped of surrounding whitespace.

    Lines are split first: news text often carries headlines and bullets without a full stop.
    """
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        line_text = line.group(0)
        if not line_text.strip():
            continue
        with _seg_lock:
            pieces = _segmenter().segment(line_text)
        cursor = 0
        for piece in pieces:
            sentence = piece.sent.strip()
            if not sentence:
                continue
            local = line_text.find(sentence, cursor)
            if local < 0:
                continue
            cursor = local + len(sentence)
            start = offset + line.start() + local
            spans.append(Span(start, start + len(sentence)))
    return spans
