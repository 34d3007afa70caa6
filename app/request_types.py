"""Field types shared by the adapters' request schemas (HTTP, MCP), so each reads a value the same way."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, WithJsonSchema, WrapValidator
from pydantic_core import PydanticCustomError

# GET /v1/articles and the MCP list_articles tool page alike; SQLite integers are 64-bit
MAX_LIST_LIMIT = 1000
MAX_LIST_OFFSET = 2**62


def _not_a_boolean(value):
    # lax mode reads JSON true as 1 ("top_k": true answered from one passage, "max_words": true said "≥ 20");
    # strict mode would also refuse "120", which clients have sent and been answered
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer, not true or false")
    return value


def count(low: int, high: int):
    """A whole number in [low, high] that is not a JSON boolean. The bounds come before the check so that the
    JSON schema keeps them as minimum/maximum (after a validator pydantic writes them as "ge"/"le")."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_not_a_boolean)]


_DATE_AND_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\S")  # an ISO 8601 date and time, not a date alone
_INSTANT = TypeAdapter(datetime)
DATE_EXPECTED = "a date YYYY-MM-DD or an ISO 8601 date and time such as 2024-05-04T12:00:00Z"


def _got(value) -> str:
    """The value refused, as the client wrote it: a long string cut short, a JSON value in JSON."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    try:
        return json.dumps(value)[:40]
    except (TypeError, ValueError):
        return type(value).__name__


def _not_a_date(value, reason: str = "") -> PydanticCustomError:
    # a type MCP's argument_errors reads as a date's ("as_of: must be a date as YYYY-MM-DD"); "error" carries the
    # parser's reason ("month value is outside expected range of 1-12")
    got = f"{_got(value)}: {reason}" if reason else _got(value)
    return PydanticCustomError("date_parsing", f"expected {DATE_EXPECTED} (got {{got}})", {"got": got, "error": reason})


def _date_or_instant(value, handler):
    """A date ("2024-05-04": the whole day, UTC) or an ISO 8601 date and time ("2024-05-04T12:00:00Z": that
    instant; without an offset, UTC), as every adapter reads one; what is neither is refused in words that say what
    to send, never pydantic's ("Datetimes provided to dates should have zero time")."""
    # lax mode reads a number (or a string of digits) as seconds since 1970: 12345 was refused with "Datetimes
    # provided to dates should have zero time", which says nothing about what to send, and "86400" was 1970-01-02
    if isinstance(value, bool) or not isinstance(value, (str, date)) or (
            isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()):
        raise _not_a_date(value)
    if isinstance(value, datetime):  # given by Python (a test): that instant as well
        return _in_range(value if value.tzinfo else value.replace(tzinfo=timezone.utc), value)
    if isinstance(value, str):  # " 2024-05-04 " as "2024-05-04" (one was refused, the other read as an instant)
        value = value.strip()
    if isinstance(value, str) and _DATE_AND_TIME.match(value):
        try:
            moment = _INSTANT.validate_python(value)
        except ValidationError as exc:
            raise _not_a_date(value, _reason(exc)) from None
        moment = _in_range(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc), value)
        # midnight UTC is the date, as it was read before instants were: a client sending a date as JavaScript's
        # toISOString() ("2024-05-04T00:00:00.000Z") keeps that whole day
        if moment.utcoffset() == timedelta(0) and moment.time() == time(0):
            return moment.date()
        return moment
    try:
        return handler(value)
    except ValidationError as exc:
        raise _not_a_date(value, _reason(exc)) from None


def _in_range(moment: datetime, value) -> datetime:
    """An instant whose UTC reading falls in years 1-9999, as ingest requires of published_at: "0001-01-01T00:00:00+01:00"
    is in year 0 in UTC, and as_of at it was a 500 (OverflowError) wherever its day is named (a refusal's "as of …")."""
    try:
        moment.astimezone(timezone.utc)
    except OverflowError:
        raise _not_a_date(value, "outside years 1-9999 in UTC") from None
    return moment


def _reason(exc: ValidationError) -> str:
    """The parser's own reason when it names what is out of range ("month value is outside expected range of
    1-12"), else nothing: "invalid date separator, expected `-`" says less than the expected form does."""
    ctx = exc.errors()[0].get("ctx") or {}
    reason = str(ctx.get("error", ""))
    return reason if "outside expected range" in reason else ""


# A date or a date and time in a request body ("as_of", "published_from", "published_to").
DateIn = Annotated[date | datetime, WrapValidator(_date_or_instant), WithJsonSchema({
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "description": f"{DATE_EXPECTED[0].upper()}{DATE_EXPECTED[1:]}: a date is its whole day (UTC); a date and time "
                   "that instant (UTC without an offset)."})]

# A switch such as "stream": lax mode read the string "yes" (and "on", "1") as true; JSON has true and false for it.
Flag = Annotated[bool, Field(strict=True)]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls other than tab, newline and the page and line breaks (\f, \v: read as newlines), and DEL: a NUL
# pasted into a file was stored and quoted back (ingest drops them); a question of them alone is empty
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def blank(text: str) -> bool:
    """Nothing to read: spaces, control and invisible format characters only ("\\u0000\\u0000" and a zero-width
    space "\\u200b" were asked, and refused with a 200). Stops at the first visible character."""
    return not any(not c.isspace() and unicodedata.category(c) != "Cf" for c in CONTROL_CHARACTERS.sub("", text))


def search_text(text: str) -> str:
    """A question, query or topic as it is searched and matched: Unicode NFKC, so full-width letters and digits,
    ligatures and other compatibility forms read as the plain ones ("Ｋｉｍ ｐｌｅｄｇｅ？" is "Kim pledge?").
    Only what a user types goes through it: stored articles, their hashes and the quotes cut from them never do.
    A lone UTF-16 surrogate (valid JSON, "\\ud800") becomes U+FFFD: no UTF-8 encoder takes it, and the embedder's
    tokenizer failed on it (a 500 on /v1/ask, /v1/search, a topic summary, /v1/chat/completions)."""
    return unicodedata.normalize("NFKC", _LONE_SURROGATE.sub("\ufffd", text))


MAX_QUESTION_CHARS = 2000


# What an article id may be (app.ingest.article.ARTICLE_ID compiles it): here, so error messages can recognise it
ARTICLE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
# The same rule in words: the one wording every adapter (CLI, HTTP API, MCP, ingest) gives a user. ASCII only ("café"
# is refused), so the letters are named A-Z, a-z; it may end in any of them ("story-" is an id).
ARTICLE_ID_RULE = "1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-', starting with a letter or digit"


def error_message(error: dict) -> str:
    """A pydantic error's message as a person reads it: a validator's own words without pydantic's "Value error, "
    in front ("question is longer than 2000 characters"). Every adapter's error shape uses it. An article id that
    breaks the id pattern is said in words: the message was the raw regular expression."""
    if error.get("type") == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == ARTICLE_ID_PATTERN:
        return f"not an article id: {ARTICLE_ID_RULE}; got {_got(error.get('input'))}"
    return str(error.get("msg", "")).removeprefix("Value error, ")


# Messages in one chat request, over /v1/chat and /v1/chat/completions alike: OpenAI clients resend the whole
# conversation each turn (about 100 question/answer pairs); the condenser reads only the last few.
MAX_CHAT_MESSAGES = 200


def question_text(value: str, what: str = "question") -> str:
    """A question or query as every adapter reads it: NFKC, stripped, 1 to MAX_QUESTION_CHARS characters counted
    after both (so a text that NFKC lengthens cannot pass the cap over one adapter and not another); control
    characters alone are empty."""
    value = search_text(value).strip()
    if blank(value):
        raise ValueError(f"{what} is empty")
    if len(value) > MAX_QUESTION_CHARS:
        raise ValueError(f"{what} is longer than {MAX_QUESTION_CHARS} characters")
    return value
