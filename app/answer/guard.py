"""Runtime faithfulness guard for LLM answers: every sentence must be supported by what it cites.

Sentences citing nothing valid are re-attributed to the passage that best supports them, or dropped
(or marked, by setting). A sentence that repeats one already kept is dropped too (``repeated``). If nothing
supported remains, the answer becomes a refusal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from app.answer.citations import CitationBook
from app.answer.extractive import near_duplicate
from app.answer.models import REFUSAL, Answer, AnswerSentence
from app.answer.support import Support, SupportChecker, content_overlap
from app.retrieval.service import Passage
from app.text import STOPWORDS, sentence_spans, words

log = logging.getLogger(__name__)
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Markers as models also write them: "[ 1 ]", "【1】", "[1-2]", "[Passage 1]", "[1; 2]": made "[1]", "[1, 2]" first.
_VARIANT = re.compile(r"[\[【［]\s*(?:(?:passages?|sources?)\s*)?(\d+(?:\s*(?:[,;–-]|and)\s*\d+)*)\s*[\]】］]", re.I)
_LIST_ITEM = re.compile(r"(?m)^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+")  # "1. ", "- ": a list item's number is no claim
REFUSAL_TOKEN = "INSUFFICIENT_CONTEXT"
MIN_CLAIM_WORDS = 3


def empty_summary() -> dict:
    """The guard's counts: kept, fixed (re-attributed), dropped (unsupported), marked, repeated (a sentence saying
    again what one already kept says: dropped, counted apart from the unsupported)."""
    return {"kept": 0, "fixed": 0, "dropped": 0, "marked": 0, "repeated": 0}


@dataclass
class GuardOutcome:
    sentences: list[AnswerSentence] = field(default_factory=list)
    summary: dict = field(default_factory=empty_summary)


def repeats(text: str, kept: list[str]) -> bool:
    """``text`` says again what one of ``kept`` says: a near-duplicate (the extractive answerer's word-set rule) with
    no content word of its own ("… on Tuesday" after "… on Wednesday" says something else). A small model can loop
    on one cited sentence (SmolLM wrote the same one 8 times), and each copy passed the guard as a claim."""
    content = set(words(text)) - STOPWORDS
    return any(near_duplicate(text, other) and content <= set(words(other)) for other in kept)


def split_cited(text: str) -> list[tuple[str, list[int]]]:
    """(sentence without markers, cited numbers); a marker just after a full stop belongs to that sentence."""
    text = _LIST_ITEM.sub("", _VARIANT.sub(_canonical_marker, text))
    # also after a closing quote or bracket: '… a "sacred fight." [1] Putin …' was one sentence citing both
    normalised = re.sub(r"([.!?][\"'”’)]*)\s*((?:\[\d+(?:\s*,\s*\d+)*\]\s*)+)", r" \2\1 ", text)
    out = []
    for span in sentence_spans(normalised):
        sentence = normalised[span.start : span.end]
        cited = [int(n) for group in _MARKER.findall(sentence) for n in group.split(",")]
        clean = re.sub(r"\s+", " ", _MARKER.sub("", sentence)).strip()
        clean = re.sub(r"\s+([.!?,;:])", r"\1", clean)
        if clean:
            out.append((clean, cited))
    return out


def _canonical_marker(match: re.Match) -> str:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*|\s+and\s+", match.group(1)):
        ends = [int(n) for n in re.split(r"\s*[–-]\s*", part)]
        numbers += list(range(ends[0], ends[-1] + 1)) if len(ends) == 2 and 0 < ends[1] - ends[0] < 10 else ends
    if max(numbers) > MAX_MARKER:  # "[2019-2020]" in prose is years, not passages: left as written
        return match.group(0)
    return "[" + ", ".join(map(str, numbers)) + "]"


MAX_MARKER = 99  # no prompt shows the model more passages than this


def evidence(passage: Passage) -> str:
    """What the model was shown: the headline counts as evidence too."""
    return f"{passage.title}.\n{passage.text}" if passage.title else passage.text


def best_quote_span(passage: Passage, claim: str) -> tuple[int, int]:
    """The sentence of the passage that best supports the claim, as article offsets (a verbatim quote)."""
    spans = sentence_spans(passage.text, offset=passage.char_start) or []
    if not spans:
        return passage.char_start, passage.char_end
    texts = [passage.text[s.start - passage.char_start : s.end - passage.char_start] for s in spans]
    scores = [content_overlap(claim, t) for t in texts]
    best = spans[max(range(len(spans)), key=scores.__getitem__)]
    return best.start, best.end


@dataclass
class Verified:
    text: str
    passages: list[int]  # 1-based positions in the passage list the model saw
    support: float
    status: str  # kept | fixed | unsupported


# Checker scores in this band are uncertain enough to ask the LLM judge (docs/faithfulness.md).
JUDGE_BAND = (0.2, 0.8)
JUDGE_BUDGET = 4  # judge calls per answer: each costs one short LLM prefill (the best evidence window)


class FaithfulnessGuard:
    def __init__(self, checker: SupportChecker, mode: str = "drop", judge=None,
                 judge_band: tuple[float, float] = JUDGE_BAND, judge_budget: int = JUDGE_BUDGET) -> None:
        """``judge`` (an LLMJudge, optional) decides the sentences whose checker score falls inside
        ``judge_band``, at most ``judge_budget`` per answer; outside the band, the checker decides."""
        if mode not in ("drop", "mark"):
            raise ValueError("guard mode must be 'drop' or 'mark'")
        self.checker = checker
        self.mode = mode
        self.judge = judge
        self.judge_band = judge_band
        self.judge_budget = judge_budget

    def _judged(self, text: str, verdict: Support | None, budget: list[int]) -> float | None:
        """The judge's P(yes) when the checker is unsure and budget is left; None otherwise. The judge
        reads the checker's best evidence window (1-3 sentences), not whole passages: a short prompt
        is what makes a local CPU model affordable here."""
        low, high = self.judge_band
        if self.judge is None or verdict is None or not verdict.best_window or budget[0] <= 0 \
                or not (low <= verdict.score <= high):
            return None
        budget[0] -= 1
        try:
            return self.judge.p_supported(text, [verdict.best_window])
        except Exception as exc:  # noqa: BLE001 - a judge that fails must not fail the answer
            log.warning("LLM judge failed, the checker decides: %s", exc)
            budget[0] = 0
            return None

    def _needed(self, text: str, numbers: list[int], passages: list[Passage]) -> list[int]:
        """The cited passages the claim needs: one whose leaving out still leaves the claim supported is left out
        (a sentence citing [1][2][3] that [1] alone supports quoted two sentences that say nothing of it)."""
        needed = list(numbers)
        for n in reversed(numbers):  # the last cited first: the first is usually the model's main source
            rest = [m for m in needed if m != n]
            if rest and self.checker.check(text, [evidence(passages[m - 1]) for m in rest]).supported:
                needed = rest
        return needed

    def verify(self, raw_answer: str, passages: list[Passage],
               scope: list[int] | None = None, budget: list[int] | None = None) -> tuple[list[Verified], dict]:
        """Check every sentence against what it cites; re-attribute (within ``scope``: the passage
        numbers the model was shown, default all), drop or mark what fails. ``budget``: judge calls left, shared by
        the calls of one summary (default: a fresh ``judge_budget``)."""
        scope = scope or list(range(1, len(passages) + 1))
        summary = empty_summary()
        out: list[Verified] = []
        budget = budget if budget is not None else [self.judge_budget]
        for text, cited in split_cited(raw_answer):
            if len(words(text)) < MIN_CLAIM_WORDS:  # "HACKED." is a fragment, not a claim anything can support
                summary["dropped"] += 1
                continue
            # checked before the checker (a copy costs no judge call), against the sentences kept: a supported
            # sentence is not a repeat of one marked unsupported (mark mode refused such answers: a review)
            if repeats(text, [v.text for v in out if v.status != "unsupported"]):
                summary["repeated"] += 1
                continue
            valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
            verdict = self.checker.check(text, [evidence(passages[n - 1]) for n in valid]) if valid else None
            supported, score = (verdict.supported, verdict.score) if verdict else (False, 0.0)
            judged = self._judged(text, verdict, budget)
            if judged is not None:
                supported, score = judged >= 0.5, round(judged, 4)
            if supported and len(valid) > 1:
                valid = self._needed(text, valid, passages)
            status = "kept" if valid == list(dict.fromkeys(cited)) and supported else "fixed"
            if not supported:
                # Re-attribute to the passage that supports the sentence best, if any does.
                rejected = set(valid) if judged is not None else set()  # the judge has read those already
                scored = [(self.checker.check(text, [evidence(passages[n - 1])]), n) for n in scope if n not in rejected]
                best, number = max(scored, key=lambda s: s[0].score) if scored else (None, None)
                again = self._judged(text, best, budget) if best is not None else None
                found = again >= 0.5 if again is not None else best is not None and best.supported
                if again is not None:
                    best.score = round(again, 4)
                if found:
                    valid, score = [number], best.score
                elif self.mode == "drop":
                    summary["dropped"] += 1
                    continue
                else:
                    summary["marked"] += 1
                    out.append(Verified(text, [], score, "unsupported"))
                    continue
            summary[status] += 1
            out.append(Verified(text, valid, score, status))
        return out, summary

    def cite(self, verified: list[Verified], passages: list[Passage], book: CitationBook) -> list[AnswerSentence]:
        sentences = []
        for item in verified:
            numbers = []
            for n in item.passages:
                start, end = best_quote_span(passages[n - 1], item.text)
                numbers.append(book.cite(passages[n - 1], start, end))
            sentences.append(AnswerSentence(item.text, numbers, support=item.support, status=item.status))
        return sentences

    def apply(self, raw_answer: str, passages: list[Passage], mode_label: str = "llm") -> Answer:
        if REFUSAL_TOKEN in raw_answer or not raw_answer.strip():
            return Answer(answer=REFUSAL, answerable=False, citations=[], mode=mode_label,
                          refusal_reason="the model found no answer in the passages",
                          guard=empty_summary())
        verified, summary = self.verify(raw_answer, passages)
        book = CitationBook()
        sentences = self.cite(verified, passages, book)
        if not any(s.status in ("kept", "fixed") for s in sentences):
            return Answer(answer=REFUSAL, answerable=False, citations=[], sentences=sentences, mode=mode_label,
                          refusal_reason="no sentence of the model's answer is supported by the passages",
                          guard=summary)
        return Answer(answer=render_cited(sentences), answerable=True, citations=book.citations,
                      sentences=sentences, mode=mode_label, guard=summary)


def render_cited(sentences: list[AnswerSentence]) -> str:
    return " ".join(
        f"{s.text} " + "".join(f"[{n}]" for n in s.citations) if s.citations else f"{s.text} [unsupported]"
        for s in sentences
    )
