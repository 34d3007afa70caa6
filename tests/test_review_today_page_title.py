"""Review of b354639 (a '<title>Site | Headline</title>' page titled with the headline): the part choice overrode
the page's own og:title when that title is also a part of <title>, and cut a headline that holds the weaker
separator itself ("Fed raises rates - again - Reuters" became "Fed raises rates")."""
from __future__ import annotations

import pytest

from app.ingest.loaders import load_bytes

BODY = "<p>" + "The council voted on Tuesday to approve the new harbour budget after a long debate. " * 5 + "</p>"


def title_of(head: str) -> str:
    html = f"<html><head>{head}</head><body><article>{BODY}</article></body></html>"
    (record,) = load_bytes("page.html", html.encode())
    assert record.article is not None, record.error
    return record.article.title


@pytest.mark.parametrize("head, title", [
    ("<title>Budget passes | Daily Planet Online</title><meta property='og:title' content='Budget passes'>",
     "Budget passes"),
    ("<title>Inflation cools - The New York Times</title><meta property='og:title' content='Inflation cools'>",
     "Inflation cools"),
    ("<title>Inflation cools - The New York Times</title><meta name='twitter:title' content='Inflation cools'>",
     "Inflation cools"),
])
def test_an_og_title_that_is_also_a_part_of_the_title_element_is_kept(head, title):
    assert title_of(head) == title  # was the site's name: the part with more words


@pytest.mark.parametrize("head, title", [
    ("<title>Fed raises rates - again - Reuters</title>", "Fed raises rates - again"),
    ("<title>Ukraine war - latest news - BBC News</title>", "Ukraine war - latest news"),
])
def test_a_headline_holding_the_separator_is_not_cut(head, title):
    assert title_of(head) == title  # was "Fed raises rates", "Ukraine war"


def test_a_short_headline_before_a_longer_site_name_without_og_site_name():
    """No evidence that the first part is the site: it stays (the most-words rule titled this with the site)."""
    assert title_of("<title>Inflation cools - The New York Times</title>") == "Inflation cools"
