"""What an ingest reports: one outcome per article, and the totals."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class ArticleOutcome:
    origin: str
    article_id: str | None
    status: str  # added | updated | unchanged | failed
    chunks: int = 0
    error: str | None = None


@dataclass(slots=True)
class IngestReport:
    outcomes: list[ArticleOutcome] = field(default_factory=list)
    keep_outcomes: bool = True
    counts: dict[str, int] = field(default_factory=lambda: {"added": 0, "updated": 0, "unchanged": 0, "failed": 0})
    chunks_written: int = 0
    failures: list[ArticleOutcome] = field(default_factory=list)

    def record(self, outcome: ArticleOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status in ("added", "updated"):
            self.chunks_written += outcome.chunks
        if outcome.status == "failed":
            self.failures.append(outcome)
        if self.keep_outcomes:
            self.outcomes.append(outcome)
