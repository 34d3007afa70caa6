"""HTTP mode: Slack's Events API and slash commands at ``POST /slack/events`` of the FastAPI app.

The signing secret and timestamp are verified here before Bolt parses the body (Bolt parses first
and fails with a 500 on bodies it cannot read); a forged or stale request gets 401. The Bolt
dispatch is synchronous (middleware, then a wait for ``ack()``), so it runs in the thread pool
rather than on the event loop; the answer itself runs later on Bolt's listener threads.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from slack_sdk.signature import SignatureVerifier

from app.config import Settings
from app.slack.bot import build_app

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def mount_slack(api: FastAPI, settings: Settings) -> App | None:
    """Add ``POST /slack/events`` when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set.

    Building the Bolt app checks the token with ``auth.test``; a bad token, or Slack out of reach
    (network down: URLError, a timeout), is logged and the route answers 503, so the rest of the API
    keeps serving."""
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        return None
    reason = ""
    try:
        bolt = build_app(settings, lambda: api.state.services)
    except BoltError as exc:
        log.error("slack: disabled, the bot token did not verify: %s", exc)
        bolt, reason = None, "the Slack bot token did not verify at start-up"
    except OSError as exc:  # urllib's URLError, socket timeouts, refused connections
        log.error("slack: disabled, Slack (%s) was not reachable at start-up: %s: %s", settings.slack_api_url,
                  type(exc).__name__, exc)
        bolt, reason = None, "Slack was not reachable at start-up to verify the bot token; restart to retry"

    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())

    @api.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        if _is_ssl_check(request, body):  # Slack sends it unsigned; Bolt too answers it before verifying
            return Response(status_code=200)
        # Verify before parsing: Bolt parses (and can fail on: `[]`, `"x"`, deep nesting) before it checks. Verify
        # before saying the bot is down too (it needs only the signing secret): a forged request learns nothing.
        if not _signed(verifier, body, request):
            return _unverified()
        if bolt is None:
            return JSONResponse({"error": "slack unavailable", "detail": reason}, status_code=503)
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

    return bolt


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
