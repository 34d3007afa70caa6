"""Ask: retrieve, then answer with the LLM when one is configured, else extractively."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone

from app.answer.chat import pleasantry
from app.answer.extractive import ExtractiveAnswerer, missing_names, refusal
from app.answer.llm import LLMAnswerer
from app.answer.models import Answer
from app.answer.selection import LearnedAnswerer, question_years, speaks_of
from app.llm.status import LLMStatus
from app.retrieval.service import Passage, RetrievalService
from app.store.models import Filters
from app.text import named


def within_filters(filters: Filters | None, as_of) -> str:
    """What narrowed the search, said with the refusal: "--source Nope" was refused as if the index were empty
    (a topic summary says it too: "Derna" as of before its article read as if no article covered it)."""
    def listed(values: list[str]) -> str:  # up to 100 ids may be given: a refusal names a few
        return ", ".join(values[:3]) + (f" and {len(values) - 3} more" if len(values) > 3 else "")

    named = []
    if filters is not None:
        named += [f"sources {listed(filters.sources)}"] if filters.sources else []
        named += [f"articles {listed(filters.article_ids)}"] if filters.article_ids else []
        named += ["a date range"] if filters.published_from_ts is not None or filters.published_to_ts is not None else []
    named += [f"as of {_day(as_of)}"] if as_of is not None else []
    return f" within the filters ({'; '.join(named)})" if named else ""


def _day(as_of: date | datetime) -> str:
    """The day as the retrieval layer reads it, in UTC ("2024-05-04T01:00:00+05:00" is 2024-05-03); isoformat, as
    "%Y" wrote year 1 as "1"."""
    if isinstance(as_of, datetime):
        as_of = (as_of.astimezone(timezone.utc) if as_of.tzinfo else as_of).date()
    return as_of.isoformat()


class AnswerService:
    def __init__(self, retrieval: RetrievalService, extractive: ExtractiveAnswerer, top_k: int,
                 llm: LLMAnswerer | None = None, llm_passages: int = 3, llm_fallback: bool = True,
                 llm_status: LLMStatus | None = None) -> None:
        self.retrieval = retrieval
        self.llm_status = llm_status or LLMStatus("extractive")
        self.llm_fallback = llm_fallback
        self.extractive = extractive
        self.top_k = top_k
        self.llm = llm
        self.llm_passages = llm_passages

    @property
    def mode(self) -> str:
        return "llm" if self.llm else "extractive"

    def _passages(self, question, top_k, filters, as_of) -> tuple[list[Passage], Answer | None]:
        if pleasantry(question):  # "thanks" quoted Shoigu's thanks to North Korea
            return [], refusal("the message asks no question")
        passages = self.retrieval.search(question, top_k=top_k or self.top_k, filters=filters, as_of=as_of)
        if not passages:
            return passages, refusal("no passage in the index matches the question" + within_filters(filters, as_of))
        learned = isinstance(self.extractive, LearnedAnswerer) and not self.llm  # weighs missing names itself
        missing = set() if learned else missing_names(question, passages)
        if missing:  # the same pre-check on both paths: no passage names who the question asks about
            return passages, refusal(f"the passages never mention {named(sorted(missing))}"
                                     + within_filters(filters, as_of))
        years = question_years(question) if self.llm else set()
        if years:  # the learned answerer's year rule, for the LLM's context (and its extractive fallback)
            passages = [p for p in passages if speaks_of(p.article_id, years, passages)]
            if not passages:
                return passages, refusal(f"no passage speaks of {', '.join(sorted(years))}"
                                         + within_filters(filters, as_of))
        return passages, None

    def likelier(self, readings: list[str], top_k: int | None = None, filters: Filters | None = None,
                 as_of: date | datetime | None = None) -> tuple[str, Answer | None]:
        """Of readings of one chat turn (as typed, then with the conversation's names), the first the passages answer
        by the extractive answerer's rule, else the first: a guess that reads the articles, not the wording.
        Without an LLM that rule is ``ask`` itself, so the answer comes back too (None with an LLM, which answers
        the chosen reading its own way): the route need not retrieve and select again."""
        first: Answer | None = None
        for reading in readings:
            if self.llm is None:
                answer = self.ask(reading, top_k, filters, as_of)
                first = first or answer
                if answer.answerable:
                    return reading, answer
                continue
            passages = self.retrieval.search(reading, top_k=top_k or self.top_k, filters=filters, as_of=as_of)
            if passages and self.extractive.answer(reading, passages).answerable:
                return reading, None
        return readings[0], first

    def ask(self, question: str, top_k: int | None = None, filters: Filters | None = None,
            as_of: date | datetime | None = None, outage: tuple[str, bool] | None = None) -> Answer:
        """``outage``: (reason, tried) when the chat turn was read without the LLM (app/answer/chat.py Turn)."""
        passages, early = self._passages(question, top_k, filters, as_of)
        if early is not None:
            early.mode = self.mode
            return early
        if self.llm:
            skip = self._skip(outage)
            if skip is not None:  # the LLM failed moments ago: not asked (and waited on) again
                return self._outage_fallback(question, passages, *skip, called=False)
            try:
                answer = self.llm.answer(question, self.llm_context(question, passages))
            except Exception as exc:
                reason = self.llm_status.failed(exc)
                if reason is None:  # not an outage, or CITEWIRE_LLM_OUTAGE_FALLBACK=error: the 503/502 as before
                    raise
                return self._outage_fallback(question, passages, reason, tried=True)
            self.llm_status.succeeded()
            return self._or_extractive(answer, question, passages)
        return _scoped(self.extractive.answer(question, passages), filters, as_of)

    def _skip(self, outage: tuple[str, bool] | None) -> tuple[str, bool] | None:
        """(reason, tried) when this answer goes without the LLM: its chat turn was read without it (the turn's
        answer says so, whatever the LLM's state now), or the LLM is cooling down after an outage. Else None."""
        if outage is not None:
            return outage
        cooling = self.llm_status.cooling()
        return None if cooling is None else (cooling, False)

    def _outage_fallback(self, question: str, passages: list[Passage], reason: str, tried: bool,
                         called: bool | None = None) -> Answer:
        """The LLM is down (CITEWIRE_LLM_OUTAGE_FALLBACK=extractive): the extractive answer, which needs no model,
        saying that it is one and why in ``fallback``. A refusal of the extractive answerer stays a refusal.
        ``tried`` is the request's (its chat turn's rewrite may have called the LLM); ``called``, for the metric,
        whether this answer step did (default ``tried``): the rewrite's own call is counted as ``condense``."""
        answer = self.extractive.answer(question, passages)
        answer.mode = "extractive"
        answer.fallback = self.llm_status.fell_back(reason, tried, called=called)
        return answer

    def _or_extractive(self, answer: Answer, question: str, passages: list[Passage]) -> Answer:
        """When the guard left nothing of the LLM's answer (or the model found nothing), the verbatim
        extractive answer is still checked-by-construction: give that rather than refuse. On the 2024
        split this is what separates the LLM path's refusals from the extractive one's (docs/llm.md)."""
        if answer.answerable or not self.llm_fallback:
            return answer
        fallback = self.extractive.answer(question, passages)
        if not fallback.answerable:
            return answer
        fallback.mode = "extractive"
        fallback.guard = (answer.guard or {}) | {"fallback": "extractive", "llm_refusal_reason": answer.refusal_reason}
        fallback.usage = answer.usage
        return fallback

    def llm_context(self, question: str, passages: list[Passage]) -> list[Passage]:
        """Fewer, better passages for the LLM: excerpts around the best-ranked sentences (app/answer/llm.py),
        else the passages holding the sentences the learned selector ranks best."""
        excerpts = self.llm.context(question, passages, self.extractive, self.llm_passages) if self.llm else None
        if excerpts:
            return excerpts
        if isinstance(self.extractive, LearnedAnswerer):
            return self.extractive.best_passages(question, passages, self.llm_passages)[0]
        return passages[: self.llm_passages]

    def stream(self, question: str, top_k: int | None = None, filters: Filters | None = None,
               as_of: date | datetime | None = None, answered: Answer | None = None,
               outage: tuple[str, bool] | None = None) -> Iterator[tuple[str, object]]:
        """("delta", text)* then ("answer", Answer); the extractive path streams its sentences.
        ``answered``: the extractive answer to ``question`` already made (``likelier``), streamed as it is.
        ``outage``: as ``ask``'s."""
        if answered is not None and self.llm is None:
            yield from _streamed(answered)
            return
        passages, early = self._passages(question, top_k, filters, as_of)
        if early is not None:
            early.mode = self.mode
            yield "delta", early.answer
            yield "answer", early
            return
        if self.llm:
            yield from self._llm_stream(question, passages, outage)
            return
        yield from _streamed(_scoped(self.extractive.answer(question, passages), filters, as_of))

    def _llm_stream(self, question: str, passages: list[Passage],
                    outage: tuple[str, bool] | None = None) -> Iterator[tuple[str, object]]:
        """The LLM's deltas, then its guarded answer; on an outage the extractive answer instead, streamed as the
        extractive path streams it when no delta was sent yet, else as the final answer alone (which replaces the
        deltas, as a guarded answer does)."""
        skip = self._skip(outage)
        if skip is not None:
            yield from _streamed(self._outage_fallback(question, passages, *skip, called=False))
            return
        sent = False
        try:
            for kind, value in self.llm.stream(question, self.llm_context(question, passages)):
                if kind == "answer":
                    self.llm_status.succeeded()
                    value = self._or_extractive(value, question, passages)
                sent = True
                yield kind, value
        except Exception as exc:
            reason = self.llm_status.failed(exc)
            if reason is None:
                raise
            fallback = self._outage_fallback(question, passages, reason, tried=True)
            if sent:
                yield "answer", fallback
            else:
                yield from _streamed(fallback)


_NEVER_MENTION = "the passages never mention "


def _scoped(answer: Answer, filters: Filters | None, as_of) -> Answer:
    """A refusal naming what the passages never mention says what narrowed them: "never mention kim" as of
    2023-09-01 read as if no indexed article did (three do, all published later)."""
    reason = answer.refusal_reason or ""
    scope = within_filters(filters, as_of)
    if answer.answerable or not scope or not reason.startswith(_NEVER_MENTION):
        return answer
    head, sep, tail = reason.partition(" (answerability")
    answer.refusal_reason = head + scope + sep + tail
    return answer


def _streamed(answer: Answer) -> Iterator[tuple[str, object]]:
    for sentence in answer.sentences or []:
        yield "delta", f"{sentence.text} [{sentence.citations[0]}] "
    if not answer.sentences:
        yield "delta", answer.answer
    yield "answer", answer


class ReadingPicker:
    """``pick`` for ``QuestionCondenser.standalone`` that keeps the answer ``likelier`` made for the reading it chose,
    so a chat route answers (or streams) that reading without retrieving and selecting again."""

    def __init__(self, answers: AnswerService, top_k: int | None = None, filters: Filters | None = None,
                 as_of: date | datetime | None = None) -> None:
        self.answers = answers
        self.options = {"top_k": top_k, "filters": filters, "as_of": as_of}
        self.chosen: tuple[str, Answer | None] | None = None

    def __call__(self, readings: list[str]) -> str:
        self.chosen = self.answers.likelier(readings, **self.options)
        return self.chosen[0]

    def _answered(self, question: str) -> Answer | None:
        return self.chosen[1] if self.chosen is not None and self.chosen[0] == question else None

    def ask(self, question: str, outage: tuple[str, bool] | None = None) -> Answer:
        """``outage``: the chat turn's (``QuestionCondenser.condense``), for the answer's ``fallback``."""
        return self._answered(question) or self.answers.ask(question, **self.options, outage=outage)

    def stream(self, question: str, outage: tuple[str, bool] | None = None) -> Iterator[tuple[str, object]]:
        return self.answers.stream(question, **self.options, answered=self._answered(question), outage=outage)
