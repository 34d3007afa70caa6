"""One settings object for the whole service; every knob is an env var with the CITEWIRE_ prefix."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlparse

from platformdirs import user_data_path
from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_JSON_LIST = re.compile(r'^\s*\[\s*("|\])')

REPO_ROOT = Path(__file__).resolve().parent.parent
USER_DATA = user_data_path("citewire", appauthor=False)  # ~/.local/share/citewire on Linux
# A setting that cannot be read is a usage error, as a bad option is: exit status 2 wherever it is read
INVALID_SETTING_EXIT = 2
# What an answer prompt needs besides the answer's tokens: its fixed text (answer.v2: 169 tokens, + 16 + a 32-token
# margin, app/answer/llm.py), a short question and the 40-token floor of a trimmed passage (pack_passages)
MIN_PROMPT_TOKENS = 384


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def shown_url(value: str) -> str:
    """A URL as an error message may print it: user and password (an API key, a database password), the query
    string and the fragment masked, since the message goes to stderr and from there to container and CI logs."""
    scheme, sep, rest = value.partition("://")
    if not sep:  # "redis:/:pw@host", "host=db password=…": no "://" to start from
        scheme, rest = "", value
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    if at >= 0:  # everything before the last "@" ahead of any query: a password may hold "/", "#" or "@" unencoded
        rest = "***@" + rest[at + 1 :]
    rest = re.sub(r"(?i)\b(password|passwd|pwd|api_?key|token)\s*=\s*('[^']*'|\S+)", r"\1=***", rest)
    # a query string, fragment or path parameters may carry a token under any name (chroma_client_auth_credentials=…)
    rest = re.sub(r"([?#;]).*", r"\1***", rest, count=1)
    return repr(scheme + sep + rest)


OFFLINE_ENCODINGS = ("cl100k_base", "o200k_base")  # the BPE files app/offline.py installs (SHIPPED_ENCODINGS)


# What CITEWIRE_TOPIC_ANCHOR accepts; SummarizeService reads its rules with the same pattern (app/summarize/service.py).
ANCHOR_RULES = ("off", "word", "name", "name-word")
TOPIC_ANCHOR_RULE = re.compile(rf"(?P<rule>{'|'.join(ANCHOR_RULES)}|coverage-(?P<ratio>0\.[0-9]*[1-9][0-9]*|1(\.0*)?)"
                               r"|distinctive-(?P<share>0\.[0-9]*[1-9][0-9]*|1(\.0*)?))(?P<prefer>:prefer)?")


class Settings(BaseSettings):
    # CITEWIRE_ENV_FILE names another .env file; empty means none (the tests set it so).
    # allow_inf_nan=False: "inf" for a timeout or a weight is no setting (it was taken as given)
    model_config = SettingsConfigDict(env_prefix="CITEWIRE_", env_file=os.environ.get("CITEWIRE_ENV_FILE", ".env") or None,
                                      extra="ignore", allow_inf_nan=False)

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Field(
        default=USER_DATA / "data",
        description="Folder holding the embedded Chroma store and the SQLite article record + BM25 index "
        "(default: a per-user data folder, e.g. ~/.local/share/citewire/data).",
    )
    chroma_url: str | None = Field(
        default=None,
        description="http(s)://host[:port] of a Chroma server (no path, query string or credentials; no port: 8000, or 443 for https); when set, "
        "vectors go there instead of the embedded store.",
    )
    chroma_timeout_s: float = Field(
        default=60.0, gt=0, le=3600,
        description="Seconds a Chroma server may take to answer one call (connecting: at most 10) before the call "
        "fails as the dependency being down (a 503, a failed ingest). Chroma's client waits forever: a hung server "
        "held every request, and the writer turn of every process and host (app/store/write_lock.py). The "
        "largest call an ingest makes, a 3,000-vector upsert, ran at 348 vectors/s here: about 9 s (docs/performance.md).",
    )
    collection: str = Field(default="citewire_chunks", description="Chroma collection name for chunk vectors.")
    hnsw_ef_construction: int = Field(
        default=50, ge=8, le=1000,
        description="Candidates Chroma's HNSW graph weighs per inserted vector, set when the collection is created "
        "(an existing collection keeps its own). 50 (Chroma's default is 100) indexed the full dev corpus 14-22 % "
        "faster with retrieval hit@5/hit@10 unchanged within +-0.005 on 2022-2023 and 2024 questions "
        "(benchmarks/hnsw_build.py, docs/performance.md *A cheaper HNSW build*).",
    )

    # --- chunking ------------------------------------------------------------------------
    chunk_tokens: int = Field(default=200, ge=32, le=4000,
                              description="Chunk size in tokens of encoding_name (cl100k_base by default).")
    chunk_overlap: int = Field(default=30, ge=0, le=1000, description="Token overlap between neighbouring chunks.")
    encoding_name: str = Field(default="cl100k_base", description="tiktoken encoding used for every token count.")

    # --- embeddings ----------------------------------------------------------------------
    embed_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible embeddings endpoint; unset means the offline wordllama model.",
    )
    embed_model: str = Field(
        default="wordllama-l2-supercat-256",
        description="Embedding model name sent to the embeddings endpoint (ignored by the offline default).",
    )
    embed_api_key: str | None = Field(default=None, description="API key for the embeddings endpoint.")

    # --- retrieval -----------------------------------------------------------------------
    top_k: int = Field(default=5, ge=1, le=50, description="Passages returned by search / used by ask.")
    retrieval_mode: Literal["hybrid", "bm25", "dense"] = Field(
        default="hybrid",
        description="hybrid (BM25 + dense fused, see CITEWIRE_FUSION, then the learned ranker), bm25 or dense.",
    )
    candidates: int = Field(default=50, ge=5, le=500, description="Candidates each retriever contributes to fusion.")
    search_per_article: int = Field(
        default=1, ge=0, le=50,
        description="Search results (/v1/search, `citewire search`, the MCP search tool): at most this many passages "
                    "of one article ahead of any other article's (0: off). Relevant-article hit@5 +0.022 on 2022–2023; "
                    "answers read the plain top passages, which this would cost containment (docs/answers.md).",
    )
    fusion: Literal["convex", "rrf"] = Field(
        default="convex",
        description="How BM25 and dense lists combine: convex (weighted sum of min-max scaled scores) or rrf.",
    )
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    bm25_weight: float = Field(default=0.7, ge=0, le=1, description="Weight of BM25 in the fusion (dense gets the rest).")
    recency_days: int = Field(default=30, ge=0, description="Articles published this many days before as_of get the recency boost.")
    recency_boost: float = Field(default=1.5, ge=1, description="Score multiplier for recent articles (1 disables the prior).")
    background_df_weight: float = Field(
        default=0, ge=0, le=1_000_000,
        description="Pseudo-chunks of 2022-2023 news added to the index's own word counts when question words are "
        "weighted (IDF): a small index borrows news's sense of which words are common (\"died\" is, \"Derna\" is "
        "not), a large one outweighs them. 0 (the default) uses the index's counts alone; 300 and 3000 were measured "
        "and not made the default (docs/answers.md, *Small indexes*).",
    )

    rerank_matched_first: bool = Field(
        default=False,
        description="After the learned passage ranker, passages that share no word with the question (no BM25 "
        "match, no question term in text or headline) rank below every passage that does. The ranker learned on "
        "pools of a 19,334-article index, where such passages are rare; over a few unrelated articles it can put "
        "the newest of them first (over the samples, \"earthquakes and floods\" ranked the Derna floods 8th). Not "
        "the default: on RealTimeQA it changed one question in a few hundred either way, and the rule set before "
        "the 2024 read asked for no loss at all (docs/answers.md, *Passages that share no word with the question*).",
    )

    # --- answering -----------------------------------------------------------------------
    threshold_by_index_size: bool = Field(
        default=True,
        description="The learned answerer's refusal threshold follows the index's size (0.29 over about ten "
        "articles up to 0.42 over the full 19,334-article index: app/models/answerability_by_size.json), so that "
        "small indexes are held to the same false-refusal rule as the full one. false: 0.42 at every size, as "
        "whenever background_df_weight is above 0 (not measured together) (docs/answers.md, *Small indexes: a "
        "threshold that follows the index's size*).",
    )
    min_support: float = Field(
        default=0.45, ge=0, le=1,
        description="Minimum question-sentence support for the extractive answerer to answer rather than refuse.",
    )
    max_answer_sentences: int = Field(default=3, ge=1, le=10, description="Sentences the extractive answer may use.")

    # --- LLM -------------------------------------------------------------------------------
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible chat endpoint; unset (and no local model) means extractive answers."
    )
    llm_model: str = Field(default="gpt-4o-mini", description="Chat model name sent to the endpoint.")
    llm_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CITEWIRE_LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key for the chat endpoint (OPENAI_API_KEY is honoured too).",
    )

    llm_passages: int = Field(
        default=3, ge=1, le=20,
        description="Passages (best first) an LLM answer is written from; fewer means faster prefill on CPU.",
    )
    llm_context_window: int = Field(default=4096, ge=512, description="Tokens the model accepts; prompts are budgeted to fit.")
    llm_max_tokens: int = Field(default=400, ge=16, description="Most tokens an answer may generate.")
    llm_timeout: float = Field(
        default=120.0, gt=0,
        description="Seconds one attempt of an LLM request may wait: to connect, for the reply (a plain request: the "
        "whole generation), and for a stream, the longest wait between two chunks (not the whole answer). A timed-out "
        "attempt is retried, so a request can take up to (llm_max_retries + 1) x this, plus backoff.",
    )
    llm_max_retries: int = Field(
        default=3, ge=0, le=10,
        description="Retries of an LLM request (the openai client's, with exponential backoff from 0.5 s up to 8 s) "
        "on timeouts, connection errors, 408, 409, 429 and 5xx; 0 tries once.",
    )
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature for answers.")
    local_model: str | None = Field(
        default=None,
        description="GGUF file to serve in-process with llama.cpp (needs the [local] extra); 'qwen' means the "
        "model `citewire model` prepared. Ignored when llm_base_url is set.",
    )
    local_threads: int | None = Field(default=None, ge=1, description="llama.cpp threads (default: the free cores).")
    models_dir: Path = Field(default=USER_DATA / "models", description="Where `citewire model` writes GGUF files.")
    guard_mode: Literal["drop", "mark"] = Field(
        default="drop", description="What the faithfulness guard does with unsupported sentences: drop or mark."
    )
    guard_judge: bool = Field(
        default=False,
        description="Ask the LLM judge about every answer sentence, not only those in guard_judge_band; with no "
        "limit on calls unless guard_judge_budget is set.",
    )
    prompts_dir: Path | None = Field(
        default=None, description="Folder of versioned prompt files; unset means the prompts shipped with the package."
    )

    # --- API ---------------------------------------------------------------------------------
    max_body_bytes: int = Field(default=20_000_000, ge=1024, description="Largest request body the API accepts.")
    index_samples: bool = Field(
        default=False, description="Index the bundled sample articles at start-up (idempotent)."
    )

    # --- production: access, limits, logs (docs/operations.md) -------------------------------
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="API keys, comma-separated (or a JSON list); when set, /v1/* and /mcp need 'Authorization: Bearer KEY' or 'X-API-Key: KEY'.",
    )
    rate_limit: str | None = Field(
        default=None,
        description="Requests allowed per API key (per client address without keys) on /v1/* and /mcp, e.g. '120/minute'; "
        "unset means no limit.",
    )
    auth_failure_limit: str | None = Field(
        default="30/minute",
        description="With api_keys set: requests with a wrong key allowed per client address (an IPv6 address's /64) "
        "on /v1/* and /mcp, e.g. '30/minute'; a missing key is not counted. Past it that address gets 429 with "
        "Retry-After, whatever key it sends, until the window has room, so keys cannot be guessed at request speed. "
        "Behind a reverse proxy the address is the proxy's unless uvicorn trusts its forwarded headers "
        "(FORWARDED_ALLOW_IPS). Empty: no limit.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where rate-limit counters live (a `limits` storage URI): memory:// is per process; "
        "redis://host:6379 shares them across workers and hosts.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins (comma-separated or a JSON list) allowed to call the API from a browser ('*' for any); empty = closed.",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="Server log lines: one JSON object per line (with request_id) or plain text."
    )
    log_level: str = Field(default="INFO", description="Server log level (DEBUG, INFO, WARNING, ...).")

    @field_validator("api_keys", "cors_origins", "mcp_allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value, info: ValidationInfo):
        """Every list setting reads the same two ways: ``a,b`` or a JSON list ``["a", "b"]``."""
        if isinstance(value, str):
            if _JSON_LIST.match(value):  # '["a", "b"]' or '[]'; "[::1]:*,x" is a comma list opening with IPv6
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"not a JSON list: {exc.msg}") from None
            else:
                parts = [part.strip() for part in value.split(",") if part.strip()]
                if info.field_name == "api_keys" and value.strip() and not parts:  # "," ran the API open, unannounced
                    raise ValueError("holds no key (only commas and spaces): give the keys, comma-separated, or "
                                     "leave it empty for an API without keys")
                return parts
        if info.field_name == "api_keys" and isinstance(value, list) and any(
                not (k.get_secret_value() if isinstance(k, SecretStr) else str(k)).strip() for k in value):
            raise ValueError("an empty key would let a request with an empty key through: give non-empty keys")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        """An origin is what a browser sends: scheme://host[:port], no path; or "*". '[1,2]' (a JSON list of numbers)
        was read as the comma list '[1', '2]', and "example.org" (no scheme) matched no browser: both unannounced. A
        trailing "/" is dropped: browsers send the origin without one, and the match is exact."""
        for origin in value:
            parsed = urlparse(origin)
            if origin != "*" and (parsed.scheme not in ("http", "https") or not parsed.netloc
                                  or parsed.path not in ("", "/") or parsed.query or parsed.fragment):
                raise ValueError(f"{origin!r} is not an origin: give scheme://host[:port] (e.g. https://app.example.org)"
                                 " or '*', comma-separated or as a JSON list of strings")
        return [origin.removesuffix("/") for origin in value]

    @field_validator("api_keys")
    @classmethod
    def _keys_are_header_text(cls, value: list[SecretStr]) -> list[SecretStr]:
        """A key a client can send: HTTP headers arrive as Latin-1 bytes, so a key with "é" (UTF-8 from any client)
        never matched, and a control character is refused on the way."""
        for n, key in enumerate(value, start=1):
            if not all(" " <= c <= "~" for c in key.get_secret_value()):
                raise ValueError(f"key {n} holds a character other than printable ASCII, which no HTTP header "
                                 "carries as written")
        return value

    # --- MCP over HTTP ------------------------------------------------------------------------
    mcp_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=["127.0.0.1:*", "localhost:*", "[::1]:*"],
        description="Host headers /mcp answers (DNS-rebinding protection; 'host:*' = any port), comma-separated "
        "or a JSON list, e.g. citewire.internal:*,10.0.0.5:8000. '*' turns the check off.",
    )

    # --- Slack (app/slack) -------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CITEWIRE_SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"),
        description="Slack bot token (xoxb-…). With SLACK_SIGNING_SECRET it mounts POST /slack/events; "
        "with SLACK_APP_TOKEN it runs `citewire slack --socket`.",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CITEWIRE_SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"),
        description="Slack app signing secret; Bolt verifies every HTTP request from Slack with it.",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("CITEWIRE_SLACK_APP_TOKEN", "SLACK_APP_TOKEN"),
        description="App-level token (xapp-…, scope connections:write) for Socket Mode.",
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("CITEWIRE_SLACK_API_URL", "SLACK_API_URL"),
        description="Base URL of the Slack Web API (ends with /); tests point it at a local fake.",
    )
    slack_max_retries: int = Field(
        default=3, ge=0, le=10, description="Retries of a rate-limited (429) Slack Web API call, after Retry-After."
    )

    # --- scale-out and performance (perf) ------------------------------------------------------
    lexical_url: str | None = Field(
        default=None,
        description="postgresql://user:pass@host/db of a PostgreSQL server holding the article record and BM25 "
        "postings, shared by every worker and host (with CITEWIRE_CHROMA_URL for vectors); unset means the "
        "embedded SQLite file under data_dir.",
    )

    # --- learned answers (issue 8) ---------------------------------------------------------
    answer_model: Literal["heuristic", "rerank", "learned"] = Field(
        default="learned",
        description="learned (default): the trained passage ranker in app/models, answer-sentence selector and "
        "calibrated refusal; rerank: the ranker, then the hand-weighted extractive answerer; heuristic: the earlier "
        "hand-weighted fusion and extractive scorer (docs/answers.md has the measurements behind the default).",
    )

    # --- faithfulness checker: LLM judge for the uncertain band (docs/faithfulness.md) ----------
    guard_judge_band: tuple[float, float] = Field(
        default=(0.2, 0.8),
        description="With an LLM configured, answer sentences whose checker score lies in this band are decided "
        "by the LLM as a yes/no judge (P(yes) from logprobs).",
    )
    guard_judge_budget: int | None = Field(
        default=None, ge=0,
        description="Most LLM judge calls per answer or summary; unset: 4, or no limit with guard_judge=true. "
        "A value set here caps guard_judge=true too; 0 turns the judge off (and cannot go with guard_judge=true).",
    )

    # --- local model speed (perf2, docs/performance.md) ---------------------------------------
    llm_excerpt_sentences: int = Field(
        default=2, ge=0, le=20,
        description="An LLM answer is written from excerpts: this many best-ranked answer sentences, each with "
        "the sentence before it, cut from at most llm_passages chunks (a prompt half as long: the local "
        "model's first token came 3.5x sooner, docs/performance.md); 0 sends whole chunks.",
    )

    llm_fallback_extractive: bool = Field(
        default=True,
        description="When the faithfulness guard drops every sentence of an LLM answer or summary (or the model finds "
        "no answer), reply with the verbatim extractive answer or summary instead of refusing (docs/llm.md); false refuses.",
    )

    llm_outage_fallback: Literal["extractive", "error"] = Field(
        default="extractive",
        description="When the configured LLM fails as an outage (connection refused, timeout, HTTP 5xx or 429, after "
        "the client's llm_max_retries), extractive: answer and summarise with the extractive answerer (which works "
        "offline) and say so in the response's `fallback`; error: answer 503/502 as before. A 4xx or a reply that is "
        "no chat completion is a configuration error and stays a 502 either way (docs/llm.md).",
    )
    llm_outage_cooldown: float = Field(
        default=30.0, ge=0, le=86400,
        description="Seconds after an LLM outage during which answers and summaries skip the LLM and go straight to "
        "the extractive fallback (fallback `tried: false`), so a dead endpoint is not asked (and waited on) by every "
        "request; it starts at a refused connection or timeout, or at the second 5xx/429 in a row; per server "
        "process. 0 asks the LLM every time. Only with llm_outage_fallback=extractive.",
    )

    topic_anchor: str = Field(
        default="off",
        description="Which retrieved articles a topic summary may cite (docs/summaries.md). off: any that shares a "
        "content word with the topic. coverage-0.75: only articles mentioning at least 0.75 of the topic terms the "
        "best-covering article mentions (keeps \"interest rates\" off Kim's \"security interests\"; on 2024 "
        "questions-as-topics +0.048 on-event citations, -0.014 answers held, so not the default). distinctive-0.3: "
        "only articles mentioning a topic word that holds at least 0.3 of the topic's IDF, and a refusal naming the "
        "word when none does (\"no indexed article mentions measles\"; on 2024 +0.006 on-event citations, refusals "
        "+0.021, so not the default). word, name, name-word: the rarest topic word's articles only; ':prefer' ranks "
        "those first instead of filtering.",
    )

    # --- server memory (perf4, docs/performance.md *Memory*) -----------------------------------
    malloc_arena_max: int = Field(
        default=2, ge=0,
        description="glibc malloc arenas of the server process (mallopt M_ARENA_MAX, set when the app is "
        "created; the MALLOC_ARENA_MAX environment variable wins): 2 kept the 233k-chunk server 105–155 MB "
        "smaller than glibc's default of 8 per core; 0 leaves glibc's default.",
    )

    # --- start-up warm-up (perf6, docs/performance.md *Cold start and warm-up*) ------------------
    warmup: bool = Field(
        default=True,
        description="At server start, build in a background thread what the first question would otherwise "
        "pay for (lexical index and its mapped pages, gazetteer, WordNet lexicon, segmenter, embedder, "
        "Chroma's HNSW segment) and send one throwaway search and extractive answer; writes no article, chunk or vector; reported "
        "in /readyz as `warmup`. false leaves every part to be built by the first request that needs it.",
    )

    # --- settings read when the server starts, checked here (walk8) ----------------------------
    # Left to the libraries, a bad value passed validation and then failed at start-up (a stack trace)
    # or on every request (a server answering 500 to all, /healthz included).
    @field_validator("topic_anchor")
    @classmethod
    def _known_topic_anchor(cls, value: str) -> str:
        if not TOPIC_ANCHOR_RULE.fullmatch(value):
            raise ValueError(f"unknown rule {value!r}: off, word, name, name-word, coverage-R (0 < R <= 1, e.g. "
                             "coverage-0.75) or distinctive-S (0 < S <= 1, e.g. distinctive-0.3), optionally followed "
                             "by :prefer")
        return value

    @field_validator("rate_limit", "auth_failure_limit")
    @classmethod
    def _readable_rate_limit(cls, value: str | None) -> str | None:
        if value:
            from limits import parse

            parse(value)  # ValueError: "couldn't parse rate limit string 'lots'"
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _usable_rate_limit_storage(cls, value: str) -> str:
        # Checked without building the storage: building one opens a client (a connection pool on every
        # Settings()), and a failed build printed a __del__ traceback after the one-line error.
        import importlib.util

        from limits.storage import SCHEMES

        scheme = urlparse(value).scheme  # as limits reads it (lower-cased)
        if "://" not in value or scheme.startswith("async+") or scheme not in SCHEMES:
            usable = sorted(s for s in SCHEMES if not s.startswith("async+"))
            raise ValueError(f"unknown storage {shown_url(value)}: use SCHEME://… with one of {', '.join(usable)}")
        needed = list(SCHEMES[scheme].DEPENDENCIES)
        if isinstance(SCHEMES[scheme].DEPENDENCIES, dict):  # limits picks the client by the scheme's name
            family = "valkey" if scheme.startswith("valkey") else "redis"
            needed = [m for m in needed if m == family or (m == f"{family}.sentinel" and "sentinel" in scheme)]

        def installed(module: str) -> bool:
            try:
                return importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:  # "redis.sentinel" without "redis"
                return False

        missing = [m for m in needed if not installed(m)]
        if missing:
            raise ValueError(f"{scheme}:// storage needs the {' and '.join(missing)} package, which is not installed")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if not isinstance(logging.getLevelName(level), int):
            raise ValueError("use DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    # --- more settings checked here (walk10) -----------------------------------------------------
    # Each passed validation and then failed at first use as "cannot open the store: …", an LLM error
    # for the embeddings endpoint, or a tiktoken traceback, instead of naming the setting.
    @field_validator("chroma_url", "embed_base_url", "llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None, info) -> str | None:
        if value is None or value == "":
            return None if value == "" else value
        if info.field_name == "llm_base_url" and value.startswith("fake://"):  # the in-process fake model
            return value
        parsed = urlparse(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"{shown_url(value)} is not an http:// or https:// URL with a host")
        try:
            parsed.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
        except ValueError as exc:
            raise ValueError(f"{shown_url(value)} has a bad port: {exc}") from None
        if info.field_name == "chroma_url" and parsed.path not in ("", "/"):  # the client would drop it silently
            raise ValueError(f"{shown_url(value)}: Chroma's client reaches a server at its root; give "
                             "http(s)://host[:port] without a path")
        if info.field_name == "chroma_url" and (parsed.query or parsed.params or parsed.fragment
                                                or value.strip().endswith(("?", "#", ";"))):
            # dropped as silently as a path: "?tenant=x" would write to the default tenant
            raise ValueError(f"{shown_url(value)}: Chroma's client reads only the scheme, host and port; give "
                             "http(s)://host[:port] without a query string (?…) or fragment (#…)")
        if info.field_name == "chroma_url" and "@" in parsed.netloc:
            raise ValueError(f"{shown_url(value)}: Chroma's client sends no user or password from the URL; give "
                             "http(s)://host[:port]")
        return value.strip()

    @field_validator("data_dir", "prompts_dir", "models_dir", mode="before")
    @classmethod
    def _folder_or_default(cls, value, info: ValidationInfo):
        """A folder set but empty (CITEWIRE_DATA_DIR=) reads as unset, as the URL settings do: Path("") is the current
        folder, and the store landed beside whatever was there."""
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name].default
        return value

    @field_validator("data_dir", "prompts_dir", "models_dir")
    @classmethod
    def _home_expanded(cls, value: Path | None) -> Path | None:
        """"~/citewire" from a .env file, compose or systemd (no shell expands it there) meant ./~/citewire."""
        return value.expanduser() if value is not None else None

    @field_validator("prompts_dir")
    @classmethod
    def _prompts_present(cls, value: Path | None) -> Path | None:
        if value is not None and not any(value.glob("*.v*.md")):  # failed later as "cannot open the store: …"
            raise ValueError(f"{value} holds no prompt files (NAME.vN.md); leave it unset for the shipped prompts")
        return value

    @field_validator("lexical_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"{shown_url(value)} is not a postgresql:// URL")
        return value or None

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info) -> int:
        size = info.data.get("chunk_tokens")
        if size is not None and value >= size:
            raise ValueError(f"must be smaller than CITEWIRE_CHUNK_TOKENS ({size})")
        return value

    @field_validator("collection")
    @classmethod
    def _chroma_collection_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]", value):
            raise ValueError("use 3-512 letters, digits, '.', '_' or '-', starting and ending with a letter or digit")
        if ".." in value or _is_ipv4(value):  # Chroma refuses these too
            raise ValueError("no two periods in a row, and not an IPv4 address")
        return value

    @field_validator("encoding_name")
    @classmethod
    def _offline_encoding(cls, value: str) -> str:
        if value not in OFFLINE_ENCODINGS:
            raise ValueError(f"use {' or '.join(OFFLINE_ENCODINGS)} (the encodings that work offline)")
        return value

    @field_validator("guard_judge_band")
    @classmethod
    def _ordered_band(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low <= high <= 1:
            raise ValueError("use [low, high] with 0 <= low <= high <= 1, e.g. [0.2, 0.8]")
        return value

    @field_validator("guard_judge_budget")
    @classmethod
    def _judge_budget_agrees(cls, value: int | None, info) -> int | None:
        """Both at once contradict each other: say so rather than pick one behind the user's back."""
        if value == 0 and info.data.get("guard_judge"):
            raise ValueError("0 turns the LLM judge off, but CITEWIRE_GUARD_JUDGE=true asks it about every sentence: "
                             "unset one of them")
        return value

    @model_validator(mode="after")
    def _answer_leaves_room_for_the_prompt(self) -> Settings:
        """An answer budget that fills the context window started, then every answer and summary was a 500."""
        room = self.llm_context_window - self.llm_max_tokens
        if room < MIN_PROMPT_TOKENS:
            raise ValueError(f"CITEWIRE_LLM_MAX_TOKENS ({self.llm_max_tokens}) leaves {room} tokens of "
                             f"CITEWIRE_LLM_CONTEXT_WINDOW ({self.llm_context_window}) for the prompt; it needs at "
                             f"least {MIN_PROMPT_TOKENS}: lower the one or raise the other")
        return self

    @classmethod
    def from_environment(cls) -> Settings:
        """The settings, or one ``error: invalid setting: …`` line on stderr and exit status
        INVALID_SETTING_EXIT: the one way every entry point reads them (``citewire`` commands and ``uvicorn
        app.main:create_app --factory``, which printed pydantic's traceback before walk10, then exited 1
        where the CLI exited 2)."""
        from pydantic import ValidationError
        from pydantic_settings import SettingsError

        try:
            return cls()
        except (ValidationError, SettingsError) as exc:
            print(f"error: {invalid_setting_message(exc)}", file=sys.stderr, flush=True)
            raise SystemExit(INVALID_SETTING_EXIT) from None

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def records_path(self) -> Path:
        return self.data_dir / "records.sqlite"


def invalid_setting_message(exc) -> str:
    """One line for a pydantic ValidationError of Settings: ``invalid setting: CITEWIRE_NAME: reason; …``; or
    for pydantic-settings' SettingsError, raised before validation when a list or tuple setting is not JSON."""
    if not hasattr(exc, "errors"):  # SettingsError: 'error parsing value for field "x" from source …'
        named = re.search(r'field "(\w+)"', str(exc))
        if named is None:
            return f"invalid setting: {exc}"
        return (f"invalid setting: CITEWIRE_{named.group(1).upper()}: not valid JSON ({exc.__cause__ or exc}); "
                f"write it as a JSON list, e.g. [0.2, 0.8]")

    def name(loc: tuple) -> str:  # ("guard_judge_band", 1) -> CITEWIRE_GUARD_JUDGE_BAND item 1
        return f"CITEWIRE_{str(loc[0]).upper()}" + "".join(f" item {part}" for part in loc[1:]) if loc else "CITEWIRE_*"

    reasons = "; ".join(f"{name(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                        for e in exc.errors())
    return f"invalid setting: {reasons}"
