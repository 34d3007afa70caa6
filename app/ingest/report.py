"""What an ingest reports: one outcome per article, and the totals."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.ingest.article import ARTICLE_FIELDS, NormalisedArticle
from app.text import counted as counted_noun

WARNED_DUPLICATES = 5  # warnings name this many duplicated ids, then count the rest
WARNED_FIELDS = 10  # warnings name this many ignored field names, then count the rest
_TRACKED_FIELDS = 100  # distinct ignored names counted for the summary warning (a feed's keys could be unbounded)
_ARTICLE_FIELDS = ", ".join(ARTICLE_FIELDS)


def _listed(names: list[str]) -> str:
    named = ", ".join(names[:WARNED_FIELDS])
    return named + (f" and {len(names) - WARNED_FIELDS} more" if len(names) > WARNED_FIELDS else "")


def ignored_warning(fields: list[str]) -> str:
    """One record's fields that no article field reads ("publshed_at" stored the article undated, without a word)."""
    return f"ignored {_listed([repr(name) for name in fields])}: {_not_fields(len(fields))}"


def _not_fields(n: int) -> str:
    return f"{'not an article field' if n == 1 else 'not article fields'} (fields: {_ARTICLE_FIELDS})"


DATED_LATER = "dated after now"  # the start of the warning an article published in the future gets


def dated_later_warnings(article: NormalisedArticle) -> list[str]:
    """The warning for an article published after now, or none. Retrieval sees nothing published after ``as_of``
    (default: now), so such an article is stored but found by no question until that date: a walk ingested one
    dated 2031 and was told "the passages do not seem to hold an answer"."""
    if not article.published_ts or article.published_ts <= time.time():
        return []
    return [f"{DATED_LATER} ({article.published_at}): questions, searches and summaries see it only from that date, "
            "or with as_of at or after it"]


@dataclass(slots=True)
class ArticleOutcome:
    origin: str
    article_id: str | None
    status: str  # added | updated | unchanged | failed
    chunks: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. fields of the record that were ignored


@dataclass(slots=True)
class IngestReport:
    """Counts are per article, not per record: an id given twice in one ingest (the later record wins) is one
    outcome, at the first record's place, with the later record's origin, and a warning names it."""

    outcomes: list[ArticleOutcome] = field(default_factory=list)
    keep_outcomes: bool = True
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "unchanged": 0, "failed": 0})
    chunks_written: int = 0
    failures: list[ArticleOutcome] = field(default_factory=list)
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # id -> the origins of every record with it
    _reported: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (status, index in outcomes)
    ignored_fields: dict[str, int] = field(default_factory=dict)  # field name -> records that had it (ignored)
    dated_later: dict[str, None] = field(default_factory=dict)  # ids of stored articles published after now (ordered)
    _ignored: dict[str, list[str]] = field(default_factory=dict)  # origin -> its ignored fields, until reported

    def ignore(self, origin: str, fields: list[str]) -> None:
        """A record's fields that no article field reads: said with its outcome, and counted for one warning."""
        self._ignored[origin] = fields
        for name in fields:
            if name in self.ignored_fields or len(self.ignored_fields) < _TRACKED_FIELDS:
                self.ignored_fields[name] = self.ignored_fields.get(name, 0) + 1

    def record(self, outcome: ArticleOutcome) -> None:
        ignored = self._ignored.pop(outcome.origin, None)
        if ignored:
            outcome.warnings.append(ignored_warning(ignored))
        if outcome.status != "failed":  # what is stored decides: a later record of the id may be dated otherwise
            if any(w.startswith(DATED_LATER) for w in outcome.warnings):
                self.dated_later[outcome.article_id] = None
            else:
                self.dated_later.pop(outcome.article_id, None)
        if outcome.status in ("added", "updated"):
            self.chunks_written += outcome.chunks  # every write, a replaced earlier version's too
        if outcome.status == "failed":
            self.failures.append(outcome)
        elif outcome.article_id in self._reported:  # a later record of an id already stored in this ingest
            self._merge(outcome)
            return
        else:
            self._reported[outcome.article_id] = (outcome.status, len(self.outcomes))
        self.counts[outcome.status] += 1
        if self.keep_outcomes:
            self.outcomes.append(outcome)

    def _merge(self, outcome: ArticleOutcome) -> None:
        """Against the store as it was before this ingest: added stays added, updated stays updated, and
        unchanged becomes what the later record did."""
        earlier, index = self._reported[outcome.article_id]
        status = earlier if earlier in ("added", "updated") else outcome.status
        self.counts[earlier] -= 1
        self.counts[status] += 1
        self._reported[outcome.article_id] = (status, index)
        if self.keep_outcomes:
            self.outcomes[index] = ArticleOutcome(outcome.origin, outcome.article_id, status, outcome.chunks,
                                                  warnings=outcome.warnings)

    def status_of(self, article_id: str) -> str | None:
        """The article's outcome in this ingest as counted (an id given twice: what its records did together)."""
        reported = self._reported.get(article_id)
        return reported[0] if reported else None

    def duplicate(self, article_id: str, first_origin: str, origin: str) -> None:
        self.duplicates.setdefault(article_id, [first_origin]).append(origin)

    @property
    def warnings(self) -> list[str]:
        named = [f"id {article_id!r} is given {len(origins)} times ({', '.join(origins)}): the last readable record wins, counted once"
                 for article_id, origins in list(self.duplicates.items())[:WARNED_DUPLICATES]]
        if len(self.duplicates) > WARNED_DUPLICATES:
            named.append(f"and {len(self.duplicates) - WARNED_DUPLICATES} more ids given more than once")
        if self.dated_later:  # once for the whole ingest, as `citewire ingest` prints no outcome of its own
            ids = ", ".join(repr(i) for i in list(self.dated_later)[:WARNED_DUPLICATES])
            more = f" and {len(self.dated_later) - WARNED_DUPLICATES} more" if len(self.dated_later) > WARNED_DUPLICATES else ""
            named.append(f"{counted_noun(len(self.dated_later), 'article')} {DATED_LATER} ({ids}{more}): questions, searches "
                         "and summaries see each only from its date, or with as_of at or after it")
        if self.ignored_fields:  # once for the whole ingest: `citewire ingest` lists no outcome of its own
            counted = [f"{name!r} ({n} record{'s' if n != 1 else ''})" for name, n in self.ignored_fields.items()]
            named.append(f"ignored {_listed(counted)}: {_not_fields(len(counted))}")
        return named
