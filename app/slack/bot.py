"""The Bolt app: mentions, DMs and ``/citewire`` answered in the question's thread, with citations.

Listeners run after Bolt has acknowledged the request (``process_before_response=False``), so
Slack gets its 200 within 3 seconds however long an answer takes. The services are the same ones
the HTTP API uses: ``AnswerService``, ``QuestionCondenser`` (thread follow-ups) and
``SummarizeService``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from app.answer.chat import Turn
from app.answer.service import ReadingPicker
from app.config import Settings
from app.request_types import MAX_QUESTION_CHARS, question_text, search_text
from app.services import Services
from app.slack.conversation import QUESTION_EVENT, Request, SeenMessages, is_from_bot, parse, thread_history
from app.slack.render import (
    USAGE,
    answer_message,
    error_text,
    fallback_text,
    summary_message,
)
from app.summarize.service import MAX_TOPIC_CHARS, InvalidSummaryRequest, checked_topic

log = logging.getLogger(__name__)

STREAM_UPDATE_SECONDS = 1.5  # chat.update is Tier 3 (about 50 a minute per workspace): 40 edits a minute at most
THINKING = "_Looking through the articles…_"


class _DropTokenUnusedWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that our client's token wins; both are the same token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


logging.getLogger("slack_bolt.App").addFilter(_DropTokenUnusedWarning())


def make_web_client(settings: Settings) -> WebClient:
    """The bot's Web API client: 429s wait for Retry-After and retry; dropped connections retry."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None,
        base_url=settings.slack_api_url,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                        RateLimitErrorRetryHandler(max_retry_count=settings.slack_max_retries)],
    )


class Responder:
    """Turns one Slack request into one posted (or, with an LLM, streamed) reply in a thread."""

    def __init__(self, get_services: Callable[[], Services]) -> None:
        self.get_services = get_services

    def compose(self, request: Request, history: list[dict] | None = None) -> tuple[str, list[dict] | None]:
        """(text, blocks) for any request, without streaming."""
        services = self.get_services()
        if request.kind == "help":
            return USAGE, None
        if request.kind == "summarize":
            try:  # the summarize service's own check, so Slack refuses what HTTP, MCP and the CLI refuse
                return self._summary(services, request.text)
            except InvalidSummaryRequest as exc:
                return f"Sorry, I can't summarise that: {exc}.", None
        question = _question(request.text)
        if question is None:
            return TOO_LONG, None
        picker = ReadingPicker(services.answers)  # answers the reading it picks only once
        turn, asked_as = self._standalone(services, question, history, picker)
        return answer_message(picker.ask(turn.question, turn.outage), asked_as)

    def reply(self, client: WebClient, channel: str, thread_ts: str, request: Request,
              history: list[dict] | None = None) -> None:
        try:
            services = self.get_services()
            question = _question(request.text) if request.kind == "ask" else None
            if question is not None and services.answers.mode == "llm":
                turn, asked_as = self._standalone(services, question, history)
                self._stream(client, channel, thread_ts, services.answers.stream(turn.question, outage=turn.outage),
                             asked_as)
                return
            text, blocks = self.compose(request, history)
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks,
                                    unfurl_links=False, unfurl_media=False)
        except Exception as exc:  # shown briefly in Slack, logged in full here
            log.exception("slack: answering in %s (thread %s) failed", channel, thread_ts)
            try:
                client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=error_text(exc))
            except SlackApiError:
                log.exception("slack: could not post the error message either")

    @staticmethod
    def _standalone(services: Services, text: str, history: list[dict] | None,
                    picker: ReadingPicker | None = None) -> tuple[Turn, str | None]:
        """A thread follow-up goes through the chat path: the condenser makes it a standalone question."""
        if not history:
            return Turn(text), None
        turn = services.condenser.condense([*history, {"role": "user", "content": text}],
                                           picker or ReadingPicker(services.answers))
        return turn, (turn.question if turn.question != text else None)

    @staticmethod
    def _stream(client: WebClient, channel: str, thread_ts: str, events, asked_as: str | None) -> None:
        """One message, edited as tokens arrive, then replaced by the guarded answer with its sources."""
        posted = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=THINKING)
        ts = posted["ts"]
        try:
            text, blocks = Responder._streamed_answer(client, channel, ts, events, asked_as)
        except Exception as exc:  # the placeholder becomes the error: left alone, it reads as still working
            log.exception("slack: answering in %s (thread %s) failed", channel, thread_ts)
            text, blocks = error_text(exc), None
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)  # None (a refusal, an error): omitted

    @staticmethod
    def _streamed_answer(client: WebClient, channel: str, ts: str, events, asked_as: str | None):
        shown, last_edit, final = "", time.monotonic(), None
        try:
            for kind, payload in events:
                if kind != "delta":
                    final = payload
                    break
                shown += payload
                if time.monotonic() - last_edit >= STREAM_UPDATE_SECONDS and shown.strip():
                    try:  # partial edits are best effort; the final one below must land
                        client.chat_update(channel=channel, ts=ts, text=fallback_text(shown + " …"))
                    except SlackApiError as exc:
                        log.warning("slack: a streaming edit failed (%s); continuing", exc.response.get("error"))
                    last_edit = time.monotonic()
        finally:
            getattr(events, "close", lambda: None)()
        if final is None:
            raise RuntimeError("the answer stream ended without a final answer")
        return answer_message(final, asked_as)

    @staticmethod
    def _summary(services: Services, target: str) -> tuple[str, list[dict] | None]:
        """An existing article id summarises that article; anything else is a topic."""
        if services.records.get_article(target) is not None:
            return summary_message(services.summaries.summarize_articles([target]), f"article {target}")
        return summary_message(services.summaries.summarize_topic(target), f"“{target}”")


TOO_LONG = f"Sorry, that question is too long: keep it under {MAX_QUESTION_CHARS} characters."


def _refused_before_asking(request: Request) -> str | None:
    """Why a slash command's request is refused before anything is posted in the channel, or None: a question or a
    topic too long to take (a summarize target that names an article is never too long: ids are short)."""
    if request.kind == "ask" and _question(request.text) is None:
        return TOO_LONG
    if request.kind == "summarize" and len(search_text(request.text).strip()) > MAX_TOPIC_CHARS:
        try:
            checked_topic(request.text)  # the service's own words for it
        except InvalidSummaryRequest as exc:
            return f"Sorry, I can't summarise that: {exc}."
    return None


def _question(text: str) -> str | None:
    """The question as every adapter reads it (app/request_types.question_text: NFKC, stripped, 1-2000 characters
    counted after both), so "Ｗｈａｔ ｄｉｄ Ｋｉｍ ｐｌｅｄｇｅ？" is answered as over HTTP; None when it is too long (parse
    sends an empty message to the usage text, and NFKC makes no text empty that was not)."""
    try:
        return question_text(text)
    except ValueError:
        return None


def _history(client: WebClient, event: dict, context) -> list[dict]:
    """A reply inside a thread: the thread so far (conversations.replies) becomes chat history."""
    root = event.get("thread_ts")
    if not root or root == event.get("ts"):
        return []
    messages, cursor = [], None
    for _ in range(MAX_THREAD_PAGES):  # oldest first, a page at a time: the latest turns are on the last page
        page = client.conversations_replies(channel=event["channel"], ts=root, limit=200, cursor=cursor,
                                            include_all_metadata=True)
        messages += page.get("messages", [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            break
    return thread_history(messages, event["ts"], context.bot_user_id, context.bot_id)


MAX_THREAD_PAGES = 10


SEEN_FILE = "slack_seen.sqlite"  # in the data dir: the messages this host's workers have taken on


def _shared_claims(settings: Settings, get_services: Callable[[], Services]) -> Callable[[str, float], bool] | None:
    """With the record on PostgreSQL (CITEWIRE_LEXICAL_URL: several hosts), messages are claimed there, so a retry
    that reaches another host is not answered twice; otherwise None (the host's file is the claim)."""
    if not settings.lexical_url:
        return None

    def claim(key: str, keep_s: float) -> bool:
        return get_services().records.claim_once(key, keep_s)
    return claim


def build_app(settings: Settings, get_services: Callable[[], Services], client: WebClient | None = None,
              http: bool = True) -> App:
    """The Bolt app. Building it calls ``auth.test`` (Bolt's token check) on ``settings.slack_api_url``.

    ``http`` turns on Bolt's signing-secret verification (Socket Mode has no signed requests)."""
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    app = App(
        client=client or make_web_client(settings),
        signing_secret=secret,
        request_verification_enabled=http,
        token_verification_enabled=True,
        process_before_response=False,
        # Bolt names its loggers after the app and sets that logger's level to the root's on every request: named
        # "citewire", it reset the parent of our "citewire.access" and, under a root at WARNING, silenced the access
        # lines for good (the root set to INFO later did not bring them back)
        name="citewire-slack",
    )
    responder = Responder(get_services)
    seen = SeenMessages(path=settings.data_dir / SEEN_FILE, shared=_shared_claims(settings, get_services))

    @app.middleware
    def skip_bots_and_repeats(body: dict, request: BoltRequest, next):
        """Acknowledge, without answering, bot messages and messages already taken on (a Slack retry
        or a second event for one message). Runs before ``ack``, so the decision is made in order."""
        event = body.get("event") or {}
        answerable = event.get("type") == "app_mention" or (event.get("type") == "message"
                                                             and event.get("channel_type") == "im")
        if body.get("type") == "event_callback" and answerable:
            if is_from_bot(event):
                return BoltResponse(status=200, body="")
            if not seen.first_time(f"{event.get('channel')}:{event.get('ts')}"):
                retry = request.headers.get("x-slack-retry-num", [None])[0]
                log.info("slack: message %s in %s already taken on; not answering again (retry %s)",
                         event.get("ts"), event.get("channel"), retry)
                return BoltResponse(status=200, body="")
        return next()

    def on_message(event: dict, client: WebClient, context) -> None:
        if not event.get("ts") or not event.get("channel"):  # nowhere to answer: one line, not Bolt's traceback
            log.warning("slack: %s event without %s; not answered", event.get("type"),
                        " and ".join(k for k in ("ts", "channel") if not event.get(k)))
            return
        thread_ts = event.get("thread_ts") or event["ts"]
        try:
            history = _history(client, event, context)
        except SlackApiError:
            log.exception("slack: reading thread %s failed; answering without its history", thread_ts)
            history = []
        responder.reply(client, event["channel"], thread_ts, parse(event.get("text", "")), history)

    @app.event("app_mention")
    def mention(event: dict, client: WebClient, context) -> None:
        on_message(event, client, context)

    @app.event("message")
    def direct_message(event: dict, client: WebClient, context) -> None:
        if event.get("channel_type") == "im" and not is_from_bot(event):
            on_message(event, client, context)

    @app.command("/citewire")
    def slash_command(ack, command: dict, client: WebClient, respond) -> None:
        request = parse(command.get("text", ""))
        if request.kind == "help":
            ack(response_type="ephemeral", text=USAGE)
            return
        refused = _refused_before_asking(request)
        if refused:  # said to the asker alone: the channel saw "@you asked: " and 3,000 characters, then "too long"
            ack(response_type="ephemeral", text=refused)
            return
        ack()  # within 3 seconds; the answer follows in a thread
        shown = request.text if request.kind == "ask" else f"summarize {request.text}"
        try:
            root = client.chat_postMessage(
                channel=command["channel_id"], text=f"<@{command['user_id']}> asked: {fallback_text(shown)}",
                metadata={"event_type": QUESTION_EVENT, "event_payload": {"question": shown}},
            )
        except SlackApiError as exc:  # a DM or private channel the bot is not in: answer via response_url
            log.info("slack: cannot post in %s (%s); answering through response_url", command["channel_id"],
                     exc.response.get("error"))
            _respond_instead(responder, request, respond)
            return
        responder.reply(client, command["channel_id"], root["ts"], request)

    return app


def _respond_instead(responder: Responder, request: Request, respond) -> None:
    """Fallback for channels the bot cannot post in: one ephemeral reply through the command's response_url."""
    try:
        text, blocks = responder.compose(request)
        respond(text=text, blocks=blocks, response_type="ephemeral")
    except Exception as exc:
        log.exception("slack: answering through response_url failed")
        respond(text=error_text(exc), response_type="ephemeral")
