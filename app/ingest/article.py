"""The incoming article and the rules that normalise it (ids, dates, sources, hashes)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime, time, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

from pydantic import BaseModel, Field, field_validator, model_validator

from app.request_types import ARTICLE_ID_PATTERN, ARTICLE_ID_RULE, CONTROL_CHARACTERS

ARTICLE_ID = re.compile(ARTICLE_ID_PATTERN)
# Other names corpus dumps and news feeds give a field (RSS's pubDate, schema.org's datePublished, NewsAPI's
# publishedAt, feedparser's published): (alias, field), read when the field itself is absent or empty, the first
# alias given winning. "publishedAt" was ignored and the article stored undated (outside every date filter).
FIELD_ALIASES = (("doc_id", "id"), ("publish_date", "published_at"), ("date", "published_at"),
                 ("published_date", "published_at"), ("publishedAt", "published_at"), ("published", "published_at"),
                 ("pubDate", "published_at"), ("datePublished", "published_at"),
                 ("body", "text"), ("content", "text"), ("headline", "title"))
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d %B %Y", "%B %d, %Y", "%b %d, %Y",
                 # a 12-hour clock, as US sites write it: email.utils ignores "PM" (10:00 PM was stored as 10:00)
                 "%B %d, %Y %I:%M %p", "%b %d, %Y %I:%M %p", "%a, %d %b %Y %I:%M %p", "%a, %d %b %Y %I:%M:%S %p")


class InvalidArticle(ValueError):
    """An input record that cannot become an article; the message says why."""


def parse_published(value: str | date | datetime | None) -> datetime | None:
    """Accept ISO dates/datetimes and the common news formats; naive values are taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        text = str(value).strip()
        parsed = None
        try:
            # RFC 3339 allows a lower-case "z" (as_of reads "…T12:00:00z"; a feed's "…z" was "not a date")
            parsed = datetime.fromisoformat(re.sub(r"(?<=\d)z$", "+00:00", text).replace("Z", "+00:00"))
        except ValueError:
            for fmt in _DATE_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:  # RSS's pubDate (RFC 822): "Mon, 01 Jan 2024 10:00:00 GMT"
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                pass
            zone = text.rsplit(None, 1)[-1]
            if parsed is not None and {"AM", "PM"} & set(text.upper().split()):  # a 12-hour time no format read
                raise InvalidArticle(f"published_at {text!r}: a 12-hour time in this form is not read; give a "
                                     "24-hour time or ISO 8601")
            if parsed is not None and parsed.tzinfo is None and zone.isalpha():  # a zone email.utils does not know
                raise InvalidArticle(f"published_at {text!r}: time zone {zone!r} is not one RFC 822 names (UT, UTC, "
                                     "GMT, Z, EST, EDT, CST, CDT, MST, MDT, PST, PDT); give an offset such as +0200")
        if parsed is None:
            raise InvalidArticle(f"published_at {text!r} is not a date (use YYYY-MM-DD or ISO 8601)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC: bad input, not a crash
        raise InvalidArticle(f"published_at {str(value)!r} is out of range (years 1-9999 in UTC)") from None


class ArticleIn(BaseModel):
    """One article as clients send it (JSON/JSONL fields; aliases cover common corpus dumps)."""

    id: str | None = Field(default=None, description="Stable id; derived from url or title+text when absent.")
    title: str = Field(default="", description="Headline.")
    text: str = Field(description="Body text (plain).", min_length=1)
    source: str = Field(default="", description="Publisher; derived from the url's host when absent.")
    url: str = Field(default="", description="Canonical address of the article.")
    published_at: str | None = Field(default=None, description="Publication date or datetime (ISO 8601).")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "kim-putin-vostochny-2023",
                    "title": "Kim pledges support to Putin at Vostochny",
                    "text": "Kim Jong Un told Vladimir Putin ...",
                    "source": "Citewire Samples",
                    "url": "https://example.org/kim-putin",
                    "published_at": "2023-09-13",
                }
            ]
        }
    }

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for alias, field in FIELD_ALIASES:
            # a boolean is never an id, date, text or title (a feed's "published": true is a flag, not a date)
            if data.get(field) in (None, "") and data.get(alias) not in (None, "") and not isinstance(data[alias], bool):
                data[field] = data[alias]
        source = data.get("source")
        if isinstance(source, dict):  # NewsAPI's publisher: {"id": "reuters", "name": "Reuters"}
            data["source"] = source.get("name") or source.get("id")
        for field in ("title", "source", "url"):
            if data.get(field) is None:
                data[field] = ""
        if data.get("id") is not None:
            data["id"] = str(data["id"])
        if isinstance(data.get("published_at"), (date, datetime)):
            data["published_at"] = data["published_at"].isoformat()
        return data

    @field_validator("text", mode="before")
    @classmethod
    def _text_not_blank(cls, value):
        """Before min_length: an empty text and a blank one fail with the same reason."""
        if isinstance(value, str) and not CONTROL_CHARACTERS.sub("", value).strip():
            raise ValueError("text is empty")
        return value

    @field_validator("id", "title", "text", "source", "url", "published_at")
    @classmethod
    def _is_text(cls, value: str | None) -> str | None:
        """JSON's "\\ud800" escape decodes to a lone surrogate, which no UTF-8 writer takes: an NDJSON record
        holding one failed the whole request later (a 500), where it should fail alone, here."""
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("holds a lone UTF-16 surrogate (e.g. \\ud800), which is not text") from None
        return value

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str | None) -> str | None:
        if value is not None and not ARTICLE_ID.fullmatch(value):
            raise ValueError(f"id must be {ARTICLE_ID_RULE}")
        return value


ARTICLE_FIELDS = tuple(ArticleIn.model_fields)
_KNOWN_NAMES = frozenset(ARTICLE_FIELDS) | {alias for alias, _ in FIELD_ALIASES}


def unknown_fields(record: dict) -> list[str]:
    """The names in a record that no article field reads (neither a field nor one of its aliases): ignored, and
    said so, since a misspelt "publshed_at" stored the article undated without a word."""
    return [str(name) for name in record if name not in _KNOWN_NAMES]


def record_id(record: dict) -> str | None:
    """The id a record gives, as ArticleIn reads it ("id", else "doc_id"; a number as its digits), when it is a
    valid id: a record that fails is reported under it (it was reported with "article_id": null)."""
    value = record.get("id")
    if value in (None, ""):
        value = record.get("doc_id")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    return str(value) if ARTICLE_ID.fullmatch(str(value)) else None


class NormalisedArticle(BaseModel):
    id: str
    title: str
    text: str
    source: str
    url: str
    published_at: str | None
    published_ts: int | None
    content_hash: str


def normalise(article: ArticleIn) -> NormalisedArticle:
    published = parse_published(article.published_at)
    text = article.text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = CONTROL_CHARACTERS.sub("", text).strip()
    title = " ".join(CONTROL_CHARACTERS.sub("", article.title).split()) or _title_from_text(text)
    # control characters go from every stored field, not only the text: PostgreSQL refuses a NUL in any text column,
    # and one "Gaz\x00ette" failed its whole batch there (a 503, as if the store were down) while SQLite kept it
    # (the unstripped url still feeds the derived id and the content hash, as before: stored hashes stay valid)
    given_url = CONTROL_CHARACTERS.sub("", article.url)
    url = given_url.strip()
    source = CONTROL_CHARACTERS.sub("", article.source).strip()
    try:
        host = urlparse(url).hostname or ""
    except ValueError as exc:  # "http://[broken" (urllib's "Invalid IPv6 URL"): this record fails, not the request
        raise InvalidArticle(f"url {url[:200]!r} is not a URL: {exc}") from None
    source = source or host.removeprefix("www.") or "unknown"
    article_id = article.id or _derived_id(given_url, title, text)
    published_at = None
    if published is not None:
        published_at = published.date().isoformat() if published.time() == time() else published.isoformat()
    fingerprint = json.dumps([title, text, source, given_url, published_at], ensure_ascii=False)
    return NormalisedArticle(
        id=article_id, title=title, text=text, source=source, url=url, published_at=published_at,
        published_ts=_stored_ts(published) if published else None,
        content_hash=hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
    )


def _stored_ts(published: datetime) -> int:
    """Seconds since the epoch, except that the epoch itself is stored as 1: the stores mark an undated article's
    chunks with 0 (Chroma metadata, the lexical index), so an article dated 1970-01-01 read as undated, outside
    every date range and visible under any ``as_of``. One second changes no date filter, which work in days or
    instants a client gives."""
    ts = math.floor(published.timestamp())  # int() rounds toward 0: 1969-12-31T23:59:59.5Z read as 1970 (0 → 1)
    return ts if ts != 0 else 1


def _title_from_text(text: str) -> str:
    first = text.split("\n", 1)[0].strip().lstrip("-•* ").strip()
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


def _derived_id(url: str, title: str, text: str) -> str:
    key = url.strip() or f"{title}\n{text[:2000]}"
    return hashlib.sha1(key.encode()).hexdigest()[:16]
