"""Ask: retrieve, then answer with the LLM when one is configured, else extractively."""

from __future__ import annotations

from datetime import date, datetime

from app.answer.extractive import ExtractiveAnswerer
from app.answer.models import Answer
from app.retrieval.service import RetrievalService
from app.store.models import Filters


class AnswerService:
    def __init__(self, retrieval: RetrievalService, extractive: ExtractiveAnswerer, top_k: int) -> None:
        self.retrieval = retrieval
        self.extractive = extractive
        self.top_k = top_k

    def ask(
        self, question: str, top_k: int | None = None, filters: Filters | None = None, as_of: date | datetime | None = None
    ) -> Answer:
        passages = self.retrieval.search(question, top_k=top_k or self.top_k, filters=filters, as_of=as_of)
        return self.extractive.answer(question, passages)
