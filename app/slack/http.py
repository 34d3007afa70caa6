"""HTTP mode: Slack's Events API and slash commands at ``POST /slack/events`` of the FastAPI app.

The signing secret and timestamp are verified here before Bolt parses the body (Bolt parses first
and fails with a 500 on bodies it cannot read); a forged or stale request gets 401. The Bolt
dispatch is synchronous (middleware, then a wait for ``ack()``), so it runs in the thread pool
rather than on the event loop; the answer itself runs later on Bolt's listener threads.

Building the Bolt app checks the bot token (``auth.test``). When Slack could not be reached for that check
(or answered 5xx/429), a later signed request checks again, at most every ``RETRY_INTERVAL_S``, so the bot comes
back without a restart; a token Slack rejected stays rejected. ``/readyz`` shows the state (``app.state.slack``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from app.config import Settings
from app.slack.bot import build_app, make_web_client

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Seconds between two token checks while Slack is out of reach. A check holds the request that makes it (up to the
# Web API client's timeout), so not every request makes one; Slack retries an event after about 1 and 5 minutes,
# so a check at most 30 s old takes those retries once Slack is back. Read at each failure: tests shorten it.
RETRY_INTERVAL_S = 30.0

OK, UNREACHABLE, REJECTED = "ok", "unreachable, retrying", "token rejected"


class SlackBot:
    """The Bolt app behind /slack/events, or why there is none: built at start-up, built again on a later request
    while Slack was out of reach. One check at a time; the others answer 503 without waiting."""

    def __init__(self, build: Callable[[bool], App], api_url: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._build = build  # build(single_attempt): the Bolt app, its auth.test tried once or with the client's retries
        self._api_url = api_url
        self._clock = clock
        self._checking = threading.Lock()  # held by the one request re-checking the token
        self.bolt: App | None = None
        self.status = UNREACHABLE
        self.reason = ""
        self._next_check = 0.0

    def report(self) -> str:
        """/readyz's ``slack`` field: "ok", "unreachable, retrying" or "token rejected"."""
        return self.status

    def retry_after(self) -> int:
        """Whole seconds until the next check may run (at least 1): the 503's Retry-After."""
        return max(1, math.ceil(self._next_check - self._clock()))

    def start(self) -> None:
        """The start-up check, with the client's retries (nothing waits on it but the start-up)."""
        self._check(False)

    def check_again(self) -> App | None:
        """On a request while Slack was out of reach: check once more if the interval has passed and no other
        request is checking. Blocking (run it in the thread pool): one ``auth.test`` attempt, so the request
        waits at most the client's timeout (its retries on connection errors and 429s would multiply that; the
        next check is the retry)."""
        if self.status != UNREACHABLE or self._clock() < self._next_check:
            return self.bolt
        if not self._checking.acquire(blocking=False):
            return self.bolt
        try:
            if self.status == UNREACHABLE and self._clock() >= self._next_check:
                self._check(True)
            return self.bolt
        finally:
            self._checking.release()

    def _check(self, again: bool) -> None:
        try:
            bolt = self._build(again)
        except BoltError as exc:
            if not _slack_unavailable(exc):
                log.error("slack: disabled, the bot token did not verify: %s", exc)
                self.status = REJECTED
                self.reason = "the Slack bot token did not verify (fix SLACK_BOT_TOKEN and restart)"
                return
            self._unreachable(again, f"Slack answered {exc.__context__.response.status_code}")
        except OSError as exc:  # urllib's URLError, socket timeouts, refused connections
            self._unreachable(again, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - on a request: a reply cut off mid-way (IncompleteRead) is an outage
            if not again:  # too, and escaping would skip the interval: every request would check again
                raise
            self._unreachable(again, f"{type(exc).__name__}: {exc}")
        else:
            if again:
                log.info("slack: Slack (%s) is reachable again and the bot token verified; /slack/events serves",
                         self._api_url)
            self.bolt, self.status, self.reason = bolt, OK, ""

    def _unreachable(self, again: bool, error: str) -> None:
        self._next_check = self._clock() + RETRY_INTERVAL_S
        log.log(logging.WARNING if again else logging.ERROR,
                "slack: disabled, Slack (%s) was not reachable %s: %s; a request checks again at most every %g s",
                self._api_url, "again" if again else "at start-up", error, RETRY_INTERVAL_S)
        self.status = UNREACHABLE
        self.reason = ("Slack was not reachable to verify the bot token; retrying at most every "
                       f"{RETRY_INTERVAL_S:g} s")


def _slack_unavailable(exc: BoltError) -> bool:
    """Bolt turns every failed ``auth.test`` into a BoltError; one whose response is a 5xx or a 429 (after the
    client's own retries) is Slack down or overloaded, not a verdict on the token."""
    cause = exc.__context__
    status = getattr(getattr(cause, "response", None), "status_code", None) if isinstance(cause, SlackApiError) else None
    return status is not None and (status >= 500 or status == 429)


def mount_slack(api: FastAPI, settings: Settings) -> App | None:
    """Add ``POST /slack/events`` when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set.

    Building the Bolt app checks the token with ``auth.test``; a bad token, or Slack out of reach
    (network down: URLError, a timeout), is logged and the route answers 503, so the rest of the API
    keeps serving. Out of reach, a later request checks again (``SlackBot``). ``api.state.slack`` is
    what /readyz reports."""
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        return None

    def build(single_attempt: bool) -> App:
        client = make_web_client(settings)
        if not single_attempt:
            return build_app(settings, lambda: api.state.services, client=client)
        # auth.test without retries, then the retries back: Bolt copies them into each request's client
        kept, client.retry_handlers = client.retry_handlers, []
        try:
            return build_app(settings, lambda: api.state.services, client=client)
        finally:
            client.retry_handlers = kept

    bot = SlackBot(build, settings.slack_api_url)
    bot.start()
    api.state.slack = bot

    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())

    @api.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if _is_ssl_check(request, body):  # Slack sends it unsigned; Bolt too answers it before verifying
            return Response(status_code=200)
        # Verify before parsing: Bolt parses (and can fail on: `[]`, `"x"`, deep nesting) before it checks. Verify
        # before saying the bot is down too (it needs only the signing secret): a forged request learns nothing,
        # and cannot make us call Slack.
        if not _signed(verifier, body, request):
            return _unverified()
        bolt = bot.bolt
        if bolt is None and bot.status == UNREACHABLE:
            bolt = await run_in_threadpool(bot.check_again)  # blocking auth.test, bounded by the client's timeout
        if bolt is None:
            headers = {"Retry-After": str(bot.retry_after())} if bot.status == UNREACHABLE else None
            return JSONResponse({"error": "slack unavailable", "detail": bot.reason}, status_code=503,
                                headers=headers)
        try:
            bolt_request = to_bolt_request(request, body)
        except (ValueError, AttributeError, TypeError, RecursionError):
            bolt_request = None
        if bolt_request is None or not isinstance(bolt_request.body, dict):
            return JSONResponse({"error": "invalid request", "detail": "the body is not a Slack event (JSON) "
                                 "or command (form)"}, status_code=400)
        if _event_missing(bolt_request.body):  # Bolt would answer 404 "unhandled request"
            return JSONResponse({"error": "invalid request", "detail": "an event_callback needs an 'event' object"},
                                status_code=400)
        if bolt_request.body.get("type") in _INTERACTIVE:  # no handler; a malformed one failed inside Bolt (500)
            return JSONResponse({"error": "invalid request", "detail": "interactive payloads are not handled (the "
                                 "app manifest turns interactivity off)"}, status_code=400)
        response = await run_in_threadpool(bolt.dispatch, bolt_request)
        if response.status == 401:
            return _unverified()
        return to_starlette_response(response)

    return bot.bolt


_INTERACTIVE = frozenset({"block_actions", "block_suggestion", "view_submission", "view_closed", "shortcut",
                          "message_action", "interactive_message", "dialog_submission", "dialog_cancellation"})


def _unverified() -> JSONResponse:
    return JSONResponse({"error": "invalid request", "detail": "the Slack signature or timestamp did not verify"},
                        status_code=401)


def _event_missing(body: object) -> bool:
    return isinstance(body, dict) and body.get("type") == "event_callback" and not isinstance(body.get("event"), dict)


def _is_ssl_check(request: Request, body: bytes) -> bool:
    """Slack's certificate check on a slash command's URL: a form ``ssl_check=1`` with no signature."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return False
    return parse_qs(body.decode("utf-8", "replace")).get("ssl_check") == ["1"]


def _signed(verifier: SignatureVerifier, body: bytes, request: Request) -> bool:
    try:
        return verifier.is_valid_request(body, dict(request.headers))
    except ValueError:  # a body that is not UTF-8, or a timestamp that is not a number
        return False
