"""Read articles from files and uploads, one record at a time, so big corpora never sit in memory."""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import tomllib
import unicodedata
import zlib
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import yaml
from pydantic import ValidationError

from app.ingest.article import ARTICLE_ID, ArticleIn, InvalidArticle, parse_published, record_id, unknown_fields
from app.ingest.html_tables import tables_as_lines
from app.ingest.legacy_text import decode_text
from app.ingest.markdown_text import markdown_title, markdown_to_text
from app.ingest.page_title import headline, stated_titles, title_element_text
from app.request_types import error_message

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".jsonl.gz")

# trafilatura's "discarding data: None" warning says what our "no article text found" error says, with less context.
logging.getLogger("trafilatura.core").setLevel(logging.ERROR)


class UnsupportedFile(ValueError):
    pass


@dataclass(slots=True)
class LoadedRecord:
    origin: str  # "file.jsonl:12" — where a failure can be found
    article: ArticleIn | None = None
    error: str | None = None
    article_id: str | None = None  # a record that failed: the id it gives, when it gives a valid one
    ignored: list[str] = field(default_factory=list)  # its fields that no article field reads


def suffix_of(name: str) -> str:
    lower = name.lower()
    for suffix in sorted(SUPPORTED_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return suffix
    raise UnsupportedFile(f"unsupported file type: {name!r} (supported: {', '.join(SUPPORTED_SUFFIXES)})")


def walk_paths(paths: list[Path], skipped: list[tuple[Path, str]] | None = None
               ) -> Iterator[tuple[Path, Path | None]]:
    """Expand folders (recursively, sorted) to the supported files inside them; a file named
    explicitly must be supported (UnsupportedFile) and exist (FileNotFoundError); it may be a pipe (a live
    feed, read as it is written). What a folder holds and is left out goes to ``skipped`` with why (hidden: dot
    files such as macOS's "._story.txt"; not a regular file: a pipe there would hold the ingest until someone
    writes to it; an unsupported type; folder notes: a README, LICENSE or CHANGELOG describes the folder, it is no
    article), so the caller can say what it left out. A notes file named explicitly is ingested. Each file comes with
    the folder it was found in by walking (None: named itself), which names a folder's page (``load_path``)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_dir():  # walked by rglob, except a link to a folder: named, as it is not followed
                    if child.is_symlink() and skipped is not None:
                        skipped.append((child, _hidden(child, path) or "link to a folder, not followed"))
                    continue
                why = _left_out(child, path)
                if why is None:
                    yield child, path
                elif skipped is not None:
                    skipped.append((child, why))
        elif path.exists():
            suffix_of(path.name)
            yield path, None
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


# What a folder says about itself (a corpus's README.md was stored as an article): matched by the name without its
# type, in any case ("readme.md", "LICENSE", "Changelog.txt").
FOLDER_NOTES = frozenset(("readme", "license", "licence", "changelog", "contributing", "notice", "copying"))


def _hidden(child: Path, root: Path) -> str | None:
    return "hidden" if any(part.startswith(".") for part in child.relative_to(root).parts) else None


def _left_out(child: Path, root: Path) -> str | None:
    if _hidden(child, root):
        return "hidden"
    if not child.is_file():  # a FIFO, socket or device, or a link to nothing
        return "not a regular file"
    try:
        stem = child.name[: -len(suffix_of(child.name))]
    except UnsupportedFile:
        stem = None
    if (stem if stem is not None else Path(child.name).stem).lower() in FOLDER_NOTES:  # LICENSE, README.rst too
        return "folder notes, not an article"
    if stem is None:
        return "unsupported type"
    return None


# A web server's page for its folder: in a saved site (wget mirrors, static-site output) every page is "index.html",
# and each got the id "index", replacing the one before; such a page found by walking a folder is named after its
# folders below the walked one (site/news/ferry/index.html, walking site/: "news-ferry"; site/index.html: "site")
FOLDER_PAGES = frozenset(("index", "default"))


def load_path(path: Path, walked_from: Path | None = None) -> Iterator[LoadedRecord]:
    suffix = suffix_of(path.name)
    named_as = path.name
    if path.name[: -len(suffix)].lower() in FOLDER_PAGES and suffix not in (".json", ".jsonl", ".jsonl.gz"):
        # named by its folders below the one walked; a page named on its own, by its folder (as walking that
        # folder names it): two sites' index.html ingested one by one replaced each other as the article "index"
        folders = (path.parent.relative_to(walked_from).parts or (walked_from.resolve().name,) if walked_from
                   else (path.parent.resolve().name,))  # its folder's name: not a linked file's target's
        if all(folders):
            named_as = "-".join(folders) + suffix
    with open(path, "rb") as handle:
        yield from load_stream(path.name, handle, suffix, id_from=named_as)


def load_bytes(name: str, data: bytes, unpacking: UnpackBudget | None = None) -> Iterator[LoadedRecord]:
    """``unpacking``: what .jsonl.gz files may still unpack to (UnpackedTooLarge past it); None: no bound."""
    yield from load_stream(name, io.BytesIO(data), suffix_of(name), unpacking)


class UnpackedTooLarge(ValueError):
    """Compressed uploads unpack past their bound: a 200 KB gzip of one 190 MB line passed the request-body limit
    and made the server hold the line."""

    def __init__(self, name: str, limit: int) -> None:
        super().__init__(f"{name}: the compressed uploads unpack to more than {limit:,} bytes")


class UnpackBudget:
    """The bytes every compressed file of one request may unpack to, together."""

    def __init__(self, limit: int) -> None:
        self.limit = self.left = limit


def load_stream(name: str, handle: IO[bytes], suffix: str, unpacking: UnpackBudget | None = None,
                id_from: str | None = None) -> Iterator[LoadedRecord]:
    """``id_from``: the name a single-article file's id is made from, when not its own (``load_path``)."""
    if suffix == ".jsonl.gz":
        yield from _gzipped_jsonl(name, handle, unpacking)
    elif suffix == ".jsonl":
        yield from _jsonl(name, handle)
    elif suffix == ".json":
        yield from _json(name, handle.read())
    else:
        text = decode_text(handle.read())
        stem = _stem(id_from or name)  # a failed file is reported under the id it would have had
        if text is None:
            yield LoadedRecord(name, error=NOT_TEXT, article_id=stem)
            return
        if suffix in (".html", ".htm"):
            yield _html(name, stem, text)
        elif suffix in (".md", ".markdown"):
            yield _markdown(name, stem, text)
        else:
            yield _validated(name, {"id": stem, "text": text})


NOT_TEXT = "file is not text: not UTF-8, and no other encoding reads it as text (is it binary?)"


def _stem(name: str) -> str | None:
    """The article id a single-article file gets: its name without the suffix, made an id. Names as browsers and
    people save them ("My Story (1).txt", "café-report.txt") failed the id pattern and the upload stored nothing;
    now accents fold to ASCII and other characters become "-" ("My-Story-1", "cafe-report"). A name that already is
    an id stays as it is; one with nothing usable left gets an id derived from its content (None)."""
    base = Path(name).name
    stem = base[: -len(suffix_of(base))] if base else base
    if ARTICLE_ID.fullmatch(stem):
        return stem
    ascii_name = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    cleaned = re.sub("-{2,}", "-", _NOT_IN_IDS.sub("-", ascii_name)).strip("-._:")[:128].rstrip("-._:")
    return cleaned if ARTICLE_ID.fullmatch(cleaned) else None


_NOT_IN_IDS = re.compile(r"[^A-Za-z0-9._:]+")


def _validated(origin: str, record: object) -> LoadedRecord:
    if not isinstance(record, dict):
        return LoadedRecord(origin, error="expected a JSON object with at least a 'text' field")
    ignored = unknown_fields(record)
    try:
        return LoadedRecord(origin, article=ArticleIn.model_validate(record), ignored=ignored)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {error_message(e)}"
                            for e in exc.errors())
        return LoadedRecord(origin, error=reasons, article_id=record_id(record), ignored=ignored)


def _gzipped_jsonl(name: str, handle: IO[bytes], unpacking: UnpackBudget | None = None) -> Iterator[LoadedRecord]:
    """A damaged archive is bad input like a bad line: the records read before the damage stand,
    the damage itself becomes one failed record (not a crash, not a 500)."""
    try:
        with gzip.GzipFile(fileobj=handle) as unzipped:
            yield from _jsonl(name, unzipped if unpacking is None else _bounded_lines(name, unzipped, unpacking))
    except (OSError, EOFError, zlib.error) as exc:
        yield LoadedRecord(name, error=f"not a readable gzip file ({type(exc).__name__}: {exc or 'truncated'})")


def _bounded_lines(name: str, handle: IO[bytes], budget: UnpackBudget) -> Iterator[bytes]:
    """The lines of ``handle`` while the budget lasts; each read asks for no more than is left, so no line past the
    bound is ever held."""
    while line := handle.readline(budget.left + 1):
        budget.left -= len(line)
        if budget.left < 0:
            raise UnpackedTooLarge(name, budget.limit)
        yield line


# RecursionError: JSON nested deeper than Python's parser goes is as unreadable as a syntax error; ValueError: the
# parser's own JSONDecodeError and UnicodeDecodeError, and an integer of more than 4,300 digits (a 500 before)
UNREADABLE_JSON = (ValueError, RecursionError)


def json_error(exc: Exception, line: int | None = None) -> str:
    """"invalid JSON on line 12, column 10: unterminated string": the parser's words, where the file has them. A JSONL
    line is parsed alone, so the parser's own "line 1 column 10 (char 9)" named the wrong line: ``line`` is the
    file's."""
    if not isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON{f' on line {line}' if line else ''}: {exc or type(exc).__name__}"
    what = exc.msg.removesuffix(" at").removesuffix(" starting")  # "Unterminated string starting at" (char 9)
    return f"invalid JSON on line {line or exc.lineno}, column {exc.colno}: {what[:1].lower()}{what[1:]}"


def _jsonl(name: str, handle: IO[bytes]) -> Iterator[LoadedRecord]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        origin = f"{name}:{number}"
        try:
            record = json.loads(line.rstrip(b"\r\n"))  # a cut line's string is unterminated, not "control character"
        except UNREADABLE_JSON as exc:
            yield LoadedRecord(origin, error=json_error(exc, number))
            continue
        yield _validated(origin, record)


def _json(name: str, raw: bytes) -> Iterator[LoadedRecord]:
    try:
        data = json.loads(raw)
    except UNREADABLE_JSON as exc:
        yield LoadedRecord(name, error=json_error(exc))
        return
    yield from json_records(name, data)


def json_records(name: str, data: object) -> Iterator[LoadedRecord]:
    """The records of an already parsed JSON document: one article, a list of them, or ``{"articles": [...]}``
    (the API parses an upload's body itself, to answer malformed JSON with a 400, and hands the result here)."""
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records):
        yield _validated(f"{name}[{number}]" if isinstance(data, list) else name, record)


def _yaml_reason(exc: yaml.YAMLError) -> str:
    """PyYAML's message spans several lines with a caret drawing; errors are one line: the problem and where."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    where = f" (line {mark.line + 2}, column {mark.column + 1})" if mark is not None else ""  # after the "---" line
    return " ".join(f"{problem}{where}".split())


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML with every scalar as written, null aside: a typed reading made `id: 0123` the id "83" (octal),
    `title: 3.10` "3.1" and `published_at: 2024-02-30` a crash; as text, each is checked like any other field."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# Front matter as Jekyll, Hugo and Pandoc read it: YAML between "---" lines (the end may be "..."), TOML (Hugo)
# between "+++" lines; a line of the fence may carry trailing spaces. "--- x" or "----" is no fence.
_FRONT_MATTER = re.compile(r"(?:---[ \t]*\n(?P<yaml>.*?)\n(?:---|\.\.\.)|\+\+\+[ \t]*\n(?P<toml>.*?)\n\+\+\+)[ \t]*(?:\n|$)",
                           re.DOTALL)


def _as_written(value):
    """A TOML value as YAML front matter's loader keeps it: dates and numbers as text ("2024-05-04")."""
    if isinstance(value, (str, bool, dict, list)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _markdown(name: str, stem: str, text: str) -> LoadedRecord:
    """Optional YAML or TOML front matter carries title/source/url/published_at; else the first heading is the
    title."""
    record: dict = {"id": stem}
    text = text.replace("\r\n", "\n")  # a file saved on Windows: its front matter is front matter too
    body = text
    fence = _FRONT_MATTER.match(text)
    if fence:
        try:
            if fence["toml"] is not None:
                meta = {k: _as_written(v) for k, v in tomllib.loads(fence["toml"]).items()}
            else:
                meta = yaml.load(fence["yaml"], Loader=_FrontMatterLoader) or {}  # noqa: S506 (a SafeLoader)
        except yaml.YAMLError as exc:
            return LoadedRecord(name, error=f"invalid front matter: {_yaml_reason(exc)}", article_id=stem)
        except tomllib.TOMLDecodeError as exc:
            return LoadedRecord(name, error=f"invalid front matter: {exc}", article_id=stem)
        if isinstance(meta, dict):  # else two thematic breaks around Markdown text: it stays in the body
            record.update({k: v for k, v in meta.items() if v is not None})
            body = text[fence.end():].lstrip("\n")
    if "title" not in record:
        title = markdown_title(body)  # "# Big *news*" is titled "Big news"; a code block's "# install" is no title
        if title:
            record["title"] = title
    record["text"] = markdown_to_text(body)  # the words, not their markup: quotes showed "**Kim**" and link URLs
    return _validated(name, record)


# where a sentence may end: a full stop, ? or ! (maybe inside quotes or brackets), then a space or the end
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)|[。！？][」』”）]*")  # the second: CJK, no spaces


def _has_sentence(text: str) -> bool:
    """Four words or more before a sentence end, on one line. One pass: a pattern that counted the words by
    backtracking took seconds on a 2,000-word page of menu items, the pages this check is for."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start:match.start()]
        line = piece[piece.rfind("\n") + 1:]
        if len(line.split()) >= 4 or (match.group()[0] in "。！？" and len(line.strip()) >= 8):
            return True
        start = match.end()
    return False


def _html(name: str, stem: str, html: str) -> LoadedRecord:
    import trafilatura
    from trafilatura.utils import load_html

    page = load_html(html)  # parsed once: trafilatura extracts from a copy, the date is read from the original
    if page is not None:
        tables_as_lines(page)  # data tables as quotable lines ("Party: Labour; Seats: 412."); layout tables dropped
    document = None if page is None else trafilatura.bare_extraction(
        page, with_metadata=True, include_comments=False, include_tables=False)
    if document is None or not (document.text or "").strip():
        return LoadedRecord(name, error="no article text found in the HTML", article_id=stem)
    if not _has_sentence(document.text):  # a home page or menu: "News\nSport\nWeather" was stored as an article
        return LoadedRecord(name, error="no article text found in the HTML (no sentence: only menus, links or headings)",
                            article_id=stem)
    title = headline(document.title or "", title_element_text(page), document.sitename or "", stated_titles(page),
                     document.url or "")
    return _validated(name, {
        "id": stem, "title": title, "text": headings_on_their_own_lines(page, document.text),
        "source": document.sitename or "",
        "url": document.url or "", "published_at": _metadata_date(page),
    })


_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_NOT_ARTICLE_TEXT = frozenset(("script", "style"))  # their text is never article text
_TEXT_NODES_AFTER = 8  # the first non-blank text nodes after a heading in the page
_CHECKED_CHARS = 40  # of that text, compared with the extracted text after the heading
_HEADINGS_CHECKED = 200  # an article has far fewer; a page of thousands must not cost a text search each


def _texts_after_headings(page) -> list[tuple[object, list[str]]]:
    """Each heading (document order) with the first non-blank text nodes after its end tag, script/style skipped.

    One walk over the page, the same text as the XPath ``following::text()[not(ancestor::script or
    ancestor::style)][normalize-space()][position() <= 8]`` per heading, which libxml2 evaluated over every
    following text node: thousands of headings took seconds (quadratic)."""
    from lxml import etree

    texts: list[str] = []
    headings: list = []  # in document (start tag) order, as //h1 | ... | //h6 gives them
    after: dict = {}  # heading -> index in texts of the first text node after its end tag
    skipped = 0  # depth inside script/style
    for event, element in etree.iterwalk(page, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else None  # comments and PIs: their text is no text node
        if event == "start":
            if tag in _NOT_ARTICLE_TEXT:
                skipped += 1
            elif tag in _HEADING_TAGS and len(headings) < _HEADINGS_CHECKED:
                headings.append(element)
            if tag is not None and not skipped and element.text and element.text.strip(" \t\r\n"):
                texts.append(element.text)
            continue
        if tag in _NOT_ARTICLE_TEXT:
            skipped -= 1
        if tag in _HEADING_TAGS:
            after[element] = len(texts)
        if not skipped and element.tail and element.tail.strip(" \t\r\n"):  # normalize-space()'s whitespace
            texts.append(element.tail)
    return [(heading, texts[after[heading]:after[heading] + _TEXT_NODES_AFTER]) for heading in headings]


def headings_on_their_own_lines(page, text: str) -> str:
    """The extracted text with each of the page's headings on a line of its own.

    trafilatura's fallback for text not inside <p> elements flattens a whole <article> to one line, so a
    headline was glued to the first sentence ("Ferry returns The island ferry resumed ...") and every
    quote of that sentence began with it. A heading is split off only where the extracted text has it,
    then a space, then the words that follow the heading in the page; the spaces around it become newlines,
    so every other character keeps its offset. Text that already has its headings on their own lines (the
    usual case) is returned unchanged. Only the page's first 200 headings are looked at."""
    cursor = 0
    chars: list[str] | None = None
    for heading, after in _texts_after_headings(page):
        name = " ".join(heading.text_content().split())
        if not name or text.find(f"{name} ", cursor) < 0:
            continue
        following = " ".join(" ".join(after).split())[:_CHECKED_CHARS]
        start = text.find(f"{name} {following}", cursor) if following else -1
        if start < 0 or (start > 0 and not text[start - 1].isspace()):
            continue
        end = start + len(name)
        chars = chars or list(text)
        chars[end] = "\n"
        if start > 0:
            chars[start - 1] = "\n"
        cursor = end
    return text if chars is None else "".join(chars)


# Where a page states its own date: meta/link tags, JSON-LD, and a <time datetime> that marks the
# article's publication (pubdate, itemprop=datePublished, in a byline or in the article's header).
# Never the body text, nor any other <time>: that marks a date the article mentions (an event, a vote).
_PUBLISHED_TIME = ('//time[@datetime][@pubdate or contains(@itemprop, "datePublished")'
                   ' or ancestor::*[contains(translate(@class, "BYLINE", "byline"), "byline")]'
                   ' or ancestor::header[ancestor::article or ancestor::main]]')
_DATE_MARKUP = f'//meta | //head/link | //script[@type="application/ld+json"] | {_PUBLISHED_TIME}'


_DATE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # "+0900" where the markup gives an offset, none where it gives none


def _metadata_date(page) -> str | None:
    """The publication date (and time, where the markup gives one) the page's markup declares, or None.

    trafilatura (through htmldate) otherwise guesses from the body text, so "will start in September
    2025" made an undated page "published 2025-01-01", which hid it from as_of questions. htmldate
    runs here on the markup alone: the tags and JSON-LD above, with no text to guess from.

    The time of day is kept ("2023-09-13T14:05:00+0900"), as a JSON article's is: as_of filters work to the
    instant, and a page published at 14:05 in Seoul was stored as at midnight UTC. A date alone comes back
    as that day's midnight, which is stored as the bare date it was before."""
    from datetime import datetime

    from htmldate import find_date
    from lxml import html as lxml_html
    from trafilatura.settings import set_date_params

    markup = lxml_html.document_fromstring("<html><head></head><body></body></html>")
    head, body = markup.find("head"), markup.find("body")
    for element in page.xpath(_DATE_MARKUP):
        copy = deepcopy(element)  # the element alone: a serialised copy would carry its tail text along
        copy.tail = None
        if copy.tag == "time":
            copy.text = None
            copy[:] = []
            body.append(copy)
        else:
            head.append(copy)
    params = set_date_params(extensive=False)
    # trafilatura's latest date is today's date, i.e. its first instant: a time later today was "in the future"
    # and fell back to the bare date; htmldate's own default, the end of today, keeps today's pages' times.
    # Nor is any other bound needed on a date the markup states (no body text is read): htmldate's own window,
    # 1995 to the end of today, dropped a news archive's 1989 page and a page dated later, storing both undated.
    params.update(min_date=datetime(1, 1, 2), max_date=datetime(9999, 12, 30))
    try:
        # the tags, JSON-LD and <time> first (url=""), the canonical address's /2024/03/26/ only when they state none:
        # htmldate reads that address first, so a WordPress or CNN page's stated 18:30-05:00 was stored as midnight UTC
        found = find_date(markup, outputformat=_DATE_TIME_FORMAT, url="", **params) or \
            find_date(markup, outputformat=_DATE_TIME_FORMAT, **params)
    except ValueError:
        found = None
    return found or _json_ld_published(page)


def _json_ld_published(page) -> str | None:
    """JSON-LD's first datePublished (in @graph too) that is a date: htmldate reads JSON-LD with a pattern of years
    1990-2039 only, so an archive's 1969 NewsArticle was stored undated."""
    for script in page.xpath('//script[@type="application/ld+json"]'):
        try:
            stack = [json.loads(script.text_content())]
        except UNREADABLE_JSON:
            continue
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                value = item.get("datePublished")
                if isinstance(value, str):
                    try:
                        if parse_published(value) is not None:
                            return value.strip()
                    except InvalidArticle:
                        pass
                stack.extend(reversed([v for v in item.values() if isinstance(v, (dict, list))]))
    return None
