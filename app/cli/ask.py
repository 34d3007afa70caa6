"""``citewire ask``, ``search`` and ``summarize``: reading the indexed articles from a terminal."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Optional

import typer

from app.cli.common import _checked_article_id, _dependency_errors, _listed_date, _parse_date, _services, cli, fail


@cli.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the indexed articles.")],
    top_k: Annotated[Optional[int], typer.Option(min=1, max=50)] = None,
    as_of: Annotated[Optional[str], typer.Option(help="Answer as of this date (YYYY-MM-DD: the whole day) or instant (ISO 8601 date and time).")] = None,
    source: Annotated[Optional[list[str]], typer.Option(help="Only this publisher (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON response.")] = False,
    stream: Annotated[Optional[bool], typer.Option("--stream/--no-stream",
                                                   help="Print tokens as they come (default: on with an LLM).")] = None,
) -> None:
    """Answer with numbered sources, or say the articles do not hold the answer."""
    from app.request_types import question_text
    from app.store.models import Filters

    try:  # NFKC for searching only (quotes stay as stored), then 1-2000 characters, as /v1/ask and MCP read it
        question = question_text(question)
    except ValueError as exc:
        fail(str(exc), 2)
    when = _parse_date(as_of, "--as-of")
    services = _services()
    filters = Filters(sources=source) if source else None
    stream = (services.answers.mode == "llm") if stream is None else stream
    with _dependency_errors(services.settings):
        answer, streamed = _ask(services, question, top_k, filters, when, stream and not as_json)
    from app.answer.render import fallback_note

    note = fallback_note(answer.fallback)
    if note:  # the LLM is down (CITEWIRE_LLM_OUTAGE_FALLBACK=extractive): one line, on stderr, in --json too
        typer.secho(note, err=True, dim=True)
    if as_json:
        typer.echo(json.dumps(asdict(answer), ensure_ascii=False, indent=2))
        return
    if streamed is None or streamed.strip() != answer.answer.strip():  # else it is on screen already
        if streamed:
            typer.echo("\nVerified answer:")
        typer.echo(answer.answer)
    if not answer.answerable and answer.refusal_reason:
        typer.secho(f"({answer.refusal_reason})", dim=True)
    if answer.citations:
        typer.echo("\nSources:")
        for c in answer.citations:
            typer.echo(f"[{c.n}] {c.title} — {c.source}, {_listed_date(c.published_at)} ({c.article_id}, chars {c.char_start}-{c.char_end})")
            typer.echo(f"    “{c.quote}”")
            if c.url:
                typer.echo(f"    {c.url}")


def _ask(services, question, top_k, filters, when, stream: bool):
    """(the answer, the text printed while streaming or None); with ``stream`` the tokens are printed as they
    come. The services are closed after."""
    import time

    try:
        if not stream:
            return services.answers.ask(question, top_k=top_k, filters=filters, as_of=when), None
        started, first, pieces = time.perf_counter(), None, []
        answer = None
        for kind, payload in services.answers.stream(question, top_k=top_k, filters=filters, as_of=when):
            if kind == "delta":
                first = first or time.perf_counter()
                pieces.append(payload)
                typer.echo(payload, nl=False)
            else:
                answer = payload
    finally:
        services.close()
    if pieces:
        typer.echo("")
    if answer.usage and first:  # the model ran (a pre-check refusal never calls it)
        elapsed = time.perf_counter() - first
        tokens = (answer.usage or {}).get("completion_tokens") or len(pieces)
        typer.secho(f"(first token {first - started:.1f} s, {tokens / max(elapsed, 1e-6):.1f} tokens/s; "
                    f"guard: {answer.guard})", dim=True, err=True)
    return answer, "".join(pieces)


@cli.command()
def search(
    query: Annotated[str, typer.Argument()],
    top_k: Annotated[Optional[int], typer.Option(min=1, max=50, help="Passages shown (default: CITEWIRE_TOP_K, 5).")] = None,
    as_of: Annotated[Optional[str], typer.Option(help="Ignore articles after this date (YYYY-MM-DD) or instant (ISO 8601).")] = None,
    mode: Annotated[Optional[str], typer.Option(help="hybrid, bm25 or dense (default: CITEWIRE_RETRIEVAL_MODE, hybrid).")] = None,
) -> None:
    """Show the ranked passages retrieval finds."""
    from app.request_types import question_text

    try:
        query = question_text(query, "query")
    except ValueError as exc:
        fail(str(exc), 2)
    from app.retrieval.service import MODES

    if mode is not None and mode not in MODES:  # "" meant hybrid, without a word
        fail(f"--mode {mode!r}: use {', '.join(MODES)}", 2)
    services = _services()
    try:
        with _dependency_errors(services.settings):
            passages = services.retrieval.search(query, top_k=top_k, as_of=_parse_date(as_of, "--as-of"), mode=mode,
                                                 per_article=services.settings.search_per_article)
    except ValueError as exc:
        fail(str(exc), 2)
    if not passages:  # said, so an empty result is not taken for a crash or a hang
        typer.echo("no passage matches", err=True)
    for i, p in enumerate(passages, start=1):
        typer.echo(f"{i}. [{p.score:.4f}] {p.title} ({p.article_id} #{p.chunk_index}, {_listed_date(p.published_at)})")
        typer.echo("   " + " ".join(p.text.split())[:300])
    services.close()


@cli.command()
def summarize(
    article_id: Annotated[Optional[list[str]], typer.Option("--article-id", "--article", help="Article to summarise (repeatable).")] = None,
    topic: Annotated[Optional[str], typer.Option(help="Summarise what the corpus says on this topic.")] = None,
    max_words: Annotated[int, typer.Option(help="Upper bound on the summary's words (20-1000).")] = 120,
    as_of: Annotated[Optional[str], typer.Option(help="A topic summary ignores articles after this date (YYYY-MM-DD) or instant (ISO 8601).")] = None,
) -> None:
    """Summarise articles or a topic; every sentence cited."""
    from app.summarize.service import ArticleNotFound, InvalidSummaryRequest, checked_max_words, summary_target

    try:  # the summarize service's one check, as /v1/summarize and the MCP tool make it (same words)
        article_id, topic = summary_target(article_id, topic, "--as-of" if as_of else "")
        checked_max_words(max_words)
    except InvalidSummaryRequest as exc:
        fail(f"{exc}" + (" (--article-id, repeatable, or --topic)" if str(exc).startswith("give") else ""), 2)
    for one in article_id or ():  # "no article with id 'bad id!'" (exit 1) said it might be stored one day
        _checked_article_id(one, "--article-id")
    when = _parse_date(as_of, "--as-of")
    services = _services()
    try:
        with _dependency_errors(services.settings):
            summary = (services.summaries.summarize_topic(topic, max_words=max_words, as_of=when) if topic
                       else services.summaries.summarize_articles(article_id, max_words=max_words))
    except ArticleNotFound as exc:
        fail(exc.message)
    finally:
        services.close()
    from app.answer.render import fallback_note

    note = fallback_note(summary.fallback, "Summarised")
    if note:
        typer.secho(note, err=True, dim=True)
    typer.echo(summary.summary)
    if not summary.answerable:
        typer.echo(f"(refused: {summary.refusal_reason})" if summary.refusal_reason else "(refused)")
        return
    if summary.facets:
        typer.echo(f"\nCovers: {', '.join(summary.facets)}")
    if summary.truncated:
        typer.echo(f"\nRead in part (too long to read whole): {', '.join(summary.truncated)}")
    typer.echo("\nSources:")
    for c in summary.citations:
        typer.echo(f"[{c.n}] {c.title} — {c.source}, {_listed_date(c.published_at)} ({c.article_id}, chars {c.char_start}-{c.char_end})")
