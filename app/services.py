"""Build the service graph from settings once; the API and the CLI share it."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from app.answer.chat import QuestionCondenser
from app.answer.extractive import ExtractiveAnswerer
from app.answer.guard import JUDGE_BUDGET, FaithfulnessGuard
from app.answer.llm import LLMAnswerer
from app.answer.scoring import QuestionScorer
from app.answer.selection import LearnedAnswerer, SentenceSelector
from app.answer.service import AnswerService
from app.answer.support import SupportChecker
from app.config import Settings
from app.embed import Embedder, make_embedder
from app.ingest.chunker import Chunker
from app.ingest.service import IngestService, chunking_refusal
from app.llm.client import LLMClient
from app.llm.fake import FakeLLMClient, is_fake
from app.llm.judge import LLMJudge
from app.llm.local import LocalModelServer
from app.llm.model_prep import resolve_local_model
from app.llm.status import PROBE_TIMEOUT_S, LLMStatus
from app.offline import install_tiktoken_files, quiet_network_defaults
from app.prompts import load_prompt
from app.retrieval.background import blended_doc_freq, load_background
from app.retrieval.learned import load_models
from app.retrieval.service import RetrievalService
from app.store.backends import make_record_store
from app.store.data_dir_lock import claim_chroma_dir
from app.store.records import RecordStore
from app.store.vector import VectorStore
from app.summarize.llm import LLMSummarizer
from app.summarize.service import SummarizeService
from app.warmup import Warmup

log = logging.getLogger(__name__)
_checker_lock = threading.Lock()


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
    condenser: QuestionCondenser
    checker_instance: SupportChecker | None  # None until first use when no LLM needed it at start-up
    local_model: LocalModelServer | None = None
    warmup: Warmup = field(default_factory=Warmup)  # the start-up warm-up's state (app/warmup.py, /readyz)
    llm_status: LLMStatus = field(default_factory=lambda: LLMStatus("extractive"))  # /readyz's llm, the cooldown

    @property
    def checker(self) -> SupportChecker:
        """Built on first use when no guard needs it: its WordNet lexicon holds ~55 MB that a server
        without an LLM never reads (docs/performance.md *Memory*)."""
        with _checker_lock:  # two first requests at once build one checker, not two
            if self.checker_instance is None:
                self.checker_instance = SupportChecker(self.embedder)
        return self.checker_instance

    def close(self) -> None:
        try:
            self.records.close()
        finally:
            try:
                self.vectors.close()
            finally:
                if self.local_model is not None:
                    self.local_model.close()


def make_llm_client(settings: Settings) -> tuple[LLMClient | None, LocalModelServer | None]:
    """A remote endpoint when configured, else a local GGUF served in-process, else none (extractive)."""
    local = None
    base_url = settings.llm_base_url
    model = settings.llm_model
    if not base_url and settings.local_model:
        path = resolve_local_model(settings.local_model, settings.models_dir)
        local = LocalModelServer(path, settings.llm_context_window, settings.local_threads)
        base_url, model = local.base_url, path.stem
    if not base_url:
        return None, None
    if is_fake(base_url):  # CITEWIRE_LLM_BASE_URL=fake:// — the in-process fake model (app/llm/fake.py)
        return FakeLLMClient(settings.llm_model), None
    client = LLMClient(base_url, model, settings.llm_api_key, settings.llm_timeout, settings.llm_max_retries,
                       settings.llm_temperature, reported_model=local is None)  # llama.cpp reports the GGUF's path
    return client, local


def make_llm_status(settings: Settings, client: LLMClient | None, local: LocalModelServer | None) -> LLMStatus:
    """The LLM's health for /readyz and the outage fallback; its probe asks ``GET /models`` once, no retries."""
    if client is None:
        return LLMStatus("extractive")

    def probe():
        return client.raw.with_options(timeout=PROBE_TIMEOUT_S, max_retries=0).models.list()

    return LLMStatus("local" if local is not None else "openai-compatible", client.model,
                     settings.llm_outage_fallback, settings.llm_outage_cooldown, probe,
                     secrets=(settings.llm_base_url, settings.llm_api_key))


def judge_limits(settings: Settings) -> tuple[tuple[float, float], int]:
    """(band, calls per answer) for the LLM judge. CITEWIRE_GUARD_JUDGE=true widens the band to every sentence and
    lifts the default budget; a CITEWIRE_GUARD_JUDGE_BUDGET that is set still caps it (it was silently ignored)."""
    if settings.guard_judge:
        return (0.0, 1.0), settings.guard_judge_budget if settings.guard_judge_budget is not None else 10**6
    return settings.guard_judge_band, settings.guard_judge_budget if settings.guard_judge_budget is not None \
        else JUDGE_BUDGET


def build_services(settings: Settings, create_collection: bool = True) -> Services:
    """The services; on failure, whatever was opened is closed again and the data dir is let go.
    ``create_collection=False`` (a dry run) reads a missing vector collection as empty instead of making it."""
    # the embedded Chroma dir is one process's alone (data_dir_lock.py): claimed before anything opens, so a
    # refused process writes nothing but the lock file
    release = (lambda: None) if settings.chroma_url else claim_chroma_dir(settings.chroma_dir)
    opened: list[Callable[[], None]] = [release]  # closed last-first when a later step fails
    try:
        return _build_services(settings, release, opened, create_collection)
    except BaseException:
        for close in reversed(opened):
            with contextlib.suppress(Exception):
                close()
        raise


def _build_services(settings: Settings, release: Callable[[], None], opened: list[Callable[[], None]],
                    create_collection: bool) -> Services:
    quiet_network_defaults()
    install_tiktoken_files()
    embedder = make_embedder(settings)
    records = make_record_store(settings)
    opened.append(records.close)
    vectors = VectorStore(settings, embedder.name, release, create=create_collection)
    opened.append(vectors.close)
    vectors.claim_for(records.lexical_identity(), settings.collection, stamp=create_collection)
    chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap, settings.encoding_name)
    stamped = records.chunking()
    if stamped is not None and stamped != chunker.stamp and records.has_articles():
        log.warning("ingests here are refused: %s", chunking_refusal(stamped, chunker.stamp))
    models = load_models() if settings.answer_model != "heuristic" else None
    # question-word weights (IDF) from the index's counts smoothed towards news's (app/retrieval/background.py)
    doc_freq = blended_doc_freq(records.document_frequencies,
                                load_background() if settings.background_df_weight > 0 else None,
                                settings.background_df_weight)
    retrieval = RetrievalService(settings, records, vectors, embedder, models.passages if models else None, doc_freq)
    scorer = QuestionScorer(embedder, doc_freq)
    extractive = ExtractiveAnswerer(scorer, settings.min_support, settings.max_answer_sentences)
    if models is not None and settings.answer_model == "learned":
        extractive = LearnedAnswerer(SentenceSelector(models, embedder, doc_freq),
                                     settings.max_answer_sentences, settings.threshold_by_index_size)
    client, local = make_llm_client(settings)
    if local is not None:
        opened.append(local.close)
    checker = SupportChecker(embedder) if client is not None else None
    status = make_llm_status(settings, client, local)
    llm = summarizer = None
    if client is not None:
        band, budget = judge_limits(settings)
        judge = LLMJudge(client, load_prompt(settings.prompts_dir, "judge")) if budget > 0 else None
        guard = FaithfulnessGuard(checker, settings.guard_mode, judge, band, budget)
        llm = LLMAnswerer(client, load_prompt(settings.prompts_dir, "answer"), guard, settings.llm_context_window,
                          settings.llm_max_tokens, settings.llm_excerpt_sentences)
        summarizer = LLMSummarizer(client, load_prompt(settings.prompts_dir, "summarize_map"),
                                   load_prompt(settings.prompts_dir, "summarize_reduce"), guard,
                                   settings.llm_context_window, settings.llm_max_tokens)
    condenser = QuestionCondenser(client, load_prompt(settings.prompts_dir, "condense") if client else None, status)
    return Services(
        settings=settings, embedder=embedder, records=records, vectors=vectors,
        ingest=IngestService(records, vectors, embedder, chunker), retrieval=retrieval,
        answers=AnswerService(retrieval, extractive, settings.top_k, llm, settings.llm_passages,
                              settings.llm_fallback_extractive, llm_status=status),
        summaries=SummarizeService(records, retrieval, embedder, summarizer, settings.llm_fallback_extractive,
                                   topic_anchor=settings.topic_anchor, llm_status=status),
        condenser=condenser, checker_instance=checker, local_model=local, llm_status=status,
    )
