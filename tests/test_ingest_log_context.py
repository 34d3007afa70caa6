"""The ingest pipeline's threads log with the request that started them: "writing a batch failed" carried
request_id "-" in the JSON logs, so an operator could not tie it to the failing POST."""

from __future__ import annotations

import logging

import pytest
from asgi_correlation_id import correlation_id
from asgi_correlation_id.log_filters import CorrelationIdFilter

from app.config import Settings
from app.ingest.article import ArticleIn
from app.services import build_services


@pytest.fixture
def services(tmp_path):
    built = build_services(Settings(data_dir=tmp_path / "data"))
    yield built
    built.close()


def test_a_failed_batch_is_logged_with_the_request_id_of_its_request(services, monkeypatch):
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep()
    handler.addFilter(CorrelationIdFilter(uuid_length=None, default_value="-"))
    logger = logging.getLogger("app.ingest")
    logger.addHandler(handler)

    def broken_upsert(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.vectors, "upsert", broken_upsert)
    token = correlation_id.set("4b1c9e2a-request")
    try:
        report = services.ingest.ingest([ArticleIn(id=f"s{i}", text=f"Story {i} about the harbour.") for i in range(3)])
    finally:
        correlation_id.reset(token)
        logger.removeHandler(handler)
    assert report.counts["failed"] == 3
    failures = [r for r in seen if r.getMessage() == "writing a batch failed"]
    assert failures and {r.correlation_id for r in failures} == {"4b1c9e2a-request"}, [
        (r.getMessage(), r.correlation_id) for r in seen]
