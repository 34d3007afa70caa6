"""Routes: parse, call one service, shape the response. No business logic lives here."""

from __future__ import annotations

import json
from dataclasses import asdict

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from app.answer.models import Answer
from app.api.deps import (
    AnswerServiceDep,
    CondenserDep,
    IngestServiceDep,
    RecordStoreDep,
    RetrievalServiceDep,
    ServicesDep,
    SummarizeServiceDep,
)
from app.api.errors import ApiError
from app.api.schemas import (
    ArticleDetail,
    ArticleList,
    ArticleSummary,
    AskRequest,
    AskResponse,
    ChatRequest,
    ChatResponse,
    ErrorResponse,
    IngestItem,
    IngestResponse,
    PassageOut,
    SearchRequest,
    SearchResponse,
    SummarizeRequest,
    SummarizeResponse,
)
from app.ingest.article import ArticleIn
from app.ingest.loaders import LoadedRecord, UnsupportedFile, load_bytes, suffix_of
from app.store.models import StoredArticle
from app.summarize.service import ArticleNotFound

ERRORS = {400: {"model": ErrorResponse}, 404: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
          415: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}

router = APIRouter()


@router.get("/healthz", tags=["health"], summary="Liveness: the process answers")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", tags=["health"], summary="Readiness: the record and the vector store answer")
def readyz(services: ServicesDep, response: Response) -> dict:
    try:
        services.records.ping()
        services.vectors.ping()
        articles, chunks = services.records.count()
    except Exception as exc:  # a store that cannot answer makes us unready, not broken
        response.status_code = 503
        return {"status": "unavailable", "detail": f"{type(exc).__name__}: {exc}"}
    return {"status": "ready", "articles": articles, "chunks": chunks}


@router.post("/v1/search", response_model=SearchResponse, responses=ERRORS, tags=["ask"],
             summary="Ranked passages for a query (hybrid BM25 + dense)")
def search(body: SearchRequest, retrieval: RetrievalServiceDep) -> SearchResponse:
    try:
        passages = retrieval.search(
            body.query, top_k=body.top_k, filters=body.filters.to_filters() if body.filters else None,
            as_of=body.as_of, mode=body.mode,
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

    ``finish`` turns the last event's payload into the final JSON (default: an AskResponse)."""
    finish = finish or (lambda payload: answer_response(payload).model_dump())

    async def body():
        iterator = iter(events)
        try:
            while True:
                if await request.is_disconnected():
                    return
                item = await run_in_threadpool(next, iterator, None)
                if item is None:
                    return
                kind, payload = item
                if kind == "delta":
                    yield _sse("delta", {"text": payload})
                else:
                    final = finish(payload) | (extra or {})
                    yield _sse("citations", final["citations"])
                    yield _sse("final", final)
        finally:
            await run_in_threadpool(getattr(iterator, "close", lambda: None))

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


_STREAM_DOC = {"200": {"content": {"text/event-stream": {"schema": {"type": "string", "description":
    "With stream=true: `event: delta` ({text}) while generating, then `event: citations` (list), "
    "then `event: final` (the full response)."}}}}}


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
    question = condenser.standalone([m.model_dump() for m in body.messages])
    filters = body.filters.to_filters() if body.filters else None
    if body.stream:
        return stream_answer(request, answers.stream(question, top_k=body.top_k, filters=filters, as_of=body.as_of),
                             {"standalone_question": question})
    answer = answers.ask(question, top_k=body.top_k, filters=filters, as_of=body.as_of)
    return ChatResponse(**answer_response(answer).model_dump(), standalone_question=question)


@router.post("/v1/summarize", response_model=SummarizeResponse, responses={**ERRORS, **_STREAM_DOC},
             tags=["summarize"], summary="Summarise one article, several, or a topic; every sentence cited")
def summarize(body: SummarizeRequest, request: Request, summaries: SummarizeServiceDep):
    try:
        if body.topic:
            result = summaries.summarize_topic(
                body.topic.strip(), max_words=body.max_words, filters=body.filters.to_filters() if body.filters else None
            )
        else:
            result = summaries.summarize_articles(body.article_ids or [body.article_id], max_words=body.max_words)
    except ArticleNotFound as exc:
        raise ApiError(404, "article not found", str(exc)) from exc
    if body.stream:  # the summary is verified first; its sentences then stream as events
        events = [("delta", s.text + " " + "".join(f"[{n}]" for n in s.citations) + " ") for s in result.sentences]
        return stream_answer(request, [*events, ("summary", result)],
                             finish=lambda r: SummarizeResponse.model_validate(asdict(r)).model_dump())
    return SummarizeResponse.model_validate(asdict(result))


# --- articles -------------------------------------------------------------------------------

_ARTICLE_SCHEMA = ArticleIn.model_json_schema()
_INGEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"oneOf": [
                _ARTICLE_SCHEMA,
                {"type": "array", "items": _ARTICLE_SCHEMA},
                {"type": "object", "properties": {"articles": {"type": "array", "items": _ARTICLE_SCHEMA}}},
            ]}},
            "application/x-ndjson": {"schema": {"type": "string", "description": "One ArticleIn JSON object per line."}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {"files": {
                "type": "array", "items": {"type": "string", "format": "binary"},
                "description": ".txt .md .html .json .jsonl .jsonl.gz (id = file name without suffix for single-article files)",
            }}}},
        },
    }
}


async def _records_from_request(request: Request) -> list[LoadedRecord]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        uploads = [v for v in form.getlist("files") + form.getlist("file") if hasattr(v, "filename")]
        if not uploads:
            raise ApiError(422, "no files uploaded", "send one or more files in the 'files' form field")
        records: list[LoadedRecord] = []
        for upload in uploads:
            name = upload.filename or ""
            try:
                suffix_of(name)
            except UnsupportedFile as exc:
                raise ApiError(415, "unsupported file type", str(exc)) from exc
            records.extend(load_bytes(name, await upload.read()))
        return records
    body = await request.body()
    if content_type in ("application/x-ndjson", "application/jsonl"):
        return list(load_bytes("request.jsonl", body))
    if content_type in ("application/json", ""):
        try:
            json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ApiError(400, "malformed JSON", str(exc)) from exc
        return list(load_bytes("request.json", body))
    raise ApiError(415, "unsupported media type",
                   f"{content_type!r}: send application/json, application/x-ndjson or multipart/form-data")


@router.post("/v1/articles", response_model=IngestResponse, responses=ERRORS, tags=["articles"],
             summary="Add or replace articles (idempotent: identical content changes nothing)",
             openapi_extra=_INGEST_BODY)
async def add_articles(request: Request, ingest: IngestServiceDep, response: Response) -> IngestResponse:
    records = await _records_from_request(request)
    if not records:
        raise ApiError(422, "no articles in the request", None)
    report = await run_in_threadpool(ingest.ingest, records)
    result = IngestResponse(
        **report.counts, chunks_written=report.chunks_written,
        results=[IngestItem(**asdict(o)) for o in report.outcomes],
    )
    if report.counts["failed"] and report.counts["failed"] == len(report.outcomes):
        raise ApiError(422, "no article could be ingested", [i.model_dump() for i in result.results])
    if report.counts["added"]:
        response.status_code = 201
    return result


def _summary(article: StoredArticle) -> dict:
    return {"id": article.id, "title": article.title, "source": article.source, "url": article.url,
            "published_at": article.published_at, "content_hash": article.content_hash,
            "ingested_at": article.ingested_at, "chunks": article.n_chunks}


@router.get("/v1/articles", response_model=ArticleList, tags=["articles"], summary="List stored articles")
def list_articles(
    records: RecordStoreDep,
    limit: int = Query(50, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    source: str | None = Query(None, description="Only this publisher."),
) -> ArticleList:
    articles, total = records.list_articles(limit=limit, offset=offset, source=source)
    return ArticleList(total=total, limit=limit, offset=offset, articles=[ArticleSummary(**_summary(a)) for a in articles])


@router.get("/v1/articles/{article_id}", response_model=ArticleDetail, responses=ERRORS, tags=["articles"],
            summary="One article with its full text")
def get_article(article_id: str, records: RecordStoreDep) -> ArticleDetail:
    article = records.get_article(article_id)
    if article is None:
        raise ApiError(404, "article not found", article_id)
    return ArticleDetail(**_summary(article), text=article.text)


@router.delete("/v1/articles/{article_id}", responses=ERRORS, tags=["articles"], summary="Remove an article and its chunks")
def delete_article(article_id: str, ingest: IngestServiceDep) -> dict:
    if not ingest.delete(article_id):
        raise ApiError(404, "article not found", article_id)
    return {"deleted": article_id}
