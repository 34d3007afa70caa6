"""Articles: add (JSON, NDJSON or files), list, read, delete."""

from __future__ import annotations

import json
from contextlib import aclosing
from dataclasses import asdict

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import (  # python-multipart's names as Starlette found them (the module was "multipart")
    FormParserError,
    MultiPartException,
    MultiPartParser,
    parse_options_header,
)

from app.api.deps import IngestServiceDep, RecordStoreDep, WriteTurnDep, get_services
from app.api.errors import ERRORS, ApiError
from app.api.schemas import (
    ArticleDetail,
    ArticleList,
    ArticleSummary,
    IngestItem,
    IngestResponse,
)
from app.api.security import ArticleIdPath, sanitise_html
from app.dependency_errors import RETRY_AFTER_S
from app.ingest.article import ArticleIn
from app.ingest.loaders import (
    UNREADABLE_JSON,
    LoadedRecord,
    UnpackBudget,
    UnpackedTooLarge,
    UnsupportedFile,
    decode_text,
    json_records,
    load_bytes,
    suffix_of,
)
from app.request_types import MAX_LIST_LIMIT, MAX_LIST_OFFSET
from app.store.models import StoredArticle

router = APIRouter(tags=["articles"])

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


class _Unterminated(MultiPartException):
    """A multipart body that ends before its closing boundary."""


class _WholeMultiPartParser(MultiPartParser):
    """Starlette's form parser (what request.form() runs, with its limits), refusing a body that stops before its
    closing boundary ``--b--``: python-multipart's finalize() does not check that (a TODO there), so a body cut off
    inside a file parsed as a form without that file and was answered "no files uploaded"; one cut off between two
    files would have lost the files after the cut without a word. An empty body stays an empty form."""

    ended = False
    received = 0

    def on_end(self) -> None:  # python-multipart calls it on the closing boundary, and only there
        self.ended = True

    async def _counted(self, stream):
        async for chunk in stream:
            self.received += len(chunk)
            yield chunk

    async def parse(self) -> FormData:
        self.stream = self._counted(self.stream)
        form = await super().parse()
        if self.received and not self.ended:
            await form.close()
            for file in getattr(self, "_files_to_close_on_error", ()):  # the part cut off, which the form lacks
                file.close()
            raise _Unterminated(f"the closing boundary --{_boundary(self.headers)}-- is missing: the body ends "
                                "before the form does (cut off in transit?)")
        return form


def _boundary(headers) -> str:
    boundary = parse_options_header(headers.get("content-type", ""))[1].get(b"boundary", b"")
    return boundary.decode("latin-1")


async def _multipart_form(request: Request) -> FormData:
    """The uploaded form; a body that is not well-formed multipart is a 400 saying so (as malformed JSON is), not
    "no files uploaded" (a 422, for a well-formed form without files)."""
    try:
        async with aclosing(request.stream()) as stream:
            return await _WholeMultiPartParser(request.headers, stream).parse()
    except MultiPartException as exc:
        if isinstance(exc, _Unterminated):
            detail = exc.message
        elif isinstance(exc.__cause__, FormParserError):  # Starlette's "Invalid multipart data." hides the why
            detail = (f"not multipart data framed by the Content-Type's boundary {_boundary(request.headers)!r}: "
                      f"{exc.__cause__}")
        elif exc.message.startswith("Missing boundary"):
            detail = "the Content-Type multipart/form-data has no boundary parameter (e.g. '; boundary=xx')"
        else:  # a limit (too many files or fields, a field too large): not malformed; Starlette's own 400
            raise HTTPException(400, exc.message) from exc
        raise ApiError(400, "malformed multipart body", detail) from exc


async def _records_from_request(request: Request) -> list[LoadedRecord]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        unpacking = UnpackBudget(UNPACKED_PER_BODY_BYTE * get_services(request).settings.max_body_bytes)
        form = await _multipart_form(request)
        try:
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
                records.extend(await run_in_threadpool(_loaded, name, await upload.read(), unpacking))
        except UnpackedTooLarge as exc:
            raise ApiError(413, "request body too large", f"{exc} (at most {UNPACKED_PER_BODY_BYTE} times "
                                                          "CITEWIRE_MAX_BODY_BYTES, together)") from exc
        finally:
            await form.close()  # the spooled upload files, once read (nothing closed them)
        return records
    body = await request.body()
    if content_type in ("application/x-ndjson", "application/jsonl"):
        return await run_in_threadpool(_loaded, "request.jsonl", body)
    if content_type in ("application/json", ""):
        return await run_in_threadpool(_loaded_json, body)
    raise ApiError(415, "unsupported media type",
                   f"{content_type!r}: send application/json, application/x-ndjson or multipart/form-data")


# How the ingest service words failures of the embedder or the stores (not of the input): a 503, not a 422.
_DEPENDENCY_FAILURES = ("embedding failed", "store write failed")


# A .jsonl.gz upload may unpack to this many times the request-body limit (news JSONL compresses 3-5 times); the
# body limit alone let a 200 KB gzip of one 190 MB line through.
UNPACKED_PER_BODY_BYTE = 10


def _loaded(name: str, data: bytes, unpacking: UnpackBudget | None = None) -> list[LoadedRecord]:
    """The upload's records, parsed off the event loop: sanitising and extracting a large page takes CPU time."""
    return list(load_bytes(name, _sanitised(name, data), unpacking))


def _loaded_json(body: bytes) -> list[LoadedRecord]:
    """Malformed JSON is a 400 of its own; parsed once, off the event loop (a 20 MB body takes ~40 ms)."""
    try:
        data = json.loads(body)
    except UNREADABLE_JSON as exc:  # the loader's own reading of unreadable JSON
        raise ApiError(400, "malformed JSON", str(exc) or type(exc).__name__) from exc
    return list(json_records("request.json", data))


def _sanitised(name: str, data: bytes) -> bytes:
    """HTML uploads lose scripts, styles, frames and event handlers before their text is extracted."""
    if suffix_of(name) not in (".html", ".htm"):
        return data
    text = decode_text(data)  # as the loader decodes it: UTF-8, else a legacy encoding (then sent on as UTF-8)
    return data if text is None else sanitise_html(text).encode()  # None: the loader reports it as not text


@router.post("/v1/articles", response_model=IngestResponse, responses=ERRORS,
             summary="Add or replace articles (idempotent: identical content changes nothing)",
             openapi_extra=_INGEST_BODY)
async def add_articles(request: Request, ingest: IngestServiceDep, turn: WriteTurnDep, response: Response) -> IngestResponse:
    records = await _records_from_request(request)
    if not records:
        raise ApiError(422, "no articles in the request", None)
    report = await _write(turn, ingest.ingest, records)
    result = IngestResponse(
        **report.counts, chunks_written=report.chunks_written,
        results=[IngestItem(**asdict(o)) for o in report.outcomes], warnings=report.warnings,
    )
    if report.counts["failed"] and report.counts["failed"] == len(report.outcomes):
        if any((o.error or "").startswith(_DEPENDENCY_FAILURES) for o in report.outcomes):
            raise ApiError(503, "dependency unavailable", [i.model_dump() for i in result.results],
                           headers={"Retry-After": str(RETRY_AFTER_S)})  # as every other 503 of a store that is down
        raise ApiError(422, "no article could be ingested", [i.model_dump() for i in result.results])
    if report.counts["added"]:
        response.status_code = 201
    return result


def _summary(article: StoredArticle) -> dict:
    return {"id": article.id, "title": article.title, "source": article.source, "url": article.url,
            "published_at": article.published_at, "content_hash": article.content_hash,
            "ingested_at": article.ingested_at, "chunks": article.n_chunks}


_LIST_PARAMETERS = ("limit", "offset", "source")


def _known_list_parameters(request: Request) -> None:
    """A misspelt filter ("sources=") was ignored and every article listed: refuse it, as unknown body fields are."""
    unknown = sorted(set(request.query_params) - set(_LIST_PARAMETERS))
    if unknown:
        raise ApiError(422, "unknown query parameter", f"{', '.join(unknown)} (known: {', '.join(_LIST_PARAMETERS)})")


@router.head("/v1/articles", include_in_schema=False, dependencies=[Depends(_known_list_parameters)])  # RFC 9110 9.1
@router.get("/v1/articles", response_model=ArticleList, responses=ERRORS, summary="List stored articles",
            dependencies=[Depends(_known_list_parameters)])
def list_articles(
    records: RecordStoreDep,
    limit: int = Query(50, ge=1, le=MAX_LIST_LIMIT),
    offset: int = Query(0, ge=0, le=MAX_LIST_OFFSET, description="Articles to skip (bounded: SQLite integers are 64-bit)."),
    source: str | None = Query(None, description="Only this publisher."),
) -> ArticleList:
    articles, total = records.list_articles(limit=limit, offset=offset, source=source)
    return ArticleList(total=total, limit=limit, offset=offset, articles=[ArticleSummary(**_summary(a)) for a in articles])


@router.head("/v1/articles/{article_id}", include_in_schema=False)  # HEAD wherever GET: RFC 9110 9.1
@router.get("/v1/articles/{article_id}", response_model=ArticleDetail, responses=ERRORS,
            summary="One article with its full text")
def get_article(article_id: ArticleIdPath, records: RecordStoreDep) -> ArticleDetail:
    article = records.get_article(article_id)
    if article is None:
        raise ApiError(404, "article not found", article_id)
    return ArticleDetail(**_summary(article), text=article.text)


@router.delete("/v1/articles/{article_id}", responses=ERRORS, summary="Remove an article and its chunks")
async def delete_article(article_id: ArticleIdPath, ingest: IngestServiceDep, turn: WriteTurnDep) -> dict:
    if not await _write(turn, ingest.delete, article_id):
        raise ApiError(404, "article not found", article_id)
    return {"deleted": article_id}


async def _write(turn: anyio.CapacityLimiter, write, *args):
    """Run a write on a worker thread once it is this request's turn (app/api/deps.get_write_turn)."""
    return await anyio.to_thread.run_sync(write, *args, limiter=turn)
