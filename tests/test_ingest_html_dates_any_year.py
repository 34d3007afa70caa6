"""An HTML page's own markup date was dropped (the article stored undated, without a word) when it fell outside
htmldate's default window: before 1995-01-01 (news archives) or after today (a JSON article with the same date is
stored, with the "dated after now" warning)."""

from __future__ import annotations

import pytest

from app.ingest.article import normalise
from app.ingest.loaders import load_bytes

_BODY = ("<article><p>The island ferry resumed service on Saturday after a three-day suspension caused by the storm."
         "</p><p>Operators said the first sailing left at 7am with about 200 passengers on board.</p><p>The council "
         "said it would review the timetable next week, according to a statement.</p></article>")


@pytest.mark.parametrize(("markup", "stored"), [
    ('<meta property="article:published_time" content="1994-05-04T09:30:00Z">', "1994-05-04T09:30:00+00:00"),
    ('<meta property="article:published_time" content="1969-07-21">', "1969-07-21"),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "1989-11-09"}</script>',
     "1989-11-09"),
    ('<meta property="article:published_time" content="2099-05-04T09:30:00Z">', "2099-05-04T09:30:00+00:00"),
    ('<script type="application/ld+json">{"@graph": [{"@type": "WebSite", "name": "Archive"}, '
     '{"@type": "NewsArticle", "datePublished": "1969-07-21T20:17:00Z"}]}</script>', "1969-07-21T20:17:00+00:00"),
    ('<time datetime="1969-07-21" pubdate>21 July 1969</time>', "1969-07-21"),
])
def test_html_keeps_a_markup_date_outside_htmldates_default_window(markup, stored):
    html = f"<html><head><title>Ferry</title>{markup}</head><body>{_BODY}</body></html>".encode()
    record = next(load_bytes("ferry.html", html))
    assert record.error is None
    assert normalise(record.article).published_at == stored


def test_a_json_article_with_the_same_dates_is_dated():
    """The same dates in a JSON record are stored (the contrast the HTML loader breaks)."""
    for date in ("1994-05-04T09:30:00Z", "2099-05-04T09:30:00Z"):
        record = next(load_bytes("a.json", f'{{"id": "a", "text": "t", "published_at": "{date}"}}'.encode()))
        assert normalise(record.article).published_at == date.replace("Z", "+00:00")
