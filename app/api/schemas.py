"""Request and response models: the HTTP contract clients rely on (extend, never rename)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.ingest.article import ARTICLE_ID
from app.request_types import ARTICLE_ID_RULE, MAX_CHAT_MESSAGES, DateIn, Flag, count, question_text, search_text
from app.retrieval.service import end_of_day_ts, start_of_day_ts
from app.store.models import Filters
from app.summarize.service import (
    MAX_SUMMARY_ARTICLES,
    MAX_SUMMARY_WORDS,
    MAX_TOPIC_CHARS,
    MIN_SUMMARY_WORDS,
    checked_article_ids,
    checked_max_words,
    checked_topic,
    summary_target,
)

MAX_FILTER_VALUES = 1000
_WHOLE_NUMBER = TypeAdapter(int)  # as the field reads a number ("5.0" is 5): for the out-of-range message
ArticleId = Annotated[str, Field(pattern=ARTICLE_ID.pattern, description=f"An article id: {ARTICLE_ID_RULE}.")]


class SearchFilters(BaseModel):
    # a misspelt filter ("source") must fail loudly, not answer unfiltered
    model_config = ConfigDict(extra="forbid")

    # bounded like every other list in a request: one body must not make a query with unbounded parameters
    sources: list[str] | None = Field(default=None, max_length=MAX_FILTER_VALUES,
                                      description=f"Only these publishers (at most {MAX_FILTER_VALUES}).",
                                      examples=[["Citewire Desk"]])
    published_from: DateIn | None = Field(default=None, description="Earliest publication date (inclusive), or a "
                                                                     "date and time.")
    published_to: DateIn | None = Field(default=None, description="Latest publication date (inclusive), or a date "
                                                                   "and time.")
    article_ids: list[ArticleId] | None = Field(default=None, max_length=MAX_FILTER_VALUES,
                                                description=f"Only these articles (at most {MAX_FILTER_VALUES}).")

    @model_validator(mode="after")
    def _ordered(self):
        if self.published_from and self.published_to and start_of_day_ts(self.published_from) > end_of_day_ts(self.published_to):
            raise ValueError("published_from is after published_to")
        return self

    def to_filters(self) -> Filters:
        return Filters(
            sources=self.sources or None,
            article_ids=self.article_ids or None,
            published_from_ts=start_of_day_ts(self.published_from) if self.published_from else None,
            published_to_ts=end_of_day_ts(self.published_to) if self.published_to else None,
        )


_FILTER_NAMES = {"source", "sources", "published_from", "published_to", "article_ids", "from", "to", "after", "before"}


class NativeRequest(BaseModel):
    """A body of the native routes: an unknown field is refused, not ignored. A filter given at the top level
    ({"question": …, "source": "Reuters"}) answered unfiltered, as if the client had asked for everything;
    a misspelt option ("topk") was as silent. OpenAI's request (app/api/openai_schemas.py) stays lenient: its
    clients send parameters Citewire does not use."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _filters_at_the_top(cls, data):
        if isinstance(data, dict) and "filters" in cls.model_fields:
            misplaced = sorted(k for k in data if isinstance(k, str) and k in _FILTER_NAMES and k not in cls.model_fields)
            if misplaced:
                raise ValueError(f"{', '.join(misplaced)}: filters go under \"filters\" "
                                 f"(e.g. {{\"filters\": {{\"sources\": [\"Reuters\"]}}}}); fields: "
                                 f"{', '.join(SearchFilters.model_fields)}")
        return data


class SearchRequest(NativeRequest):
    query: str = Field(description="What to look for.", examples=["Kim Putin Vostochny"])
    top_k: count(1, 50) | None = Field(default=None, description="How many passages (default from settings).")
    filters: SearchFilters | None = None
    as_of: DateIn | None = Field(default=None, description="Ignore articles published after this date (its end, UTC) "
                                                           "or date and time (default: now).")
    mode: Literal["hybrid", "bm25", "dense"] | None = Field(  # "" read as the default, without a word
        default=None, description="hybrid (default), bm25 or dense.", examples=["hybrid"])
    per_article: count(0, 50) | None = Field(
        default=None, description="At most this many passages of one article ahead of other articles' (0: plain "
                                  "ranking; default CITEWIRE_SEARCH_PER_ARTICLE, 1).")

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return question_text(value, "query")


class PassageOut(BaseModel):
    rank: int
    score: float
    chunk_id: str
    article_id: str
    chunk_index: int
    title: str
    source: str
    url: str
    published_at: str | None
    text: str
    char_start: int
    char_end: int


class SearchResponse(BaseModel):
    query: str
    as_of: datetime | date | None
    results: list[PassageOut]


class AskRequest(NativeRequest):
    question: str = Field(description="A question about the indexed news.", examples=["What did Kim pledge?"])
    top_k: count(1, 50) | None = Field(default=None, description="Passages to answer from.")
    filters: SearchFilters | None = None
    as_of: DateIn | None = Field(default=None, description="Answer as of this date (its end, UTC) or date and time: "
                                                           "later articles are ignored.")
    stream: Flag | None = Field(default=False, description="Answer as Server-Sent Events (null: false).")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"question": "What did Kim pledge?"}]})

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return question_text(value, "question")


class CitationOut(BaseModel):
    n: int = Field(description="The number used as [n] in the answer.")
    article_id: str
    chunk_id: str
    title: str
    source: str
    url: str
    published_at: str | None
    quote: str = Field(description="Verbatim text of the article at [char_start, char_end).")
    char_start: int
    char_end: int


class SentenceOut(BaseModel):
    text: str
    citations: list[int]
    support: float | None = None
    status: str = "kept"


FALLBACK_DOC = ("Set when the configured LLM failed (connection refused, timeout, HTTP 5xx or 429) or was cooling "
                "down after such a failure, and the extractive answerer answered instead "
                "(CITEWIRE_LLM_OUTAGE_FALLBACK=extractive): {from: \"llm\", reason, tried} (tried: false when the LLM "
                "was not asked, during CITEWIRE_LLM_OUTAGE_COOLDOWN). Null otherwise.")


class AskResponse(BaseModel):
    answer: str
    answerable: bool
    citations: list[CitationOut]
    sentences: list[SentenceOut] = Field(default_factory=list, description="The answer split into cited sentences.")
    mode: str = Field(description="extractive (no LLM) or llm.")
    refusal_reason: str | None = None
    guard: dict | None = Field(default=None, description="Faithfulness guard summary (LLM answers): sentences kept, "
                               "fixed (re-attributed), dropped (unsupported), marked, repeated (dropped as a repeat "
                               "of a kept one); with the extractive fallback, fallback and llm_refusal_reason.")
    usage: dict | None = Field(default=None, description="Token usage reported by the LLM.")
    fallback: dict | None = Field(default=None, description=FALLBACK_DOC)

    model_config = {
        "json_schema_extra": {
            "examples": [{
                "answer": "Kim told Putin that North Korea would give “full and unconditional support” to Moscow … [1]",
                "answerable": True,
                "citations": [{
                    "n": 1, "article_id": "kim-putin-vostochny-2023", "chunk_id": "kim-putin-vostochny-2023:0:3f2a9c1b7d4e",
                    "title": "Kim pledges full support to Putin at Russia's Vostochny spaceport", "source": "Citewire Desk",
                    "url": "https://samples.citewire.invalid/2023/09/13/kim-putin-vostochny", "published_at": "2023-09-13",
                    "quote": "Kim told Putin that North Korea would give …", "char_start": 205, "char_end": 390,
                }],
                "mode": "extractive",
            }]
        }
    }


class ArticleSummary(BaseModel):
    id: str
    title: str
    source: str
    url: str
    published_at: str | None
    content_hash: str
    ingested_at: str
    chunks: int


class ArticleDetail(ArticleSummary):
    text: str


class ArticleList(BaseModel):
    total: int
    limit: int
    offset: int
    articles: list[ArticleSummary]


class IngestItem(BaseModel):
    origin: str
    article_id: str | None
    status: str = Field(description="added, updated, unchanged or failed")
    chunks: int = 0
    error: str | None = None
    warnings: list[str] = Field(default_factory=list, description=(
        "E.g. the record's fields that no article field reads (a misspelt \"publshed_at\"): ignored."))


class IngestResponse(BaseModel):
    added: int
    updated: int
    unchanged: int
    failed: int
    chunks_written: int
    results: list[IngestItem]
    warnings: list[str] = Field(default_factory=list, description=(
        "E.g. an id given more than once in the request: the last record wins (it is written, unless it fails), "
        "and it is counted and listed in results once; fields that no article field reads, ignored, with how many "
        "records had each."))


class SummarizeRequest(NativeRequest):
    article_id: ArticleId | None = Field(default=None, description="Summarise this article.")
    # the caps are checked by the summarize service (one check for every adapter) and shown here in the schema
    article_ids: list[ArticleId] | None = Field(default=None, json_schema_extra={"maxItems": MAX_SUMMARY_ARTICLES},
                                               description="Summarise these articles together "
                                                           f"(at most {MAX_SUMMARY_ARTICLES}).")
    topic: str | None = Field(default=None, json_schema_extra={"maxLength": MAX_TOPIC_CHARS},
                              description="Summarise what the corpus says on this topic "
                                          f"(at most {MAX_TOPIC_CHARS} characters, not counting surrounding spaces).")
    filters: SearchFilters | None = Field(default=None, description="Restrict a topic summary's sources (refused "
                                                                     "with article ids).")
    max_words: count(MIN_SUMMARY_WORDS, MAX_SUMMARY_WORDS) = Field(default=120,
                                                                  description="Upper bound on the words of the summary's quoted "
                                                                              "sentences and conflict notes (the [n] "
                                                                              "markers are not counted).")
    stream: Flag | None = Field(default=False, description="Stream as Server-Sent Events (null: false).")
    as_of: DateIn | None = Field(default=None, description="A topic summary ignores articles published after this "
                               "date (default: now), as /v1/ask does; refused with article ids, which are taken as given.")

    model_config = {"json_schema_extra": {"examples": [{"article_id": "kim-putin-vostochny-2023", "max_words": 80},
                                                       {"topic": "Russia and North Korea", "max_words": 150}]}}

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str | None, info: ValidationInfo) -> str | None:  # here too, so the error names the field
        if value == "" and not (info.data.get("article_id") or info.data.get("article_ids")):
            return checked_topic(value)  # "" alone is an empty topic, as "   " is (the error named the body)
        return value if value in (None, "") else checked_topic(value)

    @field_validator("max_words", mode="wrap")
    @classmethod
    def _max_words(cls, value, handler):
        """null is "not given", as for every other optional field; a whole number out of range is refused in the
        words the CLI and MCP use ("max_words must be a whole number from 20 to 1000, not 5"), not pydantic's."""
        if value is None:
            return cls.model_fields["max_words"].default
        try:
            return handler(value)
        except ValidationError as exc:
            if exc.errors()[0]["type"] in ("greater_than_equal", "less_than_equal"):
                checked_max_words(_WHOLE_NUMBER.validate_python(value))  # raises InvalidSummaryRequest: its words
            raise

    @field_validator("article_ids")
    @classmethod
    def _article_ids(cls, value: list[str] | None) -> list[str] | None:
        return checked_article_ids(value) if value else value

    @model_validator(mode="after")
    def _one_target(self):
        if self.article_id and self.article_ids:
            raise ValueError("give article_id or article_ids, not both")
        # an empty list restricts nothing (to_filters reads it as no filter; MCP's _given does not name it)
        narrowing = self.filters and {k: v for k, v in self.filters.model_dump(exclude_none=True).items() if v != []}
        given = (("filters", narrowing), ("as_of", self.as_of))
        narrowed = " and ".join(name for name, value in given if value)
        summary_target(self.article_ids or ([self.article_id] if self.article_id else None), self.topic, narrowed)
        return self


class ConflictOut(BaseModel):
    citations: list[int]
    first_says: list[str]
    second_says: list[str]
    note: str


class SummarizeResponse(BaseModel):
    summary: str
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    article_ids: list[str]
    conflicts: list[ConflictOut] = Field(default_factory=list, description="Places where sources disagree.")
    mode: str
    guard: dict | None = Field(default=None, description="Faithfulness guard summary (LLM summaries): sentences "
                               "kept, fixed, dropped, marked and repeated, over all of the summary's LLM calls.")
    usage: dict | None = Field(default=None, description="Token usage and number of LLM calls.")
    fallback: dict | None = Field(default=None, description=FALLBACK_DOC.replace("extractive answerer answered",
                                                                                  "extractive summariser summarised"))
    answerable: bool = Field(default=True, description="False for a refusal: no indexed article covers the topic, no sentence can be quoted whole within max_words, or (with an LLM and the extractive fallback off) the guard kept no sentence of the summary.")
    refusal_reason: str | None = Field(default=None, description="Why the summary was refused.")
    facets: dict[str, list[int]] | None = Field(
        default=None, description="Extractive article summaries: each fact facet covered (who, what, where, when, "
                                  "consequence) → the 0-based indexes in `sentences` that carry it. Null otherwise.")
    truncated: list[str] = Field(
        default_factory=list, description="Article summaries: the articles too long to read whole, summarised from "
                                          "their first part (100,000 characters each, less when many are summarised).")


class ChatMessage(BaseModel):
    # system (and developer) messages are taken and left out, as /v1/chat/completions leaves them out: a client that
    # sends its OpenAI-style conversation here was refused with the pattern "^(user|assistant)$"
    role: Literal["user", "assistant", "system", "developer"] = Field(
        description="user or assistant; system and developer messages are ignored")
    # no cap of its own: an earlier turn of any length is read as /v1/chat/completions reads it (the condenser
    # reads each of the last turns to its first CONDENSER_TURN_CHARS); the question's cap is the model's below
    content: str  # a blank last message is "question is empty" below, as /v1/ask says (it was "at least 1 character")

    @field_validator("content")
    @classmethod
    def _searchable(cls, value: str) -> str:  # the conversation is read only to find the question to search
        return search_text(value)


class ChatRequest(NativeRequest):
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_CHAT_MESSAGES,
                                        description="The conversation so far; the last message is the user's question.")
    top_k: count(1, 50) | None = None
    filters: SearchFilters | None = None
    as_of: DateIn | None = None
    stream: Flag | None = False  # null: false, as the other fields take null

    model_config = {"json_schema_extra": {"examples": [{"messages": [
        {"role": "user", "content": "What did Kim pledge to Putin?"},
        {"role": "assistant", "content": "Kim pledged “full and unconditional support” … [1]"},
        {"role": "user", "content": "And who went with him?"},
    ]}]}}

    @model_validator(mode="after")
    def _ends_with_user_question(self):
        last = self.messages[-1]
        if last.role != "user":
            raise ValueError("the last message must be the user's question")
        question_text(last.content, "question")  # a blank one is "question is empty", as /v1/ask says
        self.messages = [m for m in self.messages if m.role in ("user", "assistant")]  # the condenser reads these
        return self


class ChatResponse(AskResponse):
    standalone_question: str = Field(description="The follow-up rewritten to stand alone; this is what was asked.")
