"""What a Slack message asks for, and the thread it sits in turned into chat history."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from app.request_types import search_text

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?://|mailto:)[^|>]+)(?:\|([^>]*))?>")
_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")  # a formatted date: its fallback text is what the person wrote
# channel links (<#C…|general>), user groups (<!subteam^S…|@team>), <!here>, <!channel>, <!everyone>: who or where
# a message is addressed, not what it asks ("the passages never mention c024be7lr")
_ADDRESS = re.compile(r"<[#!][^>]*>")
# an :emoji: not inside a word: "ap:world:123" (an article id) and a link's "talk:kim:archive" keep their colons,
# ":wave:," and "(:smile:)" lose the emoji
_EMOJI = re.compile(r"(?<![A-Za-z0-9]):(?=[a-z0-9_+'-]*[a-z])[a-z0-9_+'-]+:(?![A-Za-z0-9])")
_SUMMARIZE = re.compile(r"^\s*summari[sz]e\b[:\s]*(.*)$", re.I | re.S)
QUESTION_EVENT = "citewire_question"  # metadata of the message a slash command posts for its question
_HELP = re.compile(r"^\s*(help|\?)\s*$", re.I)


def plain(text: str) -> str:
    """Slack's wire text as a person wrote it: mentions, channel and group links and emoji dropped, links and
    dates unwrapped, entities decoded."""
    text = _MENTION.sub(" ", text or "")
    text = _LINK.sub(lambda m: m.group(2) or m.group(1).removeprefix("mailto:"), text)
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _EMOJI.sub(" ", _ADDRESS.sub(" ", text))
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Request:
    kind: str  # "ask" | "summarize" | "help"
    text: str


def parse(text: str) -> Request:
    """``summarize <article id or topic>`` is a command word; an empty message or ``help`` asks for usage."""
    cleaned = plain(text)
    if not cleaned or _HELP.match(cleaned):
        return Request("help", "")
    match = _SUMMARIZE.match(cleaned)
    if match:
        target = match.group(1).strip()
        return Request("summarize", target) if target else Request("help", "")
    return Request("ask", cleaned)


def is_from_bot(event: dict) -> bool:
    """Bots (this one included) and system subtypes (edits, joins, deletions) never get an answer."""
    return bool(event.get("bot_id") or event.get("bot_profile")) or event.get("subtype") not in (None, "file_share",
                                                                                                "thread_broadcast")


def thread_history(replies: list[dict], current_ts: str, bot_user_id: str | None, bot_id: str | None) -> list[dict]:
    """Earlier messages of a thread as chat turns: this bot's replies are the assistant, people the user.

    Other bots are skipped; only messages before ``current_ts`` count. The message a ``/citewire``
    command posts for its question is the bot's, but carries the question in its metadata: a user turn."""
    turns: list[dict] = []
    for message in replies:
        if float(message.get("ts", "0")) >= float(current_ts):
            continue
        mine = (bot_id and message.get("bot_id") == bot_id) or (bot_user_id and message.get("user") == bot_user_id)
        if not mine and message.get("bot_id"):
            continue
        metadata = message.get("metadata") or {}
        if mine and metadata.get("event_type") == QUESTION_EVENT:
            mine, content = False, str((metadata.get("event_payload") or {}).get("question", ""))
        else:
            content = plain(message.get("text", ""))
        if not content:
            continue
        if not mine:
            request = parse(content)
            if request.kind != "ask":
                continue
            content = request.text
        turns.append({"role": "assistant" if mine else "user", "content": search_text(content)})  # as /v1/chat
    return turns


class SeenMessages:
    """Messages already taken on, so a Slack retry (X-Slack-Retry-Num) or a second event for the same
    message (app_mention and message.im) never produces a second answer. Bounded in memory; with ``path`` also
    claimed in a small SQLite file, which the worker processes of one host share (``citewire serve --workers
    2``: a retry that reached the other worker was answered twice). With ``shared`` (the PostgreSQL record's
    ``claim_once``, which every host of a deployment reaches) the claim is made there instead: replicas on several
    hosts behind one load balancer each answered Slack's retry. A shared claim that fails falls back to the file."""

    KEEP_S = 86_400  # Slack retries within minutes; a day of claims is plenty
    PRUNE_EVERY = 500
    SHARED_RETRY_S = 30  # after a failed shared claim, this host's file only: no 2 s wait per message meanwhile

    def __init__(self, size: int = 10_000, path: Path | None = None,
                 shared: Callable[[str, float], bool] | None = None) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._path = path
        self._shared = shared
        self._shared_down_until = 0.0
        self._claims = 0

    def first_time(self, key: str) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)
        # the file outside the lock: one slow claim (a busy file, up to 5 s) holds up no other message's
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                return self._shared(key, self.KEEP_S)
            except Exception as exc:  # noqa: BLE001 - any failure of the shared store: a repeat, not a lost answer
                self._shared_down_until = time.monotonic() + self.SHARED_RETRY_S
                log.warning("slack: cannot claim message %s in the shared record (%s); claiming messages on this "
                            "host only for %d s", key, exc, self.SHARED_RETRY_S)
        return self._path is None or self._claim(key)

    def _claim(self, key: str) -> bool:
        """Whether this process is the first on the host to take ``key`` on. A file that cannot be written (a
        read-only or full disk) leaves the per-process memory in charge: a possible repeat, not a lost answer."""
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self._path, timeout=5)) as db, db:
                db.execute("CREATE TABLE IF NOT EXISTS slack_seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")
                now = time.time()
                claimed = db.execute("INSERT OR IGNORE INTO slack_seen (key, at) VALUES (?, ?)", (key, now)).rowcount
                self._claims += 1  # racy across threads: at worst a prune runs a little early or late
                if self._claims % self.PRUNE_EVERY == 0:
                    db.execute("DELETE FROM slack_seen WHERE at < ?", (now - self.KEEP_S,))
            return claimed == 1
        except (sqlite3.Error, OSError) as exc:
            log.warning("slack: cannot record message %s in %s (%s); other workers may answer it too",
                        key, self._path, exc)
            return True
