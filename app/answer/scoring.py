"""How well a sentence answers a question: IDF-weighted (soft) term coverage, embedding similarity,
and whether it holds the kind of thing the question asks for (a number, a name, a date)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from app.embed import Embedder
from app.text import STOPWORDS, content_words, numbers, proper_names, stem, words

DocFreq = Callable[[list[str]], tuple[dict[str, float], float]]
_MONTHS = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(1[89]|20)\d\d\b", re.I)
TOPIC_CREDIT = 0.35  # share of a term's weight a sentence earns when only its headline has the term
LEAD_IN_CREDIT = 0.6  # ... when only the sentence before it has the term
_PLACE = re.compile(r"\b(?:at|in|near|inside|outside)\s+(?:the\s+)?[A-Z]")
SOFT_MATCH_FLOOR = 0.22  # word-vector cosine below which two different words do not count as a match


@dataclass(slots=True)
class SentenceScore:
    score: float
    coverage: float  # of the question's terms by the sentence, its headline counting as context
    context_coverage: float  # of the question's terms by the whole passage: low means off-topic
    similarity: float
    type_match: float


def answer_type(question: str) -> str | None:
    q = question.lower()
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (date|day|year|month)\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return "name"
    if re.search(r"\bwhere\b", q):
        return "place"
    return None


class QuestionScorer:
    def __init__(self, embedder: Embedder, doc_freq: DocFreq | None = None) -> None:
        self.embedder = embedder
        self.doc_freq = doc_freq

    def idf(self, raw_words: list[str]) -> dict[str, float]:
        if self.doc_freq is None:
            return {w: 1.0 for w in raw_words}
        df, total = self.doc_freq(raw_words)
        total = max(total, 1)
        return {w: math.log(1 + (total - df.get(w, 0) + 0.5) / (df.get(w, 0) + 0.5)) for w in raw_words}

    def score(self, question: str, sentences: list[str], titles: list[str] | None = None,
              previous: list[str] | None = None, passages: list[str] | None = None) -> list[SentenceScore]:
        """Headlines (``titles``) and the sentence before (``previous``: "the meeting", "he") give
        partial credit; ``passages`` (the surrounding text) only feed ``context_coverage``."""
        if not sentences:
            return []
        titles = titles or [""] * len(sentences)
        previous = previous or [""] * len(sentences)
        passages = passages or sentences
        q_words = content_words(question)
        kind = answer_type(question)
        q_names = proper_names(question)
        vectors = self.embedder.embed([question, *sentences])
        similarity = vectors[1:] @ vectors[0]
        idf = self.idf(q_words)
        def content(text: str) -> list[str]:
            return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS))

        s_words = [content(s) for s in sentences]
        c_words = {c: content(c) for c in {*titles, *previous}}
        p_words = {p: content(p) for p in set(passages)}
        vocab = list(dict.fromkeys([*q_words, *(w for group in (s_words, c_words.values(), p_words.values())
                                                 for ws in group for w in ws)]))
        word_vectors = dict(zip(vocab, self.embedder.embed(vocab))) if vocab else {}
        total_idf = sum(idf.values()) or 1.0
        # Credits depend only on the words credited: a headline serves every sentence of its passage, a sentence
        # is the next one's lead-in, and (passage, headline) repeats per sentence, so each is computed once.
        credits: dict[object, dict[str, float]] = {}

        def credited(key: object, context_words: list[str]) -> dict[str, float]:
            found = credits.get(key)
            if found is None:
                found = credits[key] = _term_credits(q_words, context_words, word_vectors, q_names)
            return found

        out: list[SentenceScore] = []
        for text, sent_words, title, before, passage, sim in zip(sentences, s_words, titles, previous, passages, similarity):
            own = credited(text, sent_words)  # content(text): the same words as c_words[text]
            topic = credited(title, c_words[title])
            lead_in = credited(before, c_words[before])
            around = credits.get((passage, title))
            if around is None:
                around = credited((passage, title), p_words[passage] + c_words[title])
            coverage = sum(
                idf[w] * max(own[w], TOPIC_CREDIT * topic[w], LEAD_IN_CREDIT * lead_in[w]) for w in q_words
            ) / total_idf
            context_coverage = sum(idf[w] * around[w] for w in q_words) / total_idf
            type_match = _type_match(kind, text, q_names, question)
            n_words = len(words(text))
            brevity = 0.75 if n_words < 7 else 1.0
            base = 0.6 * coverage + 0.4 * max(float(sim), 0.0)
            # A sentence with no place cannot answer "where" however many words it shares.
            score = brevity * base * ((0.5 + 0.5 * type_match) if kind else 1.0)
            out.append(SentenceScore(round(score, 4), round(coverage, 4), round(context_coverage, 4),
                                     round(float(sim), 4), type_match))
        return out


def _term_credits(
    q_words: list[str], s_words: list[str], vectors: dict[str, np.ndarray], names: set[str]
) -> dict[str, float]:
    """1 for a term present (stemmed), partial for a close word vector (pledge ~ promised), else 0.

    Names only ever match exactly: Shoigu is near Putin in vector space, and that is exactly wrong.
    """
    s_stems = {stem(w) for w in s_words}
    matrix = np.stack([vectors[w] for w in s_words]) if s_words else None
    credits: dict[str, float] = {}
    for word in q_words:
        if stem(word) in s_stems:
            credits[word] = 1.0
        elif word not in names and matrix is not None and (best := float(np.max(matrix @ vectors[word]))) >= SOFT_MATCH_FLOOR:
            credits[word] = min(1.0, 0.4 + best)
        else:
            credits[word] = 0.0
    return credits


def _type_match(kind: str | None, text: str, q_names: set[str], question: str) -> float:
    if kind is None:
        return 0.5
    if kind == "number":
        return 1.0 if numbers(text) - numbers(question) else 0.0
    if kind == "date":
        return 1.0 if _MONTHS.search(text) else 0.0
    new_names = proper_names(" " + text) - q_names
    if kind == "place":
        return 1.0 if _PLACE.search(text) else 0.0
    return 1.0 if new_names else 0.0
