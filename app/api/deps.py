"""Dependency aliases: routes ask for services by type; tests swap them with dependency_overrides."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import Depends, Request

from app.answer.chat import QuestionCondenser
from app.answer.service import AnswerService
from app.ingest.service import IngestService
from app.retrieval.service import RetrievalService
from app.services import Services
from app.store.records import RecordStore
from app.summarize.service import SummarizeService


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_answer_service(services: ServicesDep) -> AnswerService:
    return services.answers


def get_retrieval_service(services: ServicesDep) -> RetrievalService:
    return services.retrieval


def get_ingest_service(services: ServicesDep) -> IngestService:
    return services.ingest


def get_record_store(services: ServicesDep) -> RecordStore:
    return services.records


def get_summarize_service(services: ServicesDep) -> SummarizeService:
    return services.summaries


def get_write_turn(request: Request) -> anyio.CapacityLimiter:
    """Ingests and deletes take turns (IngestService's lock); the ones waiting wait on this limiter of 1, in the
    event loop, not on a thread of the shared pool: 40 DELETEs queued behind a slow ingest held all 40 threads,
    and every other route (listing articles, reading one) waited with them. Made once per app by create_app."""
    return request.app.state.write_turn


def get_condenser(services: ServicesDep) -> QuestionCondenser:
    return services.condenser


CondenserDep = Annotated[QuestionCondenser, Depends(get_condenser)]
AnswerServiceDep = Annotated[AnswerService, Depends(get_answer_service)]
RetrievalServiceDep = Annotated[RetrievalService, Depends(get_retrieval_service)]
IngestServiceDep = Annotated[IngestService, Depends(get_ingest_service)]
SummarizeServiceDep = Annotated[SummarizeService, Depends(get_summarize_service)]
RecordStoreDep = Annotated[RecordStore, Depends(get_record_store)]
WriteTurnDep = Annotated[anyio.CapacityLimiter, Depends(get_write_turn)]
