"""The known-answer suite: plain YAML in evals/, validated on load so a typo fails loudly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from app.assets import asset_dir
from app.request_types import count, error_message
from app.summarize.service import MAX_SUMMARY_WORDS, MIN_SUMMARY_WORDS

DEFAULT_SUITE = asset_dir("evals") / "questions.yaml"
DEFAULT_THRESHOLDS = asset_dir("evals") / "thresholds.yaml"


class DatasetError(ValueError):
    """A suite or public data set that cannot be read as one: the message says which file and why, in one line
    (``citewire eval`` prints it instead of a parser's traceback)."""


def not_a_data_dir(index: Path) -> str | None:
    """Why ``--index`` is no Citewire data dir, or None: a folder of one's articles was opened as one, and an empty
    store was left in it. With the record on PostgreSQL (CITEWIRE_LEXICAL_URL) nothing local marks a data dir."""
    from app.config import Settings
    from app.store.data_dir_lock import lock_path

    settings = Settings(data_dir=index, index_samples=False)
    marks = (settings.records_path, settings.chroma_dir, lock_path(settings.chroma_dir))  # the lock: one in use
    if settings.lexical_url or any(mark.exists() for mark in marks):
        return None
    return (f"--index {index} is not a Citewire data dir (no {settings.records_path.name} or "
            f"{settings.chroma_dir.name}/): give the folder `citewire ingest` wrote into (CITEWIRE_DATA_DIR), not the "
            "articles' folder")


def jsonl_records(path: Path, kind: str) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) of each non-blank line; a line that is not JSON is a DatasetError naming
    the file, the line and the kind of record expected (a file of another data set, or damaged)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:  # bytes in, so a file that is not UTF-8 names its line too
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetError(f"{path}:{number} is not UTF-8 text") from exc
            try:
                yield number, json.loads(line)
            except (ValueError, RecursionError) as exc:
                raise DatasetError(f"{path}:{number} is not {kind} ({type(exc).__name__}: {exc})") from exc


class AnswerableCase(BaseModel):
    id: str
    question: str
    facts: list[list[str]] = Field(description="Each fact is a list of aliases; one must appear in the answer.")
    # none (or []): the case checks the answer only (its facts, or that it is answered), and is left out of the
    # retrieval metrics; scored as a miss, it pulled hit@5 down for a case that names nothing to find
    articles: list[str] = Field(default_factory=list, description="Article ids that support the answer.")
    # a date, as the API reads it (YAML reads an unquoted 2024-01-01 as one): any string let a typo through, and
    # the server's 422 for each request of the case was scored as a retrieval miss and a false refusal
    as_of: date | None = None


class UnanswerableCase(BaseModel):
    id: str
    question: str
    as_of: date | None = None


class SummaryCase(BaseModel):
    id: str
    article_id: str | None = None
    topic: str | None = None
    max_words: count(MIN_SUMMARY_WORDS, MAX_SUMMARY_WORDS) = 120  # what /v1/summarize takes (else a 422 scored 0)
    facts: list[list[str]]

    @model_validator(mode="after")
    def _one_target(self):
        if (self.article_id is None) == (self.topic is None):
            raise ValueError(f"summary case {self.id}: give exactly one of article_id or topic")
        return self


class Suite(BaseModel):
    version: int
    answerable: list[AnswerableCase]
    unanswerable: list[UnanswerableCase]
    summaries: list[SummaryCase] = Field(default_factory=list)


def load_suite(path: Path = DEFAULT_SUITE) -> Suite:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else exc}") from exc
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        raise DatasetError(f"{path} is not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from exc
    try:
        suite = Suite.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "the document"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DatasetError(f"{path} is not a known-answer suite: {where}: {error_message(first)}{more}") from exc
    ids = [c.id for c in [*suite.answerable, *suite.unanswerable, *suite.summaries]]
    if not ids:  # every metric was 0.000 "over 0 cases", exit 0
        raise DatasetError(f"{path} holds no case: give answerable, unanswerable or summaries cases")
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise DatasetError(f"duplicate case ids in {path}: {sorted(duplicates)}")
    return suite


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> dict[str, dict[str, float]]:
    """``{metric: {"min": x}}`` or ``{metric: {"max": x}}``."""
    raw = yaml.safe_load(path.read_text()) or {}
    return {name: dict(rule) for name, rule in raw.get("thresholds", {}).items()}
