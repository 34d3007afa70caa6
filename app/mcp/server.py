"""Citewire as an MCP server (official ``mcp`` SDK): tools and article resources over the services.

An adapter like ``app/api``: it calls the services and never the HTTP routes. The services come
from a callable, because over HTTP they are built in the FastAPI lifespan, after this server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError, UnexpectedToolError
from mcp.server.mcpserver.resources import ResourceSecurity
from mcp.types import Resource, ToolAnnotations
from pydantic import AfterValidator, Field, ValidationError

from app import __version__
from app.answer.models import Citation
from app.answer.render import fallback_note, with_note, with_sources
from app.dependency_errors import classify
from app.ingest.article import ARTICLE_ID
from app.mcp.errors import argument_errors
from app.mcp.schemas import (
    ArticleItem,
    ArticleList,
    ArticleText,
    AskResult,
    CitationItem,
    PassageItem,
    SearchResult,
    SummaryResult,
)
from app.request_types import (
    ARTICLE_ID_RULE,
    MAX_LIST_LIMIT,
    MAX_LIST_OFFSET,
    MAX_QUESTION_CHARS,
    DateIn,
    count,
    question_text,
)
from app.retrieval.service import end_of_day_ts, start_of_day_ts
from app.services import Services
from app.store.models import Filters, StoredArticle
from app.store.records import RecordStore
from app.summarize.service import (
    MAX_SUMMARY_ARTICLES,
    MAX_SUMMARY_WORDS,
    MAX_TOPIC_CHARS,
    MIN_SUMMARY_WORDS,
    ArticleNotFound,
    InvalidSummaryRequest,
    summary_target,
)

ARTICLE_URI = "article://{article_id}"
LISTED_RESOURCES = 500  # resources/list has no paging here; list_articles pages through the rest

INSTRUCTIONS = (
    "Citewire answers questions about an index of news articles with cited, verbatim passages. "
    "Use `ask` for a question (it may refuse when the articles do not say; do not answer from memory "
    "then), `search` for raw passages, `summarize` for articles or a topic, `list_articles` and "
    "`get_article` (or the article://{id} resources) to read the sources. `ask`, `search` and a topic "
    "`summarize` take the filters sources, published_from, published_to and article_ids (for `summarize`: "
    "within_article_ids) and as_of. Keep the [n] markers and the Sources list when you quote an answer."
)

# read as /v1/ask reads it (app/request_types.question_text: NFKC, stripped, then 1-2000 characters)
Question = Annotated[str, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS},
                                description="A question about the indexed news."),
                     AfterValidator(lambda value: question_text(value, "question"))]
Query = Annotated[str, Field(json_schema_extra={"minLength": 1, "maxLength": MAX_QUESTION_CHARS}, description="What to look for."),
                  AfterValidator(lambda value: question_text(value, "query"))]
# numbers read as /v1/* reads them (app/request_types.count): a JSON true is refused, not taken as 1
TopK = Annotated[count(1, 50) | None, Field(description="Passages to use (default from settings).")]
AsOf = Annotated[DateIn | None, Field(description="Ignore articles published after this date (YYYY-MM-DD: the whole "
                                                  "day, UTC) or instant (ISO 8601, e.g. 2024-05-04T12:00:00Z).")]
# The filters of /v1/ask, /v1/search and /v1/summarize (app/api/schemas.SearchFilters), as arguments of their own:
# the same names, bounds and readings (an adapter imports no other adapter, so the bound is repeated here).
MAX_FILTER_VALUES = 1000
Sources = Annotated[list[str] | None, Field(max_length=MAX_FILTER_VALUES, description=(
    f"Only these publishers, e.g. [\"Citewire Desk\"] (at most {MAX_FILTER_VALUES}; see list_articles)."))]
PublishedFrom = Annotated[DateIn | None, Field(description=(
    "Only articles published on or after this date (YYYY-MM-DD: from its first second, UTC) or instant (ISO 8601); "
    "articles without a date are left out."))]
PublishedTo = Annotated[DateIn | None, Field(description=(
    "Only articles published on or before this date (YYYY-MM-DD: through its last second, UTC) or instant (ISO "
    "8601); articles without a date are left out."))]


def _article_id(value: str) -> str:
    if not ARTICLE_ID.fullmatch(value):
        raise ValueError(f"{value[:40]!r} is not an article id ({ARTICLE_ID_RULE})")
    return value


FilterArticleId = Annotated[str, Field(json_schema_extra={"pattern": ARTICLE_ID.pattern}), AfterValidator(_article_id)]
ArticleIds = Annotated[list[FilterArticleId] | None, Field(max_length=MAX_FILTER_VALUES, description=(
    f"Only passages of these articles (at most {MAX_FILTER_VALUES}; see list_articles)."))]
WithinArticleIds = Annotated[list[FilterArticleId] | None, Field(max_length=MAX_FILTER_VALUES, description=(
    f"A topic summary only from these articles (at most {MAX_FILTER_VALUES}): /v1/summarize's filters.article_ids. "
    "To summarise articles themselves, give article_ids."))]
ArticleId = Annotated[str, Field(min_length=1, max_length=300, description="An article id (see list_articles).")]
_READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
# An article id is looked up in the record store, never joined to a path: the SDK's default policy read an id such as
# "a:2023-17" (ARTICLE_ID allows ':') as a Windows drive-relative path, so its listed resource did not open.
ARTICLE_ID_SECURITY = ResourceSecurity(reject_path_traversal=False, reject_absolute_paths=False)


def _citation(c: Citation) -> CitationItem:
    return CitationItem(n=c.n, article_id=c.article_id, title=c.title, source=c.source, url=c.url,
                        published_at=c.published_at, quote=c.quote, char_start=c.char_start, char_end=c.char_end)


def _filters(sources: list[str] | None, published_from=None, published_to=None,
             article_ids: list[str] | None = None) -> Filters | None:
    """The filters as /v1/*'s ``filters`` gives them to the services (SearchFilters.to_filters): an empty list is no
    restriction; a date bound is a date's whole day or an instant (app/retrieval's start_of_day_ts, end_of_day_ts);
    a range that ends before it starts is refused in /v1/*'s words."""
    if published_from and published_to and start_of_day_ts(published_from) > end_of_day_ts(published_to):
        raise ToolError("published_from is after published_to")
    if not (sources or published_from or published_to or article_ids):
        return None
    return Filters(sources=list(dict.fromkeys(sources)) if sources else None,
                   article_ids=list(dict.fromkeys(article_ids)) if article_ids else None,
                   published_from_ts=start_of_day_ts(published_from) if published_from else None,
                   published_to_ts=end_of_day_ts(published_to) if published_to else None)


def _given(**arguments) -> str:
    """The names of the arguments given (not null, not empty), as summary_target names them: "sources and as_of"."""
    names = [name for name, value in arguments.items() if value not in (None, [], "")]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def _list_articles(records: RecordStore, limit: int, offset: int, sources: list[str]) -> tuple[list[StoredArticle], int]:
    """A page of the articles of any of ``sources`` (none: every article), in the record store's order (newest
    first, then by id). The store lists one publisher at a time: each one's first offset + limit articles are
    merged, which holds the page whichever publishers it falls in."""
    if len(sources) <= 1:
        return records.list_articles(limit=limit, offset=offset, source=sources[0] if sources else None)
    merged, total = [], 0
    for source in sources:
        articles, count_ = records.list_articles(limit=offset + limit, offset=0, source=source)
        merged += articles
        total += count_
    merged.sort(key=lambda a: (-(a.published_ts or 0), a.id))
    return merged[offset:offset + limit], total


def _article_item(a: StoredArticle) -> ArticleItem:
    return ArticleItem(id=a.id, uri=ARTICLE_URI.format(article_id=a.id), title=a.title, source=a.source, url=a.url,
                       published_at=a.published_at, chunks=a.n_chunks)


def article_markdown(a: StoredArticle) -> str:
    meta = ", ".join(x for x in (a.source, a.published_at or "undated", a.url) if x)
    return f"# {a.title}\n\n{meta}\n\n{a.text}"


class CitewireMCP(MCPServer):
    """MCPServer whose resources/list also names the stored articles (newest first)."""

    def __init__(self, services: Callable[[], Services]) -> None:
        super().__init__("citewire", title="Citewire", version=__version__, instructions=INSTRUCTIONS,
                         log_level="WARNING")
        self._services = services
        self._arguments: dict[str, frozenset[str]] | None = None  # each tool's argument names, built once

    def add_tool(self, *args, **kwargs) -> None:
        super().add_tool(*args, **kwargs)
        self._arguments = None

    def remove_tool(self, name: str) -> None:
        super().remove_tool(name)
        self._arguments = None

    async def _tool_arguments(self) -> dict[str, frozenset[str]]:
        """Built on the first call from the tools' schemas (rebuilt only when a tool is added or removed), not
        on every call: list_tools builds every tool's schema model again."""
        if self._arguments is None:
            self._arguments = {t.name: frozenset(t.input_schema.get("properties", {})) for t in await self.list_tools()}
        return self._arguments

    async def call_tool(self, name, arguments, context=None):
        """Reject arguments the tool does not take: the SDK drops them, so a misspelt ``source`` for
        ``sources`` would quietly answer unfiltered."""
        tools = await self._tool_arguments()
        if name in tools:
            known = tools[name]
            unknown = sorted(set(arguments or {}) - known)
            if unknown:
                raise ToolError(f"Error executing tool {name}: unknown argument(s) {', '.join(unknown)}; "
                                f"it takes {', '.join(sorted(known))}")
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError as exc:
            # A dependency that is down (the LLM endpoint, the Chroma server) is said in the words /v1/* uses: the
            # SDK sends a crash as a bare "Error executing tool ask" (and logs its stack as an unexpected error).
            failure = classify(exc.__cause__) if exc.__cause__ is not None else None
            if failure is None:
                raise
            retry = f"; try again in {failure.retry_after} s" if failure.retry_after else ""
            raise ToolError(f"Error executing tool {name}: {failure.error}: {failure.detail}{retry}") from exc.__cause__
        except ToolError as exc:
            # Arguments that fail the tool's schema: the SDK sends pydantic's multi-line dump (its model name, the
            # rejected value, a docs URL); say it in one line instead, "question: question is empty". Only argument
            # validation raises a ToolError caused by a ValidationError (a body's own ValidationError is unexpected).
            if not isinstance(exc.__cause__, ValidationError):
                raise
            raise ToolError(f"Error executing tool {name}: {argument_errors(exc.__cause__)}") from exc.__cause__

    async def list_resources(self) -> list[Resource]:
        static = await super().list_resources()
        articles, _ = await anyio.to_thread.run_sync(
            lambda: self._services().records.list_articles(limit=LISTED_RESOURCES))
        return static + [
            Resource(uri=ARTICLE_URI.format(article_id=a.id), name=a.id, title=a.title, mime_type="text/markdown",
                     description=f"{a.source}, {a.published_at or 'undated'}")
            for a in articles
        ]


def create_mcp_server(services: Callable[[], Services]) -> CitewireMCP:
    server = CitewireMCP(services)

    @server.tool(annotations=_READ_ONLY)
    def ask(question: Question, top_k: TopK = None, as_of: AsOf = None, sources: Sources = None,
            published_from: PublishedFrom = None, published_to: PublishedTo = None,
            article_ids: ArticleIds = None) -> AskResult:
        """Answer a question from the indexed news articles, every sentence cited, or refuse when they do not say."""
        filters = _filters(sources, published_from, published_to, article_ids)
        answer = services().answers.ask(question, top_k=top_k, filters=filters, as_of=as_of)
        return AskResult(text=with_note(with_sources(answer.answer, answer.citations), fallback_note(answer.fallback)),
                         answer=answer.answer, answerable=answer.answerable, refusal_reason=answer.refusal_reason,
                         citations=[_citation(c) for c in answer.citations], mode=answer.mode,
                         fallback=answer.fallback)

    @server.tool(annotations=_READ_ONLY)
    def search(
        query: Query,
        top_k: Annotated[count(1, 50) | None, Field(description="How many passages (default: the server's CITEWIRE_TOP_K, 5).")] = None,
        as_of: AsOf = None,
        sources: Sources = None,
        mode: Annotated[Literal["hybrid", "bm25", "dense"] | None, Field(description="Retriever (default: the server's, hybrid unless CITEWIRE_RETRIEVAL_MODE says otherwise).")] = None,
        published_from: PublishedFrom = None,
        published_to: PublishedTo = None,
        article_ids: ArticleIds = None,
    ) -> SearchResult:
        """Ranked passages from the articles for a query (hybrid BM25 + dense retrieval)."""
        # Optional arguments take null as "the default": many LLM clients send null for what they leave out.
        filters = _filters(sources, published_from, published_to, article_ids)
        retrieval = services().retrieval
        # null: the server's settings, as /v1/search reads them (CITEWIRE_TOP_K, CITEWIRE_RETRIEVAL_MODE)
        passages = retrieval.search(query, top_k=top_k, filters=filters, as_of=as_of,
                                    mode=mode, per_article=retrieval.settings.search_per_article)
        return SearchResult(query=query, results=[
            PassageItem(rank=i, score=p.score, article_id=p.article_id, chunk_id=p.chunk_id, title=p.title,
                        source=p.source, url=p.url, published_at=p.published_at, text=p.text,
                        char_start=p.char_start, char_end=p.char_end)
            for i, p in enumerate(passages, start=1)
        ])

    @server.tool(annotations=_READ_ONLY)
    def summarize(
        # the caps are checked by the summarize service's summary_target, as for /v1/summarize and the CLI
        article_ids: Annotated[list[str] | None, Field(json_schema_extra={"maxItems": MAX_SUMMARY_ARTICLES}, description=(
            f"Summarise these articles together (at most {MAX_SUMMARY_ARTICLES}).")
        )] = None,
        topic: Annotated[str | None, Field(json_schema_extra={"maxLength": MAX_TOPIC_CHARS}, description=(
            f"Or: what the corpus says on this topic (at most {MAX_TOPIC_CHARS} characters).")
        )] = None,
        max_words: Annotated[count(MIN_SUMMARY_WORDS, MAX_SUMMARY_WORDS) | None, Field(
            description="Upper bound on the summary's words (default 120).")] = None,
        as_of: Annotated[DateIn | None, Field(description=(
            "A topic summary ignores articles published after this date (YYYY-MM-DD: the whole day, UTC) or instant "
            "(ISO 8601); refused with article_ids."))] = None,
        sources: Annotated[list[str] | None, Field(max_length=MAX_FILTER_VALUES, description=(
            f"A topic summary only from these publishers (at most {MAX_FILTER_VALUES}); refused with article_ids."))
        ] = None,
        published_from: Annotated[DateIn | None, Field(description=(
            "A topic summary only from articles published on or after this date (from its first second, UTC) or "
            "instant; undated articles are left out. Refused with article_ids."))] = None,
        published_to: Annotated[DateIn | None, Field(description=(
            "A topic summary only from articles published on or before this date (through its last second, UTC) or "
            "instant; undated articles are left out. Refused with article_ids."))] = None,
        within_article_ids: WithinArticleIds = None,
    ) -> SummaryResult:
        """Summarise one or more articles, or a topic; every sentence cited, disagreeing sources noted. The filters
        (sources, published_from, published_to, within_article_ids) and as_of restrict a topic summary only."""
        # as /v1/summarize: filters and as_of with article ids are refused (they would be ignored, as if applied)
        narrowed = _given(sources=sources, published_from=published_from, published_to=published_to,
                          within_article_ids=within_article_ids, as_of=as_of)
        try:
            article_ids, topic = summary_target(article_ids, topic, narrowed)
        except InvalidSummaryRequest as exc:
            raise ToolError(str(exc)) from exc
        filters = _filters(sources, published_from, published_to, within_article_ids)
        summaries, max_words = services().summaries, max_words or 120
        try:
            result = (summaries.summarize_topic(topic, max_words=max_words, filters=filters, as_of=as_of) if topic
                      else summaries.summarize_articles(article_ids, max_words=max_words))
        except ArticleNotFound as exc:
            raise ToolError(exc.message) from exc
        return SummaryResult(text=with_note(with_sources(result.summary, result.citations),
                                         fallback_note(result.fallback, "Summarised")), summary=result.summary,
                             citations=[_citation(c) for c in result.citations], article_ids=result.article_ids,
                             conflicts=[c["note"] for c in result.conflicts], answerable=result.answerable,
                             refusal_reason=result.refusal_reason, truncated=result.truncated,
                             fallback=result.fallback)

    @server.tool(annotations=_READ_ONLY)
    def list_articles(
        limit: Annotated[count(1, MAX_LIST_LIMIT) | None, Field(description="Articles per page (default 50).")] = None,
        offset: Annotated[count(0, MAX_LIST_OFFSET) | None, Field(description="Articles to skip (default 0).")] = None,
        source: Annotated[str | None, Field(description="Only this publisher (one name; sources takes a list).")] = None,
        sources: Annotated[list[str] | None, Field(max_length=MAX_FILTER_VALUES, description=(
            f"Only these publishers (at most {MAX_FILTER_VALUES}), as ask and search take them."))] = None,
    ) -> ArticleList:
        """List the stored articles, newest first, with their ids, publishers and resource URIs."""
        if source and sources:
            raise ToolError("give source or sources, not both")
        limit, offset = limit or 50, offset or 0
        names = [source] if source else list(dict.fromkeys(sources or []))
        articles, total = _list_articles(services().records, limit, offset, names)
        return ArticleList(total=total, offset=offset, articles=[_article_item(a) for a in articles])

    @server.tool(annotations=_READ_ONLY)
    def get_article(article_id: ArticleId) -> ArticleText:
        """One article with its full text (citations' char_start/char_end index into it)."""
        article = services().records.get_article(article_id)
        if article is None:
            raise ToolError(f"no article with id {article_id!r}")
        return ArticleText(id=article.id, title=article.title, source=article.source, url=article.url,
                           published_at=article.published_at, text=article.text)

    @server.resource(ARTICLE_URI, name="article", title="News article", mime_type="text/markdown",
                     description="A stored article: title, source, date, URL, then its full text.",
                     security=ARTICLE_ID_SECURITY)
    def article_resource(article_id: str) -> str:
        article = services().records.get_article(article_id)
        if article is None:
            raise ResourceNotFoundError(f"no article with id {article_id!r}")
        return article_markdown(article)

    return server
