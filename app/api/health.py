"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import ServicesDep
from app.dependency_errors import classify
from app.observability.metrics import render_metrics

router = APIRouter(tags=["health"])


@router.head("/healthz", include_in_schema=False)  # HEAD wherever GET: RFC 9110 9.1 (probes, `curl -I`)
@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict:
    return {"status": "ok"}


@router.head("/readyz", include_in_schema=False)  # HEAD wherever GET: RFC 9110 9.1 (probes, `curl -I`)
@router.get("/readyz", summary="Readiness: the record and the vector store answer (and the warm-up's progress, "
                               "the LLM's and Slack's state)")
def readyz(services: ServicesDep, request: Request, response: Response) -> dict:
    try:
        services.records.ping()
        services.vectors.ping()
        articles, chunks = services.records.count()
    except Exception as exc:  # a store that cannot answer makes us unready, not broken
        response.status_code = 503
        failure = classify(exc)  # named as /v1/* names it: "the record store (PostgreSQL) is not reachable: …"
        return {"status": "unavailable",
                "detail": failure.detail if failure else " ".join(f"{type(exc).__name__}: {exc}".split())}
    warmup = getattr(services, "warmup", None)
    body = {"status": "ready", "articles": articles, "chunks": chunks}
    if warmup is not None:  # the start-up warm-up's progress: ready either way, answers may be slower until done
        body["warmup"] = warmup.report()
    llm_status = getattr(services, "llm_status", None)
    if llm_status is not None:  # {mode, model, status, reason}: informative; answers fall back while it is down
        body["llm"] = llm_status.report()
    slack = getattr(request.app.state, "slack", None)  # app/slack/http.py's SlackBot, when the Slack tokens are set
    if slack is not None:  # "ok" | "unreachable, retrying" | "token rejected": its last check, Slack is not asked
        body["slack"] = slack.report()
    return body


@router.head("/metrics", include_in_schema=False)  # HEAD wherever GET: RFC 9110 9.1 (probes, `curl -I`)
@router.get("/metrics", summary="Prometheus metrics (latency by route, retrieval, LLM, tokens, guard, refusals)",
            response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics() -> Response:
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
