"""Attach metrics to a built service graph without the services knowing about Prometheus.

Wraps the bound methods of the *instances* (retrieval.search, the LLM client's complete/stream,
answers.ask/stream), so every adapter that shares the graph (HTTP, Slack, MCP, CLI) is measured.
"""

from __future__ import annotations

import time
from functools import wraps

from app.observability.metrics import (
    ANSWERS,
    GUARD_SENTENCES,
    LLM_SECONDS,
    LLM_TOKENS,
    REFUSALS,
    RETRIEVAL_SECONDS,
)


def instrument_services(services) -> None:
    if getattr(services, "_instrumented", False):
        return
    services._instrumented = True
    _time(services.retrieval, "search", RETRIEVAL_SECONDS)
    llm = getattr(services.answers, "llm", None)
    client = getattr(llm, "client", None)
    if client is not None:
        _instrument_llm(client)
    _observe_answers(services.answers)


def _time(obj, name: str, histogram) -> None:
    method = getattr(obj, name)

    @wraps(method)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            histogram.observe(time.perf_counter() - start)

    setattr(obj, name, timed)


def _count_tokens(usage: dict | None) -> None:
    for kind in ("prompt_tokens", "completion_tokens"):
        if usage and usage.get(kind):
            LLM_TOKENS.labels(kind.removesuffix("_tokens")).inc(usage[kind])


def _instrument_llm(client) -> None:
    complete, stream = client.complete, client.stream

    @wraps(complete)
    def timed_complete(*args, **kwargs):
        start = time.perf_counter()
        try:
            result = complete(*args, **kwargs)
        finally:
            LLM_SECONDS.labels("complete").observe(time.perf_counter() - start)
        _count_tokens(result.usage)
        return result

    @wraps(stream)
    def timed_stream(*args, **kwargs):
        return _TimedStream(stream(*args, **kwargs), time.perf_counter())

    client.complete, client.stream = timed_complete, timed_stream


class _TimedStream:
    """The client's token stream, observed when it ends (exhausted or closed)."""

    def __init__(self, inner, start: float) -> None:
        self._inner, self._start, self._done = inner, start, False

    def __iter__(self):
        try:
            yield from self._inner
        finally:
            self._finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._finish()

    def _finish(self) -> None:
        if not self._done:
            self._done = True
            LLM_SECONDS.labels("stream").observe(time.perf_counter() - self._start)
            _count_tokens(getattr(self._inner, "usage", None))

    def __getattr__(self, name):
        return getattr(self._inner, name)


def observe_answer(answer) -> None:
    ANSWERS.labels(getattr(answer, "mode", "unknown"), str(bool(answer.answerable)).lower()).inc()
    if not answer.answerable:
        REFUSALS.inc()
    for outcome, count in (getattr(answer, "guard", None) or {}).items():
        if isinstance(count, int) and count:
            GUARD_SENTENCES.labels(outcome).inc(count)


def _observe_answers(answers) -> None:
    ask, stream = answers.ask, answers.stream

    @wraps(ask)
    def observed_ask(*args, **kwargs):
        answer = ask(*args, **kwargs)
        observe_answer(answer)
        return answer

    @wraps(stream)
    def observed_stream(*args, **kwargs):
        inner = stream(*args, **kwargs)
        try:  # closing this generator closes the inner one at once: a client that leaves stops generation
            for kind, payload in inner:
                if kind == "answer":
                    observe_answer(payload)
                yield kind, payload
        finally:
            getattr(inner, "close", lambda: None)()

    answers.ask, answers.stream = observed_ask, observed_stream
