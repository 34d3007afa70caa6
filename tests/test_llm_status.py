"""LLMStatus on its own, with its clock and its probe's thread in the test's hands: when the cooldown opens (a
connection failure at once, a 5xx or 429 only when repeated) and how /readyz reads the probe without waiting on it
(a review)."""

from __future__ import annotations

import threading

import httpx
import openai
import pytest

from app.llm.status import OPEN_AFTER, PROBE_TTL_S, LLMStatus

_REQUEST = httpx.Request("POST", "http://llm.invalid/v1/chat/completions")
UNREACHABLE = openai.APIConnectionError(request=_REQUEST)
TIMEOUT = openai.APITimeoutError(request=_REQUEST)


def _answered(status: int) -> openai.APIStatusError:
    response = httpx.Response(status, request=_REQUEST)
    kind = openai.RateLimitError if status == 429 else openai.InternalServerError
    return kind(f"Error code: {status}", response=response, body=None)


def _status(**options) -> tuple[LLMStatus, list[float]]:
    now = [100.0]
    return LLMStatus("openai-compatible", "m", cooldown_s=30.0, clock=lambda: now[0], **options), now


# --- when the cooldown opens ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_one_5xx_or_429_falls_back_alone_and_the_next_in_a_row_opens_the_cooldown(status):
    """One HTTP 500 (maybe one prompt the server chokes on) sent every other request to the fallback for 30 s."""
    llm, _ = _status()
    assert OPEN_AFTER == 2
    assert llm.failed(_answered(status)) == f"the LLM endpoint answered HTTP {status}"  # this request falls back
    assert llm.cooling() is None  # the others still ask the LLM
    assert llm.report()["status"] == "failing"  # and /readyz says what the latest call met
    assert llm.failed(_answered(status)) is not None
    assert "CITEWIRE_LLM_OUTAGE_COOLDOWN" in llm.cooling()  # two in a row: the endpoint is taken for down


def test_a_success_between_two_5xx_resets_the_count():
    llm, _ = _status()
    llm.failed(_answered(500))
    llm.succeeded()
    llm.failed(_answered(500))
    assert llm.cooling() is None
    llm.failed(_answered(503))
    assert llm.cooling() is not None


def test_a_configuration_error_between_two_5xx_resets_the_count_too():
    """A 404 is an answer: something serves there, so the 5xx before it and after it are not in a row."""
    llm, _ = _status()
    llm.failed(_answered(500))
    llm.failed(openai.NotFoundError("Error code: 404", response=httpx.Response(404, request=_REQUEST), body=None))
    llm.failed(_answered(500))
    assert llm.cooling() is None


@pytest.mark.parametrize("exc", [UNREACHABLE, TIMEOUT], ids=["refused", "timeout"])
def test_a_connection_failure_or_timeout_opens_the_cooldown_at_once(exc):
    llm, _ = _status()
    assert llm.failed(exc) is not None
    assert "CITEWIRE_LLM_OUTAGE_COOLDOWN" in llm.cooling()


def test_a_5xx_after_a_connection_failure_counts_as_the_second_in_a_row():
    llm, now = _status()
    llm.failed(UNREACHABLE)
    now[0] += 31
    assert llm.cooling() is None  # the half-open trial
    llm.failed(_answered(502))  # the proxy in front answers now, the model behind it still does not
    assert llm.cooling() is not None


def test_a_trial_after_the_cooldown_that_gets_a_5xx_reopens_it():
    llm, now = _status()
    llm.failed(_answered(500))
    llm.failed(_answered(500))
    now[0] += 31
    assert llm.cooling() is None  # the trial
    assert "another request" in llm.cooling()
    llm.failed(_answered(500))
    assert "CITEWIRE_LLM_OUTAGE_COOLDOWN" in llm.cooling()
    now[0] += 31
    assert llm.cooling() is None
    llm.succeeded()
    llm.failed(_answered(500))  # the count started again with the success
    assert llm.cooling() is None


# --- /readyz's probe, in the background ----------------------------------------------------------------------------

class Started:
    """The background runner, held by the test: what /readyz started runs when the test says."""

    def __init__(self) -> None:
        self.work: list = []

    def __call__(self, work) -> None:
        self.work.append(work)

    def run(self) -> None:
        work, self.work = self.work, []
        for item in work:
            item()


def test_readyz_starts_the_probe_and_reports_unknown_without_waiting_on_it():
    """/readyz ran the probe inline: up to PROBE_TIMEOUT_S (2 s) every PROBE_TTL_S for a readiness check."""
    calls = []
    started = Started()
    llm, now = _status(probe=lambda: calls.append(1), start=started)
    first = llm.report()
    assert first["status"] == "unknown" and "being probed" in first["reason"], first
    assert calls == [] and len(started.work) == 1  # started, not run
    assert llm.report()["status"] == "unknown" and len(started.work) == 1  # one probe at a time
    started.run()
    assert calls == [1]
    assert llm.report() == {"mode": "openai-compatible", "model": "m", "status": "ok",
                            "reason": "the LLM endpoint answers"}
    now[0] += PROBE_TTL_S - 1
    assert llm.report()["status"] == "ok" and started.work == []  # cached
    now[0] += 2
    assert llm.report()["status"] == "ok"  # stale: the cached outcome while the next probe runs
    assert len(started.work) == 1


def test_a_probe_that_fails_is_reported_once_it_is_in():
    def probe():
        raise UNREACHABLE

    started = Started()
    llm, now = _status(probe=probe, start=started)
    assert llm.report()["status"] == "unknown"
    started.run()
    assert llm.report()["status"] == "unreachable"
    now[0] += PROBE_TTL_S + 1
    assert llm.report()["status"] == "unreachable"  # the cached one, while the next probe is started
    started.run()
    assert llm.report()["status"] == "unreachable"


def test_a_readyz_never_waits_on_a_probe_that_hangs():
    """The default runner: a real thread. A probe that blocks leaves /readyz answering at once."""
    release = threading.Event()
    entered = threading.Event()

    def probe():
        entered.set()
        release.wait(5)

    llm = LLMStatus("openai-compatible", "m", probe=probe)
    try:
        assert llm.report()["status"] == "unknown"
        assert entered.wait(5)
        assert llm.report()["status"] == "unknown"  # still running: not waited on, and not started twice
    finally:
        release.set()
    for _ in range(100):
        if llm.report()["status"] == "ok":
            break
        threading.Event().wait(0.05)
    assert llm.report()["status"] == "ok"


def test_no_thread_to_be_had_is_reported_and_tried_again():
    def refuse(work):
        raise RuntimeError("can't start new thread")

    llm, _ = _status(probe=lambda: None, start=refuse)
    assert llm.report()["status"] == "unknown"
    started = Started()
    llm._start = started
    llm.report()
    assert len(started.work) == 1  # the probe lock was let go
