from __future__ import annotations

import gzip
import json

import pytest

from app.ingest.article import ArticleIn, InvalidArticle, normalise
from app.ingest.chunker import Chunker
from app.ingest.loaders import UnsupportedFile, load_bytes, load_path
from app.offline import count_tokens
from app.samples import samples_path
from tests.conftest import SHARED, needs_shared

LONG = " ".join(
    f"Sentence number {i} talks about the harbour, the council and a budget of {i * 1000} euros." for i in range(120)
)


def test_chunks_are_verbatim_token_bounded_and_end_on_sentences():
    chunker = Chunker(chunk_tokens=60, overlap=10)
    spans = chunker.split(LONG)
    assert len(spans) > 5
    for span in spans:
        assert LONG[span.char_start : span.char_end] == span.text
        assert count_tokens(span.text) <= 60
        assert span.text.rstrip().endswith(".")  # sentence boundaries kept
    assert [s.index for s in spans] == list(range(len(spans)))


def test_chunk_ids_are_deterministic_and_content_addressed():
    chunker = Chunker(chunk_tokens=60, overlap=10)
    first = [s.chunk_id("a1", "h1") for s in chunker.split(LONG)]
    assert first == [s.chunk_id("a1", "h1") for s in chunker.split(LONG)]
    assert len(set(first)) == len(first) and all(i.startswith("a1:") for i in first)
    edited = [s.chunk_id("a1", "h2") for s in chunker.split(LONG.replace("number 0 ", "number zero "))]
    assert edited[0] != first[0]
    # a chunk whose text is the same gets a new id when the article changed (its title, source or date may have):
    # a failed update must not overwrite the vectors and metadata the record still points at
    assert edited[-1] != first[-1] and chunker.split(LONG)[-1].text == chunker.split(
        LONG.replace("number 0 ", "number zero "))[-1].text


def test_overlap_must_be_smaller_than_size():
    with pytest.raises(ValueError):
        Chunker(chunk_tokens=50, overlap=50)


def test_every_format_loads():
    article = {"id": "x1", "title": "T", "text": "Body text.", "source": "S", "url": "https://e.org/a",
               "published_at": "2024-01-02"}
    assert next(load_bytes("a.json", json.dumps(article).encode())).article.id == "x1"
    assert [r.article.id for r in load_bytes("a.json", json.dumps([article, {**article, "id": "x2"}]).encode())] == ["x1", "x2"]
    lines = (json.dumps(article) + "\n" + json.dumps({**article, "id": "x3"}) + "\n").encode()
    assert [r.article.id for r in load_bytes("a.jsonl", lines)] == ["x1", "x3"]
    assert [r.article.id for r in load_bytes("a.jsonl.gz", gzip.compress(lines))] == ["x1", "x3"]
    md = next(load_bytes("story.md", b"---\nsource: Daily\npublished_at: 2024-03-01\n---\n# Big news\n\nIt happened.")).article
    assert (md.id, md.title, md.source, md.published_at) == ("story", "Big news", "Daily", "2024-03-01")
    txt = next(load_bytes("note.txt", "Plain text here.".encode())).article
    assert (txt.id, txt.text) == ("note", "Plain text here.")
    html = (b"<html><head><title>Harbour vote</title><meta property='og:site_name' content='Gazette'></head><body>"
            b"<nav>Menu</nav><article><h1>Harbour vote</h1><p>The council voted on Tuesday to rebuild the old harbour"
            b" wall after the winter storms damaged it badly, officials said.</p><p>Work starts in May and should take"
            b" two years, according to the city engineer.</p></article><footer>Cookies</footer></body></html>")
    page = next(load_bytes("page.html", html)).article
    assert "rebuild the old harbour" in page.text and "Menu" not in page.text and "Cookies" not in page.text
    assert page.source == "Gazette"


def test_bad_records_are_reported_with_their_line_and_the_rest_still_load():
    data = b'{"id": "ok", "text": "fine"}\n{not json\n{"id": "no-text"}\n'
    records = list(load_bytes("batch.jsonl", data))
    assert records[0].article is not None
    assert records[1].origin == "batch.jsonl:2" and "invalid JSON" in records[1].error
    assert records[2].origin == "batch.jsonl:3" and "text" in records[2].error


def test_json_nested_too_deep_to_parse_is_a_bad_record_not_a_crash():
    deep = b"[" * 100_000
    line = list(load_bytes("batch.jsonl", b'{"id": "ok", "text": "fine"}\n' + deep + b"\n"))
    assert line[0].article is not None and line[1].origin == "batch.jsonl:2" and "invalid JSON" in line[1].error
    (whole,) = load_bytes("deep.json", deep)
    assert whole.article is None and "invalid JSON" in whole.error


def test_unsupported_types_are_refused():
    with pytest.raises(UnsupportedFile):
        list(load_bytes("report.pdf", b"%PDF"))


def test_normalise_derives_what_is_missing():
    a = normalise(ArticleIn(text="Hello.\nMore.", url="https://www.example.com/x", published_at="2022/06/12"))
    assert a.source == "example.com" and a.published_at == "2022-06-12" and a.title == "Hello."
    assert len(a.id) == 16 and a.id == normalise(ArticleIn(text="Other", url="https://www.example.com/x")).id
    with pytest.raises(InvalidArticle):
        normalise(ArticleIn(text="x", published_at="last Tuesday"))


def test_sample_corpus_is_complete():
    articles = [r.article for r in load_path(samples_path())]
    assert 6 <= len(articles) <= 10
    for a in articles:
        assert a.title and a.source and a.url and a.published_at and len(a.text) > 300


@needs_shared
def test_big_corpus_streams_lazily():
    corpus = SHARED / "data" / "realtimeqa-dev" / "corpus.jsonl.gz"
    if not corpus.exists():
        pytest.skip("realtimeqa corpus absent")
    records = load_path(corpus)
    first = [next(records) for _ in range(3)]  # a generator: nothing beyond these lines was read
    assert all(r.article is not None for r in first)
    records.close()


def test_damaged_gzip_is_a_failed_record_not_a_crash():
    article = {"id": "ok1", "title": "T", "text": "Body text."}
    lines = "".join(json.dumps({**article, "id": f"ok{i}"}) + "\n" for i in range(400))
    packed = gzip.compress(lines.encode())
    not_gzip = list(load_bytes("bad.jsonl.gz", b"no, this is not gzip"))
    assert [r.article for r in not_gzip] == [None] and "gzip" in not_gzip[0].error
    truncated = list(load_bytes("cut.jsonl.gz", packed[: len(packed) // 2]))
    assert truncated[-1].article is None and "gzip" in truncated[-1].error
    assert all(r.article is not None for r in truncated[:-1])


_SCHOOL_PLAN = ("<p>The new school programme will start in September 2025, on 2025-09-01, officials said on Tuesday."
                " Parents welcomed the plan for the district and its twelve schools.</p>"
                "<p>The council will vote on the budget for the programme next month, the mayor's office said.</p>")


@pytest.mark.parametrize(("head", "extra", "published"), [
    ("", "", None),  # dates in the body text are not publication dates
    ('<meta property="article:published_time" content="2023-09-13">', "", "2023-09-13"),
    ("", '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-09-13T08:00:00Z"}'
         "</script>", "2023-09-13"),
    ("", '<time datetime="2023-09-13" itemprop="datePublished">13 September</time>', "2023-09-13"),
    ("", '<time datetime="2023-09-13" pubdate>13 September</time>', "2023-09-13"),
    ("", '<div class="article-byline">By A. Writer, <time datetime="2023-09-13">13 September</time></div>',
     "2023-09-13"),
    ("", '<article><header><time datetime="2023-09-13">13 September</time></header></article>', "2023-09-13"),
    # a <time> elsewhere marks a date the article mentions (an event, a deadline), not its publication
    ("", '<p>The vote is on <time datetime="2025-10-01">1 October</time>.</p>', None),
    ("", '<header class="site"><time datetime="2026-11-26">Today</time></header>', None),  # the site's own header
    ("", '<time datetime="2023-09-13" itemprop="dateModified">13 September</time>', None),
    ('<meta property="article:published_time" content="2023-09-13">',
     '<p>The vote is on <time datetime="2025-10-01">1 October</time>.</p>', "2023-09-13"),
])
def test_html_published_at_comes_from_markup_only(head, extra, published):
    html = (f"<html><head><title>School plan</title>{head}</head><body>{extra}<article><h1>School plan</h1>"
            f"{_SCHOOL_PLAN}</article></body></html>").encode()
    article = next(load_bytes("plan.html", html)).article
    assert article is not None and "September 2025" in article.text
    assert (str(article.published_at)[:10] if article.published_at else None) == published


@pytest.mark.parametrize(("markup", "stored"), [
    ('<meta property="article:published_time" content="2023-09-13T14:05:00+09:00">', "2023-09-13T05:05:00+00:00"),
    ('<meta property="article:published_time" content="2023-09-13T00:30:00+09:00">', "2023-09-12T15:30:00+00:00"),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-09-13T14:05:00Z"}</script>',
     "2023-09-13T14:05:00+00:00"),
    ('<meta property="article:published_time" content="2023-09-13T14:05:00">', "2023-09-13T14:05:00+00:00"),  # UTC
    # a date alone is stored as it was: the bare date, its midnight UTC
    ('<meta property="article:published_time" content="2023-09-13">', "2023-09-13"),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2023-09-13"}</script>',
     "2023-09-13"),
    ('<meta name="date" content="13 September 2023">', "2023-09-13"),
])
def test_html_keeps_the_time_of_day_its_markup_declares(markup, stored):
    """htmldate gave the date only: a page published at 14:05 in Seoul was stored as at midnight UTC, nine hours
    off the instant as_of filters compare (a JSON article keeps its time)."""
    from datetime import datetime

    html = (f"<html><head><title>School plan</title>{markup}</head><body><article><h1>School plan</h1>"
            f"{_SCHOOL_PLAN}</article></body></html>").encode()
    normalised = normalise(next(load_bytes("plan.html", html)).article)
    assert normalised.published_at == stored
    instant = datetime.fromisoformat(stored if "T" in stored else f"{stored}T00:00:00+00:00")
    assert normalised.published_ts == int(instant.timestamp())


def test_html_published_earlier_today_keeps_its_time():
    """trafilatura's latest date is today's midnight: a page published later today lost its time to it."""
    from datetime import datetime, timedelta, timezone

    moment = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=1)
    html = (f'<html><head><meta property="article:published_time" content="{moment.isoformat()}"></head><body>'
            f"<article><h1>School plan</h1>{_SCHOOL_PLAN}</article></body></html>").encode()
    normalised = normalise(next(load_bytes("plan.html", html)).article)
    assert normalised.published_ts == int(moment.timestamp()), normalised.published_at


def test_html_without_text_fails_with_one_message_and_no_library_warning(caplog):
    record = next(load_bytes("empty.html", b"<html><head><title>x</title></head><body><p></p></body></html>"))
    assert record.article is None and record.error == "no article text found in the HTML"
    assert not [r for r in caplog.records if r.name.startswith("trafilatura")]


def test_html_headings_glued_by_the_extractor_get_their_own_lines_and_nothing_else_moves():
    from app.ingest.loaders import headings_on_their_own_lines

    body = "The island ferry resumed service on Monday after a three-week repair."
    glued = next(load_bytes("ferry.html", f"<html><body><article><header><h1>Ferry returns</h1></header>{body} "
                                          f"Engineers replaced the shaft.</article></body></html>".encode())).article
    assert glued.text.startswith(f"Ferry returns\n{body}")
    # the headline's words opening a sentence elsewhere are left alone: they do not follow the heading in the page
    from trafilatura.utils import load_html

    page = load_html("<html><body><header><h1>Storm</h1><nav>Home</nav></header><p>Storm Ciaran hit.</p></body></html>")
    assert headings_on_their_own_lines(page, "Home Storm Ciaran hit.") == "Home Storm Ciaran hit."
    assert headings_on_their_own_lines(page, "Storm Home Storm Ciaran hit.") == "Storm\nHome Storm Ciaran hit."
    # pages whose headings already stand alone (the usual case) keep their text, hence their chunks, unchanged
    usual = next(load_bytes("ferry.html", f"<html><body><article><h1>Ferry returns</h1><p>{body}</p><p>Engineers "
                                          f"replaced the shaft.</p></article></body></html>".encode())).article
    assert usual.text == f"Ferry returns\n{body}\nEngineers replaced the shaft."


# What the heading split compares: the page's first non-blank text nodes after each heading, script/style skipped.
_TEXT_AFTER_SPEC = "following::text()[not(ancestor::script or ancestor::style)][normalize-space()][position() <= 8]"


@pytest.mark.parametrize("html", [
    "<article><header><h1>Ferry returns</h1></header>The ferry <script>var a='x';</script>resumed. <b>More</b></article>",
    "<article><h1>Outer <h2>Inner <b>bold</b></h2> tail</h1>Body <!-- note --> after <style>p{}</style> end."
    "<h3>Three</h3>Three says <i>hi</i> there<h4>Last</h4></article>",
    "<div><h2>A\u00a0B</h2>\u00a0 x <p>  </p><p>\t\r\n</p><p>A B x y</p><h2>Sec</h2>" + "<p>w</p>" * 12 + "</div>",
])
def test_text_after_each_heading_is_what_the_following_text_xpath_selects(html):
    """The one-walk collection equals the per-heading XPath it replaced (nested headings, inline tags, comments,
    script/style, blank and \\xa0-only text nodes): the split's output stays what it was."""
    from trafilatura.utils import load_html

    from app.ingest.loaders import _texts_after_headings

    page = load_html(f"<html><body>{html}</body></html>")
    walked = _texts_after_headings(page)
    assert [heading for heading, _ in walked] == page.xpath("//h1 | //h2 | //h3 | //h4 | //h5 | //h6")
    for heading, after in walked:
        assert after == heading.xpath(_TEXT_AFTER_SPEC)


def test_heading_split_costs_one_walk_not_one_xpath_per_heading():
    """A page of 4,000 headings took 11 s to load: an XPath per heading over every following text node (quadratic).
    The work is counted, not timed: XPath evaluations on the page's elements stay a constant, not one per heading."""
    from lxml import etree
    from lxml import html as lxml_html

    from app.ingest.loaders import headings_on_their_own_lines

    evaluations = []

    class CountingElement(lxml_html.HtmlElement):
        def xpath(self, *args, **kwargs):
            evaluations.append(args[0] if args else kwargs)
            return super().xpath(*args, **kwargs)

    parser = lxml_html.HTMLParser()
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=CountingElement))
    html = "<article>" + "".join(f"<h2>a</h2><p>a b{i}</p>" for i in range(4000)) + "</article>"
    page = lxml_html.document_fromstring(html, parser=parser)
    text = " ".join(f"a a b{i}" for i in range(4000))
    split = headings_on_their_own_lines(page, text)
    assert len(evaluations) <= 1
    assert split.startswith("a\na b0\na\na b1\na\na b2")  # the leading headings are still split off


def test_broken_front_matter_is_a_one_line_reason_with_its_place():
    """PyYAML's own message spans several lines with a caret drawing; a CLI error is one line."""
    loaded = next(load_bytes("bad.md", b"---\ntitle: [unclosed\nsource: Daily\n---\n# Big news\n\nIt happened."))
    assert loaded.article is None and "\n" not in loaded.error
    assert loaded.error.startswith("invalid front matter:") and "line" in loaded.error and "column" in loaded.error


def test_thematic_breaks_around_markdown_are_not_front_matter():
    """"---" lines around text that is not a mapping are Markdown, not metadata: the text stays in the article."""
    text = b"---\n- first point\n- second point\n---\n# Big news\n\nIt happened."
    article = next(load_bytes("story.md", text)).article
    assert "first point" in article.text and article.title == "Big news"


@pytest.mark.parametrize("line, field, value", [
    ("title: 1984", "title", "1984"), ("published_at: 20240101", "published_at", "20240101"),
    ("id: 0123", "id", "0123"), ("title: 3.10", "title", "3.10"), ("title: yes", "title", "yes"),
    ("published_at: 2024-03-01", "published_at", "2024-03-01"),
])
def test_front_matter_values_are_taken_as_written(line, field, value):
    """YAML's typed reading refused `title: 1984` ("not a string"), made `id: 0123` the id "83" (octal) and
    `title: 3.10` "3.1"."""
    article = next(load_bytes("play.md", f"---\n{line}\n---\n\nThe novel returns to the stage.".encode())).article
    assert article is not None and getattr(article, field) == value


def test_control_characters_are_not_stored_and_a_text_of_only_them_is_empty():
    """A NUL pasted into a file was stored and quoted back; a page break is a line break."""
    from app.ingest.article import ArticleIn, normalise

    article = normalise(ArticleIn(id="nul", title="Head\x00line", text="abc\x00\x01\x02def\fnext page\x7f"))
    assert (article.title, article.text) == ("Headline", "abcdef\nnext page")
    assert next(load_bytes("only.txt", b"\x00\x01\x02 \n")).error
