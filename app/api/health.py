"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import ServicesDep
from app.observability.metrics import render_metrics

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the record and the vector store answer")
def readyz(services: ServicesDep, response: Response) -> dict:
    try:
        services.records.ping()
        services.vectors.ping()
        articles, chunks = services.records.count()
    except Exception as exc:  # a store that cannot answer makes us unready, not broken
        response.status_code = 503
        return {"status": "unavailable", "detail": f"{type(exc).__name__}: {exc}"}
    return {"status": "ready", "articles": articles, "chunks": chunks}


@router.get("/metrics", summary="Prometheus metrics (latency by route, retrieval, LLM, tokens, guard, refusals)",
            response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics() -> Response:
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
