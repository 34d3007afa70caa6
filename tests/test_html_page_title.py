"""An HTML page titled only by `<title>Site | Headline</title>` is titled with its headline, not its site
(trafilatura keeps the first part of a separated <title>)."""
from __future__ import annotations

import pytest

from app.ingest.loaders import load_bytes
from app.ingest.page_title import headline

BODY = "<p>" + "The council voted on Tuesday to approve the new harbour budget after a long debate. " * 5 + "</p>"


def title_of(head: str, article_start: str = "") -> str:
    html = f"<html><head>{head}</head><body><article>{article_start}{BODY}</article></body></html>"
    (record,) = load_bytes("page.html", html.encode())
    assert record.article is not None, record.error
    return record.article.title


@pytest.mark.parametrize("head", [
    "<title>Daily Planet | Council approves harbour budget</title>",
    "<title>Council approves harbour budget | Daily Planet</title>",
    "<title>Daily Planet - Council approves harbour budget</title>",
    "<title>Daily Planet — Council approves harbour budget</title>",
    "<title>Daily Planet | Local | Council approves harbour budget</title>",
    "<title>Daily Planet | Council approves harbour budget</title><meta property='og:site_name' content='Daily Planet'>",
])
def test_the_headline_part_of_a_separated_title_is_the_title(head):
    assert title_of(head) == "Council approves harbour budget"


def test_a_page_that_names_its_title_keeps_it():
    head = "<title>Daily Planet | Council approves harbour budget</title><meta property='og:title' content='Budget passes'>"
    assert title_of(head) == "Budget passes"
    assert title_of("<title>Just one title here</title>") == "Just one title here"


def test_the_site_name_loses_even_when_it_is_the_longer_part():
    assert headline("The Daily Planet Of Metropolis", "The Daily Planet Of Metropolis | Budget passes",
                    "The Daily Planet of Metropolis") == "Budget passes"
    # without a site name the longer part wins: a headline is longer than a site's name
    assert headline("The Daily Planet Of Metropolis", "The Daily Planet Of Metropolis | Budget passes") == \
        "The Daily Planet Of Metropolis"


def test_a_dash_inside_the_headline_is_not_a_separator_when_a_bar_is():
    assert headline("Reuters", "Reuters | Fed raises rates - again") == "Fed raises rates - again"
