"""The configured LLM's health, per process: what /readyz reports, and when an answer skips the LLM.

An LLM call that fails as an outage (the endpoint refuses connections, times out, answers 5xx or 429, after the
openai client's own retries) falls back for its own request; the endpoint is taken for down, and a cooldown of
``CITEWIRE_LLM_OUTAGE_COOLDOWN`` seconds opened, at once for a connection failure or timeout, and for a 5xx or 429
only at the ``OPEN_AFTER``-th outage in a row (one 500 may be one prompt's). With
``CITEWIRE_LLM_OUTAGE_FALLBACK=extractive`` answers and summaries then go straight to the extractive answerer
instead of waiting on a dead endpoint again (docs/llm.md *When the LLM is down*). ``error`` keeps the 503/502.

/readyz reads the latest call's outcome; with no call for ``PROBE_TTL_S`` it starts a probe of ``GET {base}/models``
(at most ``PROBE_TIMEOUT_S``, no retries) in a background thread and reports the probe before it (or "unknown"),
so a readiness check never waits on the LLM. No reason here names the endpoint's URL or key: they go to /readyz
and to API clients.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from app.dependency_errors import LLMReplyError, classify
from app.observability.metrics import LLM_FAILURES, LLM_FALLBACKS

PROBE_TTL_S = 30.0  # a call outcome or probe younger than this is what /readyz reports, without probing
PROBE_TIMEOUT_S = 2.0  # one probe's whole budget (connect and read), no retries
OUTAGE_STATUSES = (429,)  # besides 5xx: still rate limited after the client's retries
OPEN_AFTER = 2  # outages in a row (no success between) that open the cooldown when they are 5xx/429 answers


def failure_kind(exc: BaseException) -> str | None:
    """"unreachable", "timeout", "http_5xx", "http_429", "stream_error", "http_4xx" or "bad_reply" for an LLM failure, else None."""
    failure = classify(exc)
    if failure is None or failure.dependency != "llm":
        return None
    if isinstance(exc, LLMReplyError):
        return "bad_reply"
    status = getattr(exc, "status_code", None)
    if status is None:
        if failure.status != 503:  # no connection failure: the endpoint failed during its stream
            return "stream_error"
        return "timeout" if type(exc).__name__ == "APITimeoutError" else "unreachable"
    return "http_5xx" if status >= 500 else f"http_{status}" if status in OUTAGE_STATUSES else "http_4xx"


def _background(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="llm-probe", daemon=True).start()


def is_outage(kind: str | None) -> bool:
    """What the fallback covers: the endpoint is down or overloaded. A 4xx (a wrong model name or key) or a reply
    that is no chat completion (a web page at the URL) is a configuration error and stays one (502)."""
    return kind in ("unreachable", "timeout", "http_5xx", "http_429", "stream_error")


@dataclass
class _Outcome:
    at: float
    status: str  # ok | unreachable | failing
    reason: str
    outage: bool = False  # it opened the cooldown


class LLMStatus:
    """One per process (the service graph's): shared by answers, summaries and the chat condenser."""

    def __init__(self, mode: str, model: str | None = None, fallback: str = "extractive", cooldown_s: float = 30.0,
                 probe: Callable[[], object] | None = None, secrets: tuple[str | None, ...] = (),
                 clock: Callable[[], float] = time.monotonic,
                 start: Callable[[Callable[[], None]], None] = _background) -> None:
        self.mode = mode  # extractive | openai-compatible | local
        self.model = model
        self.fallback = fallback  # extractive | error
        self.cooldown_s = cooldown_s
        self._probe = probe
        self._secrets = tuple(s for s in secrets if s)
        self._clock = clock
        self._start = start  # runs a probe without /readyz waiting on it (tests run it when they choose)
        self._lock = threading.Lock()
        self._probing = threading.Lock()
        self._last: _Outcome | None = None  # the latest LLM call's outcome
        self._trial_at: float | None = None  # when the one call let through after a cooldown started
        self._outages = 0  # outage failures since the latest call that got an answer
        self._probed: _Outcome | None = None

    @property
    def configured(self) -> bool:
        return self.mode != "extractive"

    # --- call outcomes -----------------------------------------------------------------------------------------

    def succeeded(self) -> None:
        with self._lock:
            self._last = _Outcome(self._clock(), "ok", "the latest LLM call succeeded")
            self._trial_at = None
            self._outages = 0

    def failed(self, exc: BaseException) -> str | None:
        """Record ``exc`` when it is the LLM failing; the reason to fall back with when it is an outage and
        CITEWIRE_LLM_OUTAGE_FALLBACK=extractive, else None (the caller re-raises: the 503/502 as before).
        A connection failure or timeout opens the cooldown: nothing answers there. A 5xx or 429 opens it only as
        the ``OPEN_AFTER``-th outage in a row: a server that chokes on one prompt should not send every other
        request to the fallback (a trial after a cooldown that gets one reopens it, the count still standing)."""
        kind = failure_kind(exc)
        if kind is None:
            with self._lock:  # not the LLM's failure: a trial call after a cooldown tells nothing, the next one tries
                self._trial_at = None
            return None
        LLM_FAILURES.labels(kind).inc()
        reason = self._public(classify(exc).detail)
        outage = is_outage(kind)
        unreachable = kind in ("unreachable", "timeout")
        with self._lock:
            self._outages = self._outages + 1 if outage else 0  # a 4xx or a bad reply: something answers there
            opens = outage and (unreachable or self._outages >= OPEN_AFTER)
            self._last = _Outcome(self._clock(), "unreachable" if unreachable else "failing", reason, opens)
            self._trial_at = None
        return reason if outage and self.fallback == "extractive" else None

    def cooling(self) -> str | None:
        """While the cooldown after an outage runs (fallback mode only): why the LLM is skipped, else None. When it
        ends, one caller is let through to try the LLM and the others keep falling back until that call's outcome
        is in (a half-open circuit): otherwise every request waiting at that moment would wait on a dead endpoint
        again, each for its whole timeout and retries. A trial that never reports (a stream the client dropped)
        stops counting after one more cooldown."""
        if self.fallback != "extractive" or self.cooldown_s <= 0:
            return None
        with self._lock:
            last = self._last
            cooling = self._cooling(last)
            if cooling is not None or last is None or not last.outage:
                return cooling
            now = self._clock()
            if self._trial_at is not None and now - self._trial_at < self.cooldown_s:
                return f"{last.reason} (another request is trying the LLM again)"
            self._trial_at = now
            return None

    def _cooling(self, last: _Outcome | None) -> str | None:
        """``cooling`` for one snapshot of the latest outcome (report() reads it once: read twice, a request
        failing in between left it a cooldown and no outcome, and /readyz answered 500)."""
        if self.fallback != "extractive" or self.cooldown_s <= 0 or last is None or not last.outage:
            return None
        left = self.cooldown_s - (self._clock() - last.at)
        if left <= 0:
            return None
        return f"{last.reason} (not asked again for {left:.0f} s, CITEWIRE_LLM_OUTAGE_COOLDOWN)"

    def fell_back(self, reason: str, tried: bool, call: str = "answer", called: bool | None = None) -> dict:
        """The response's ``fallback`` field, counted under ``call`` and whether that call reached the LLM
        (``called``, default ``tried``: a chat turn's answer that skipped the LLM after its rewrite failed is
        ``tried`` for the user and not called for the metric, the rewrite having counted its own call)."""
        LLM_FALLBACKS.labels(call, "true" if (tried if called is None else called) else "false").inc()
        return {"from": "llm", "reason": reason, "tried": tried}

    # --- /readyz -----------------------------------------------------------------------------------------------

    def report(self) -> dict:
        """``{mode, model, status, reason}``: never the endpoint's URL or key."""
        if not self.configured:
            return {"mode": self.mode, "model": None, "status": "not-configured",
                    "reason": "no LLM is configured (CITEWIRE_LLM_BASE_URL and CITEWIRE_LOCAL_MODEL unset): "
                              "answers are extractive"}
        now = self._clock()
        with self._lock:
            last = self._last
        cooling = self._cooling(last)
        if cooling is not None:
            outcome = _Outcome(now, last.status, f"{cooling}; answers fall back to extractive")
        elif last is not None and now - last.at < PROBE_TTL_S:
            outcome = last
        else:
            outcome = self._probe_cached(now)
        return {"mode": self.mode, "model": self.model, "status": outcome.status, "reason": outcome.reason}

    def _probe_cached(self, now: float) -> _Outcome:
        """The latest probe's outcome, starting a fresh probe in the background when it is older than PROBE_TTL_S:
        a readiness check that waited on it (up to PROBE_TIMEOUT_S, every PROBE_TTL_S) could itself time out.
        One probe at a time; until the first is in, "unknown"."""
        probed = self._probed
        if probed is not None and now - probed.at < PROBE_TTL_S:
            return probed
        if self._probe is None:
            return _Outcome(now, "unknown", "no LLM call yet")
        if self._probing.acquire(blocking=False):  # else a probe is running: it reports when done
            try:
                self._start(self._probe_once)
            except Exception:  # noqa: BLE001 - no thread to be had (RuntimeError): the next /readyz tries again
                self._probing.release()
                return probed or _Outcome(now, "unknown", "the LLM endpoint could not be probed")
        probed = self._probed  # a probe run at once (tests) is in already
        return probed or _Outcome(now, "unknown", "no LLM call yet; the LLM endpoint is being probed")

    def _probe_once(self) -> None:
        try:
            self._probed = self._run_probe()
        finally:
            self._probing.release()

    def _run_probe(self) -> _Outcome:
        try:
            self._probe()
        except Exception as exc:  # noqa: BLE001 - any failure is the report, not an error of /readyz
            kind = failure_kind(exc)
            if kind in ("unreachable", "timeout"):
                return _Outcome(self._clock(), "unreachable", self._public(classify(exc).detail))
            status = getattr(exc, "status_code", None)
            if status in (401, 403):
                return _Outcome(self._clock(), "failing", f"the LLM endpoint refused the API key (HTTP {status})")
            if status is not None and (status >= 500 or status in OUTAGE_STATUSES):
                return _Outcome(self._clock(), "failing", f"the LLM endpoint answered HTTP {status}")
            if status is not None:  # 404: no /models there, but something answers
                return _Outcome(self._clock(), "ok", f"the LLM endpoint answers (HTTP {status} to GET /models)")
            return _Outcome(self._clock(), "failing", self._public(f"probe failed: {type(exc).__name__}"))
        return _Outcome(self._clock(), "ok", "the LLM endpoint answers")

    def _public(self, text: str) -> str:
        """One line, without the configured URL or key should a library message ever carry them."""
        text = " ".join(str(text).split())
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
