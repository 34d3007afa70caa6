"""Search, ask, chat and summarise: parse, call one service, shape the response."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import anyio
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from app.answer.models import Answer
from app.answer.service import ReadingPicker
from app.api.deps import (
    AnswerServiceDep,
    CondenserDep,
    RetrievalServiceDep,
    SummarizeServiceDep,
)
from app.api.errors import ERRORS, ApiError, dependency_failure
from app.api.schemas import (
    AskRequest,
    AskResponse,
    ChatRequest,
    ChatResponse,
    PassageOut,
    SearchRequest,
    SearchResponse,
    SummarizeRequest,
    SummarizeResponse,
)
from app.summarize.service import ArticleNotFound, rendered_sentence

log = logging.getLogger(__name__)
router = APIRouter()


@router.post("/v1/search", response_model=SearchResponse, responses=ERRORS, tags=["ask"],
             summary="Ranked passages for a query (hybrid BM25 + dense)")
def search(body: SearchRequest, retrieval: RetrievalServiceDep) -> SearchResponse:
    per_article = retrieval.settings.search_per_article if body.per_article is None else body.per_article
    try:
        passages = retrieval.search(
            body.query, top_k=body.top_k, filters=body.filters.to_filters() if body.filters else None,
            as_of=body.as_of, mode=body.mode, per_article=per_article,
        )
    except ValueError as exc:
        raise ApiError(422, "invalid request", str(exc)) from exc
    return SearchResponse(query=body.query, as_of=body.as_of, results=[
        PassageOut(rank=i, **{k: v for k, v in asdict(p).items() if k not in ("bm25_rank", "dense_rank")})
        for i, p in enumerate(passages, start=1)
    ])


def answer_response(answer: Answer) -> AskResponse:
    return AskResponse.model_validate(asdict(answer))


def _sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def stream_answer(request: Request, events, extra: dict | None = None, finish=None) -> StreamingResponse:
    """Server-Sent Events: delta*, citations, final. A client that goes away stops generation.

    The first event is fetched before the response starts, so a failure there (the LLM is down)
    still leaves as the usual JSON error; a later one is sent as ``event: error`` ({error, detail}).
    Call it from a sync route (it blocks on the first event).
    ``finish`` turns the last event's payload into the final JSON (default: an AskResponse)."""
    finish = finish or (lambda payload: answer_response(payload).model_dump())
    iterator = iter(events)
    first = next(iterator, None)

    async def body():
        item = first
        try:
            while item is not None:
                kind, payload = item
                if kind == "delta":
                    yield _sse("delta", {"text": payload})
                else:
                    final = finish(payload) | (extra or {})
                    yield _sse("citations", final["citations"])
                    yield _sse("final", final)
                if await request.is_disconnected():
                    return
                item = await run_in_threadpool(next, iterator, None)
        except Exception as exc:  # noqa: BLE001 - the status line is sent; the error travels as an event
            known = dependency_failure(exc, mid_stream=True)  # the first event was fetched before the stream
            if known is None:
                log.exception("streamed answer failed")
                known = 500, "internal error", type(exc).__name__
            else:
                log.warning("streamed answer failed: %s", known[2])
            yield _sse("error", {"error": known[1], "detail": known[2]})
        finally:
            # Shielded: after a client cancels, an unshielded await here is cancelled too and the
            # model stream would never be closed (generation would run on to the end).
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(getattr(iterator, "close", lambda: None))

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


_STREAM_DOC = {"200": {"content": {"text/event-stream": {"schema": {"type": "string", "description":
    "With stream=true: `event: delta` ({text}) while generating, then `event: citations` (list), "
    "then `event: final` (the full response); a failure after streaming began is `event: error` "
    "({error, detail}) and ends the stream."}}}}}


@router.post("/v1/ask", response_model=AskResponse, responses={**ERRORS, **_STREAM_DOC}, tags=["ask"],
             summary="Answer a question from the articles, every sentence cited, or refuse")
def ask(body: AskRequest, request: Request, answers: AnswerServiceDep):
    filters = body.filters.to_filters() if body.filters else None
    if body.stream:
        return stream_answer(request, answers.stream(body.question, top_k=body.top_k, filters=filters, as_of=body.as_of))
    return answer_response(answers.ask(body.question, top_k=body.top_k, filters=filters, as_of=body.as_of))


@router.post("/v1/chat", response_model=ChatResponse, responses={**ERRORS, **_STREAM_DOC}, tags=["ask"],
             summary="Chat-style follow-ups: the conversation travels with each request")
def chat(body: ChatRequest, request: Request, answers: AnswerServiceDep, condenser: CondenserDep):
    filters = body.filters.to_filters() if body.filters else None
    picker = ReadingPicker(answers, body.top_k, filters, body.as_of)  # answers the reading it picks only once
    turn = condenser.condense([m.model_dump() for m in body.messages], picker)
    if body.stream:
        return stream_answer(request, picker.stream(turn.question, turn.outage), {"standalone_question": turn.question})
    answer = picker.ask(turn.question, turn.outage)
    return ChatResponse(**answer_response(answer).model_dump(), standalone_question=turn.question)


@router.post("/v1/summarize", response_model=SummarizeResponse, responses={**ERRORS, **_STREAM_DOC},
             tags=["summarize"], summary="Summarise one article, several, or a topic; every sentence cited")
def summarize(body: SummarizeRequest, request: Request, summaries: SummarizeServiceDep):
    try:
        if body.topic:  # already checked and stripped (SummarizeRequest, by the summarize service's check)
            result = summaries.summarize_topic(
                body.topic, max_words=body.max_words, filters=body.filters.to_filters() if body.filters else None,
                as_of=body.as_of,
            )
        else:
            result = summaries.summarize_articles(body.article_ids or [body.article_id], max_words=body.max_words)
    except ArticleNotFound as exc:
        raise ApiError(404, "article not found", str(exc)) from exc
    if body.stream:  # the summary is verified first; its sentences then stream as events
        # each sentence as the summary shows it (a conflict note's markers were sent twice: "[2]. [1][2]")
        # a refusal has no sentences: its text is the one delta, as /v1/ask streams a refusal
        events = [("delta", rendered_sentence(s) + " ") for s in result.sentences] or [("delta", result.summary)]
        return stream_answer(request, [*events, ("summary", result)],
                             finish=lambda r: SummarizeResponse.model_validate(asdict(r)).model_dump())
    return SummarizeResponse.model_validate(asdict(result))
