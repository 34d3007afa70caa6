"""Build the service graph from settings once; the API and the CLI share it."""

from __future__ import annotations

from dataclasses import dataclass

from app.answer.extractive import ExtractiveAnswerer
from app.answer.scoring import QuestionScorer
from app.answer.service import AnswerService
from app.config import Settings
from app.embed import Embedder, make_embedder
from app.ingest.chunker import Chunker
from app.ingest.service import IngestService
from app.offline import install_tiktoken_files, quiet_network_defaults
from app.retrieval.service import RetrievalService
from app.store.records import RecordStore
from app.store.vector import VectorStore
from app.summarize.service import SummarizeService


@dataclass
class Services:
    settings: Settings
    embedder: Embedder
    records: RecordStore
    vectors: VectorStore
    ingest: IngestService
    retrieval: RetrievalService
    answers: AnswerService
    summaries: SummarizeService

    def close(self) -> None:
        self.records.close()


def build_services(settings: Settings) -> Services:
    quiet_network_defaults()
    install_tiktoken_files()
    embedder = make_embedder(settings)
    records = RecordStore(settings.records_path)
    vectors = VectorStore(settings, embedder.name)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding_name)
    retrieval = RetrievalService(settings, records, vectors, embedder)
    scorer = QuestionScorer(embedder, records.document_frequencies)
    extractive = ExtractiveAnswerer(scorer, settings.min_support, settings.max_answer_sentences)
    return Services(
        settings=settings, embedder=embedder, records=records, vectors=vectors,
        ingest=IngestService(records, vectors, embedder, chunker), retrieval=retrieval,
        answers=AnswerService(retrieval, extractive, settings.top_k),
        summaries=SummarizeService(records, retrieval, embedder),
    )
