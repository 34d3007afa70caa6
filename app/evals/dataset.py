"""The known-answer suite: plain YAML in evals/, validated on load so a typo fails loudly."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, Field, model_validator

from app.assets import asset_dir

DEFAULT_SUITE = asset_dir("evals") / "questions.yaml"
DEFAULT_THRESHOLDS = asset_dir("evals") / "thresholds.yaml"


class AnswerableCase(BaseModel):
    id: str
    question: str
    facts: list[list[str]] = Field(description="Each fact is a list of aliases; one must appear in the answer.")
    articles: list[str] = Field(description="Article ids that support the answer.")
    as_of: str | None = None


class UnanswerableCase(BaseModel):
    id: str
    question: str
    as_of: str | None = None


class SummaryCase(BaseModel):
    id: str
    article_id: str | None = None
    topic: str | None = None
    max_words: int = 120
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
    suite = Suite.model_validate(yaml.safe_load(path.read_text()))
    ids = [c.id for c in [*suite.answerable, *suite.unanswerable, *suite.summaries]]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate case ids in {path}: {sorted(duplicates)}")
    return suite


def load_thresholds(path: Path = DEFAULT_THRESHOLDS) -> dict[str, dict[str, float]]:
    """``{metric: {"min": x}}`` or ``{metric: {"max": x}}``."""
    raw = yaml.safe_load(path.read_text()) or {}
    return {name: dict(rule) for name, rule in raw.get("thresholds", {}).items()}
