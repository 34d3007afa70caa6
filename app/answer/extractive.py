"""The no-LLM answerer: quote the sentences that best answer the question, or refuse.

It never writes words of its own beyond the refusal message, so every sentence it returns is a
verbatim quote of an article, cited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.citations import CitationBook
from app.answer.models import REFUSAL, Answer, AnswerSentence
from app.answer.scoring import QuestionScorer
from app.retrieval.service import Passage
from app.text import STOPWORDS, fold_accents, name_tokens, numbers, proper_names, sentence_spans, words


@dataclass(slots=True)
class Candidate:
    passage: Passage
    start: int
    end: int
    text: str
    rank: int
    previous: str = ""  # the sentence before it: "he" and "the meeting" often point there
    previous_start: int | None = None  # article offset of that sentence (same passage), to quote it along


def candidate_sentences(passages: list[Passage]) -> list[Candidate]:
    """Sentences of the passages with article offsets; overlapping chunks contribute each sentence once."""
    seen: set[tuple[str, int, int]] = set()
    seen_text: set[str] = set()
    out: list[Candidate] = []
    for rank, passage in enumerate(passages):
        previous, previous_start = "", None
        headline = " ".join(words(passage.title))
        for span in sentence_spans(passage.text, offset=passage.char_start):
            key = (passage.article_id, span.start, span.end)
            text = passage.text[span.start - passage.char_start : span.end - passage.char_start]
            normal = " ".join(words(text))
            # the headline repeated as the body's first line (a Markdown "# …", an HTML <h1>) states no fact the
            # article does not: quoted, it was an answer's second "sentence" ("Glimmerfjord ferry strike ends")
            if key not in seen and normal not in seen_text and normal and normal != headline:
                seen.add(key)
                seen_text.add(normal)
                out.append(Candidate(passage, span.start, span.end, text, rank, previous, previous_start))
            previous, previous_start = text, span.start
    return out


def near_duplicate(a: str, b: str, threshold: float = 0.6) -> bool:
    """Word-set Jaccard: catches bullet highlights that restate a body sentence."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold


def restates(sentence: str, question: str) -> bool:
    """A sentence that mostly repeats the question's words and adds no name or figure of its own: it answers
    nothing, however well it matches. "Aitana Bonmati was named the best player of the tournament." shares 7 of its
    10 words with "Who was named best player of the tournament?" and was dropped as a restatement; its new name is
    the answer."""
    if not near_duplicate(sentence, question, 0.7):
        return False
    asked = set(words(question)) | name_tokens(question)  # the question's first word may be a name too
    # the sentence's first word may be one as well ("Bonmati was named …"): any capitalised word the question lacks
    new_names = name_tokens(" ".join(proper_names(" " + sentence))) - asked - STOPWORDS
    return not new_names and not numbers(sentence) - numbers(question)


class ExtractiveAnswerer:
    def __init__(
        self, scorer: QuestionScorer, min_support: float = 0.45, max_sentences: int = 3,
        min_context_coverage: float = 0.45,
    ) -> None:
        self.scorer = scorer
        self.min_context_coverage = min_context_coverage
        self.min_support = min_support
        self.max_sentences = max_sentences

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        """Expects passages that passed AnswerService's pre-checks (some retrieved; every name asked about present)."""
        if not passages:
            return refusal("no passage in the index matches the question")
        # A question (or a restatement of this one) answers nothing, however well it matches.
        candidates = [c for c in candidate_sentences(passages)
                      if not c.text.rstrip("\"'”’) ").endswith("?") and not restates(c.text, question)]
        if not candidates:
            return refusal("the passages only restate the question")
        scores = self.scorer.score(
            question, [c.text for c in candidates], [c.passage.title for c in candidates], [c.previous for c in candidates],
            [c.passage.text for c in candidates],
        )
        ranked = sorted(zip(candidates, scores), key=lambda cs: (cs[1].score - 0.01 * cs[0].rank), reverse=True)
        if not ranked or ranked[0][1].score < self.min_support:
            best = ranked[0][1].score if ranked else 0.0
            return refusal(f"no sentence supports an answer (best support {best:.2f} < {self.min_support:.2f})")
        if ranked[0][1].context_coverage < self.min_context_coverage:
            return refusal(
                f"the best passage covers only {ranked[0][1].context_coverage:.0%} of what the question asks about"
            )
        best_score = ranked[0][1].score
        chosen: list[tuple[Candidate, float]] = []
        for candidate, score in ranked:
            if len(chosen) >= self.max_sentences or score.score < max(self.min_support, 0.8 * best_score):
                break
            if any(near_duplicate(candidate.text, other.text) for other, _ in chosen):
                continue
            chosen.append((candidate, score.score))
        book = CitationBook()
        sentences = [
            AnswerSentence(c.text, [book.cite(c.passage, c.start, c.end)], support=s) for c, s in chosen
        ]
        text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
        return Answer(answer=text, answerable=True, citations=book.citations, sentences=sentences)


def missing_names(question: str, passages: list[Passage]) -> set[str]:
    """Names the question asks about that no retrieved passage mentions: answering would be a guess."""
    names = proper_names(question)
    if not names:
        return set()
    present: set[str] = set()
    for passage in passages:
        for text in (passage.title, passage.text):
            present.update(name_tokens(text))
            present.update(acronyms(text))
    missing = {n for n in names if n not in present}
    if not missing:
        return missing
    # "Zurich" is mentioned by "Zürich" (and the other way): "never mention zurich" refused a question on an article
    # about Zürich, typed without the accent
    folded = {fold_accents(w) for w in present}
    return {n for n in missing if fold_accents(n) not in folded}


_DOTTED = re.compile(r"\b((?:[A-Za-z]\.){2,})")
# Spelled-out forms news uses for the acronyms questions use ("at US grocery stores").
_SPELLED_OUT = {"united states": "us", "united kingdom": "uk", "european union": "eu", "united nations": "un"}


def acronyms(text: str) -> set[str]:
    """Acronym tokens a passage implies: "U.S." -> us, "United States" -> us, so "US" is not a missing name."""
    found = {match.group(1).replace(".", "").lower() for match in _DOTTED.finditer(text)}
    lowered = text.lower()
    found.update(short for long, short in _SPELLED_OUT.items() if long in lowered)
    return found


def refusal(reason: str) -> Answer:
    return Answer(answer=REFUSAL, answerable=False, citations=[], sentences=[], refusal_reason=reason)
