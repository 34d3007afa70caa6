"""What the ``citewire`` commands share: the Typer app, one-line errors, opening the stores, reading dates and ids."""

from __future__ import annotations

import contextlib
import tempfile
from datetime import date, datetime, timezone

import typer
from typer.core import TyperGroup

from app.config import Settings

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
