"""OpenAI-compatible chat API: ``GET /v1/models`` and ``POST /v1/chat/completions``.

Any OpenAI client or chat UI can ask the corpus. The conversation goes through the same chat
path as ``/v1/chat`` (QuestionCondenser, then AnswerService); the reply's ``content`` carries
the ``[n]`` markers and a "Sources:" list (and a note when the LLM was down and the answer fell back to the
extractive one), ``message.citations`` the structured citations. Errors
on these routes use OpenAI's body, ``{"error": {"message", "type", "param", "code"}}``.

Streaming sends the *verified* answer: with an LLM, raw tokens are held back until the
faithfulness guard has checked them, because a chat client cannot take text back.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict

import anyio
import openai
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.answer.chat import Turn
from app.answer.models import Answer
from app.answer.render import fallback_note, with_note, with_reason, with_sources, without_sources
from app.answer.service import ReadingPicker
from app.api.deps import ServicesDep
from app.api.errors import dependency_failure, unreadable_body, wrong_content_type
from app.api.openai_schemas import (
    CITEWIRE_PARAMETERS,
    FILTER_FIELDS,
    MODEL_ID,
    ChatCompletion,
    ChatCompletionRequest,
    ModelCard,
    ModelList,
    OpenAIErrorResponse,
)
from app.offline import count_tokens
from app.request_types import MAX_QUESTION_CHARS, blank, error_message, question_text, search_text
from app.services import Services

log = logging.getLogger(__name__)

_STARTED = int(time.time())
_KEEPALIVE_SECONDS = 10.0


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.body = status, {"message": message, "type": type_, "param": param, "code": code}

    def response(self) -> JSONResponse:
        # a dependency that is down asks the client to retry, as the native routes' 503 does
        headers = {"Retry-After": "5"} if self.status == 503 else None
        return JSONResponse({"error": self.body}, status_code=self.status, headers=headers)


def _validation_error(exc: RequestValidationError) -> OpenAIError:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return OpenAIError(400, "We could not parse the JSON body of your request.", code="invalid_json")
    # one error per field: a union field (content: str or parts) fails once per member, and pydantic names the
    # member in its path ("messages.0.content.str", "…list[ContentPart]"), which is no parameter a client sent
    # (a member failing deeper, content: [{"text": 5}], is the one that says what is wrong)
    tags = _union_branches(errors)
    fields = [(_param(e, tags), e) for e in errors]
    by_field: dict[str, list[dict]] = {}
    for param, e in fields:
        branch_end = tuple(map(str, e.get("loc", ()))) in tags
        if branch_end and any(p.startswith(param + ".") for p, _ in fields):
            continue
        by_field.setdefault(param, []).append(e)
    message = "; ".join(f"{param or 'body'}: {_field_message(same, tags)}" for param, same in by_field.items())
    return OpenAIError(400, message or "invalid request", code="invalid_value", param=next(iter(by_field), None) or None)


_UNION_MEMBER = re.compile(r"^(?:str|int|float|bool|none|list\[.*\]|dict\[.*\]|[A-Z]\w*)$")
_MEMBER_NAMES = {"str": "a string", "none": "null", "int": "an integer", "float": "a number", "bool": "true or false"}


def _union_branches(errors: list[dict]) -> set[tuple[str, ...]]:
    """Paths (up to and including the member's name) where pydantic tried a union's members: two errors that share
    a path and then part at member-like names. Only there is a part dropped: a client's own key that looks like a
    type ("Sources" in filters, refused as unknown) stays in the path."""
    # an unknown key ends its error's path: that last part is the client's, never a member
    paths = [(tuple(map(str, e.get("loc", ()))), e.get("type") == "extra_forbidden") for e in errors]
    branches = set()
    for a, a_extra in paths:
        for b, b_extra in paths:
            i = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), None)
            if i is None or (a_extra and i == len(a) - 1) or (b_extra and i == len(b) - 1):
                continue
            if _UNION_MEMBER.match(a[i]) and _UNION_MEMBER.match(b[i]):
                branches.update({a[:i + 1], b[:i + 1]})
    return branches


def _param(error: dict, branches: set[tuple[str, ...]]) -> str:
    loc = tuple(map(str, error.get("loc", ())))
    return ".".join(part for j, part in enumerate(loc) if j and loc[:j + 1] not in branches)


def _field_message(same: list[dict], branches: set[tuple[str, ...]]) -> str:
    """A field that failed as every member of its union: say what it may be, once."""
    members = [str(e["loc"][-1]) for e in same if tuple(map(str, e.get("loc", ()))) in branches]
    if len(members) > 1 and len(members) == len(same):
        return "should be " + " or ".join(
            _MEMBER_NAMES.get(m, "a list of content parts" if m.startswith("list")
                              else "an object" if m.startswith("dict") else m) for m in members)
    return "; ".join(dict.fromkeys(error_message(e) for e in same))


class OpenAIRoute(APIRoute):
    """Every failure on these routes leaves in OpenAI's error shape, never as a stack trace."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                wrong_type = wrong_content_type(request, exc)
                if wrong_type is not None:  # as the native routes answer it, in OpenAI's shape
                    return OpenAIError(415, "Expected a JSON body (Content-Type: application/json), got "
                                       f"{wrong_type!r}.", code="unsupported_media_type").response()
                return _validation_error(exc).response()
            except OpenAIError as exc:
                return exc.response()
            except StarletteHTTPException as exc:  # FastAPI's own: a body it cannot parse (nested too deep)
                if exc.status_code >= 500:
                    raise
                reason = unreadable_body(exc)  # not UTF-8, nested too deep: said as the native routes say it
                if reason is not None:
                    return OpenAIError(400, f"We could not parse the JSON body of your request: {reason}.",
                                       code="invalid_json").response()
                return OpenAIError(exc.status_code, str(exc.detail), code="invalid_json" if exc.status_code == 400
                                   else None).response()
            except Exception as exc:  # noqa: BLE001 - the body must still be OpenAI-shaped
                return upstream_error(exc).response()

        return route


def upstream_error(exc: Exception, mid_stream: bool = False) -> OpenAIError:
    """503 when a dependency (the LLM endpoint, the Chroma server) is unreachable, 502 when the LLM
    endpoint answered an error, else 500 (logged with its stack)."""
    known = dependency_failure(exc, mid_stream)
    if known is None:
        log.exception("chat completion failed")
        status = 502 if isinstance(exc, openai.APIError) else 500
        return OpenAIError(status, f"Citewire could not answer: {type(exc).__name__}", "server_error",
                           "internal_error")
    status, error, detail = known
    log.warning("chat completion failed: %s", detail)
    return OpenAIError(status, f"Citewire could not answer: {error}: {detail}", "server_error",
                       error.replace(" ", "_"))


router = APIRouter(route_class=OpenAIRoute, tags=["openai"])
_ERRORS = {status: {"model": OpenAIErrorResponse} for status in (400, 404)}


def _model_card() -> ModelCard:
    return ModelCard(created=_STARTED)


@router.head("/v1/models", include_in_schema=False)  # HEAD wherever GET: RFC 9110 9.1, as app/api/health.py
@router.get("/v1/models", response_model=ModelList, summary="OpenAI-compatible: the one model, citewire")
async def list_models() -> ModelList:
    return ModelList(data=[_model_card()])


@router.head("/v1/models/{model}", include_in_schema=False)
@router.get("/v1/models/{model}", response_model=ModelCard, responses=_ERRORS, summary="OpenAI-compatible: one model")
async def get_model(model: str) -> ModelCard:
    if model != MODEL_ID:
        raise _model_not_found(model)
    return _model_card()


def _model_not_found(model: str) -> OpenAIError:
    return OpenAIError(404, f"The model `{model}` does not exist; use `{MODEL_ID}`.", code="model_not_found",
                       param="model")


def unsupported(body: ChatCompletionRequest) -> OpenAIError | None:
    """Parameters whose meaning Citewire would silently break are refused; the rest are ignored."""
    if body.n not in (None, 1):
        return OpenAIError(400, "Citewire returns one verified answer: n must be 1.", code="unsupported_value", param="n")
    if body.logprobs:
        return OpenAIError(400, "logprobs are not available: answers are quoted and verified, not sampled.",
                           code="unsupported_parameter", param="logprobs")
    if body.response_format and body.response_format.get("type") not in (None, "text"):
        return OpenAIError(400, "Only text responses are supported (the structured citations are in "
                                "message.citations).", code="unsupported_value", param="response_format")
    for param in ("tool_choice", "function_call"):
        if getattr(body, param) not in (None, "auto", "none"):
            return OpenAIError(400, "Citewire does not call tools; use its MCP server at /mcp to use it as one.",
                               code="unsupported_value", param=param)
    if any(m != "text" for m in body.modalities or []):
        return OpenAIError(400, "Citewire answers in text only.", code="unsupported_value", param="modalities")
    if body.model_extra.get("audio") is not None:
        return OpenAIError(400, "Citewire answers in text only.", code="unsupported_value", param="audio")
    for name in sorted(body.model_extra):
        meant = _meant(name)
        if meant is not None:
            where = f"filters: {{\"{meant}\": …}}" if meant in FILTER_FIELDS else meant
            return OpenAIError(400, f"Unrecognized request argument supplied: {name}. Did you mean {where}? Citewire's "
                                    f"own parameters are {', '.join(CITEWIRE_PARAMETERS)}.",
                               code="unknown_parameter", param=name)
    return None


def _meant(name: str) -> str | None:
    """The Citewire parameter or filter an unknown parameter name stands for ("filter", "sources", "topk"), else
    None. 0.8: every chat parameter of the openai SDK scores at most 0.75 against these ("stop", "top_p" ~ top_k)."""
    def key(text: str) -> str:
        return re.sub(r"[^a-z]", "", text.lower())

    for own in (*CITEWIRE_PARAMETERS, *FILTER_FIELDS):
        if difflib.SequenceMatcher(None, key(name), key(own)).ratio() >= 0.8:
            return own
    return None


def conversation(body: ChatCompletionRequest) -> list[dict]:
    """User and assistant turns as the condenser takes them; earlier Sources lists are dropped. Every turn is read
    as /v1/chat reads it (NFKC, app/request_types.search_text) and the question as every adapter reads one
    (question_text: NFKC, stripped, 1-2000 characters after both), so a full-width question is answered alike."""
    last = body.messages[-1]
    if last.role != "user":
        raise OpenAIError(400, "The last message must be the user's question.", code="invalid_value", param="messages")
    if blank(search_text(last.text())):  # as every route says it (a walkthrough read "must be the user's question")
        raise OpenAIError(400, "The question is empty: the last user message has no text.", code="invalid_value",
                          param="messages")
    try:
        question = question_text(last.text())
    except ValueError as exc:  # the only other refusal: longer than the cap once NFKC'd
        raise OpenAIError(400, f"The question is longer than {MAX_QUESTION_CHARS} characters.",
                          code="string_above_max_length", param="messages") from exc
    turns = []
    for message in body.messages[:-1]:
        if message.role not in ("user", "assistant"):
            continue
        text = search_text(message.text() if message.role == "user" else without_sources(message.text())).strip()
        if text:
            turns.append({"role": message.role, "content": text})
    return [*turns, {"role": "user", "content": question}]


def _citations(answer: Answer) -> list[dict]:
    return [asdict(c) for c in answer.citations]


def _info(answer: Answer, question: str) -> dict:
    return {"answerable": answer.answerable, "refusal_reason": answer.refusal_reason,
            "standalone_question": question, "mode": answer.mode, "guard": answer.guard,
            "fallback": answer.fallback}


def _usage(answer: Answer, turns: list[dict], content: str, encoding: str) -> dict:
    """The LLM's own counts when one ran; else token counts of the messages and the reply."""
    reported = answer.usage or {}
    prompt = reported.get("prompt_tokens")
    completion = reported.get("completion_tokens")
    if prompt is None or completion is None:
        prompt = sum(count_tokens(t["content"], encoding) for t in turns)
        completion = count_tokens(content, encoding)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _content(answer: Answer) -> str:
    """What a chat UI shows, which is ``content`` alone: the cited answer with its sources, or a refusal with why
    (``citewire.refusal_reason`` holds the reason too, for clients that read it); when the LLM was down, a last line
    saying the answer was made without it (``citewire.fallback`` holds why too), else a quote-only answer is a
    mystery in a chat UI."""
    if not answer.answerable:
        text = with_reason(answer.answer, answer.refusal_reason)
    else:
        text = with_sources(answer.answer, answer.citations)
    return with_note(text, fallback_note(answer.fallback))


def _fingerprint(answer: Answer) -> str:
    return f"citewire-{__version__}-{answer.mode}"


@router.post("/v1/chat/completions", response_model=ChatCompletion, responses={
    **_ERRORS, "200": {"content": {"text/event-stream": {"schema": {"type": "string", "description":
        "With stream=true: `data: {chat.completion.chunk}` events, the last one carrying finish_reason, "
        "`citations` and `citewire` in its delta, then (with stream_options.include_usage) a usage chunk, "
        "then `data: [DONE]`."}}}}},
    summary="OpenAI-compatible chat: cited answers from the articles, or a refusal")
async def chat_completions(body: ChatCompletionRequest, request: Request, services: ServicesDep) -> Response:
    if body.model != MODEL_ID:
        raise _model_not_found(body.model)
    problem = unsupported(body)
    if problem is not None:
        raise problem
    turns = conversation(body)
    options = {"top_k": body.top_k, "filters": body.filters.to_filters() if body.filters else None,
               "as_of": body.as_of}
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    picker = ReadingPicker(services.answers, **options)  # answers the reading it picks only once

    def condense() -> Turn:
        return services.condenser.condense(turns, picker)

    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        # The first event is awaited before the response starts: an LLM that is down is a 503, not a 200.
        turn = await run_in_threadpool(condense)
        question = turn.question
        iterator = iter(picker.stream(question, turn.outage))
        first = await run_in_threadpool(next, iterator, None)
        return StreamingResponse(
            _chunks(request, services, turns, question, iterator, first, completion_id, created, include_usage),
            media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    turn = await run_in_threadpool(condense)
    question = turn.question
    answer = await run_in_threadpool(picker.ask, question, turn.outage)
    content = _content(answer)
    return JSONResponse({
        "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
        "system_fingerprint": _fingerprint(answer),
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "message": {
            "role": "assistant", "content": content, "refusal": None,
            "citations": _citations(answer), "citewire": _info(answer, question)}}],
        "usage": _usage(answer, turns, content, services.settings.encoding_name),
    })


def _sse(data: dict | str) -> bytes:
    return f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n".encode()


def pieces(content: str) -> list[str]:
    """Word-sized pieces whose concatenation is exactly ``content``."""
    return re.findall(r"\s*\S+\s*", content) or [content]


async def _chunks(request: Request, services: Services, turns: list[dict], question: str, iterator, first,
                  completion_id: str, created: int, include_usage: bool) -> AsyncIterator[bytes]:
    def chunk(delta: dict, finish: str | None = None, fingerprint: str | None = None) -> bytes:
        return _sse({"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                     "system_fingerprint": fingerprint,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]})

    yield chunk({"role": "assistant", "content": ""})
    try:
        answer, last_sent, item = None, time.monotonic(), first
        while answer is None:  # raw deltas are held back: only the guarded answer is sent
            if item is None:
                if await request.is_disconnected():
                    return
                item = await run_in_threadpool(next, iterator, None)
            if item is None:
                raise RuntimeError("the answer stream ended without an answer")
            kind, payload = item
            item = None
            if kind != "delta":
                answer = payload
            elif time.monotonic() - last_sent > _KEEPALIVE_SECONDS:
                last_sent = time.monotonic()
                yield b": generating\n\n"
        content = _content(answer)
        fingerprint = _fingerprint(answer)
        for piece in pieces(content):
            yield chunk({"content": piece}, fingerprint=fingerprint)
        yield chunk({"citations": _citations(answer), "citewire": _info(answer, question)}, "stop", fingerprint)
        if include_usage:
            usage = _usage(answer, turns, content, services.settings.encoding_name)
            yield _sse({"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                        "system_fingerprint": fingerprint, "choices": [], "usage": usage})
    except Exception as exc:  # noqa: BLE001 - headers are sent; the error travels as an event
        yield _sse({"error": upstream_error(exc, mid_stream=True).body})
    finally:  # shielded: a client that hung up cancels this generator, and the model must still be stopped
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(getattr(iterator, "close", lambda: None))
    yield _sse("[DONE]")
