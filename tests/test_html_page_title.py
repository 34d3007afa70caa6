"""An HTML page titled only by `<title>Site | Headline</title>` is titled with its headline, not its site
(trafilatura keeps the first part of a separated <title>), when the page shows which part is the site: its
og:site_name or its web address. Without that evidence the first part stays: "Headline - Site" is as common."""
from __future__ import annotations

import pytest

from app.ingest.loaders import load_bytes
from app.ingest.page_title import headline

BODY = "<p>" + "The council voted on Tuesday to approve the new harbour budget after a long debate. " * 5 + "</p>"
SITE = "<meta property='og:site_name' content='Daily Planet'>"
CANONICAL = "<link rel='canonical' href='https://www.dailyplanet.com/local/budget'>"


def title_of(head: str, article_start: str = "") -> str:
    html = f"<html><head>{head}</head><body><article>{article_start}{BODY}</article></body></html>"
    (record,) = load_bytes("page.html", html.encode())
    assert record.article is not None, record.error
    return record.article.title


@pytest.mark.parametrize("head", [
    f"<title>Daily Planet | Council approves harbour budget</title>{SITE}",
    f"<title>Daily Planet | Council approves harbour budget</title>{CANONICAL}",
    f"<title>Daily Planet - Council approves harbour budget</title>{CANONICAL}",
    f"<title>Daily Planet — Council approves harbour budget</title>{SITE}",
    f"<title>Daily Planet | Local | Council approves harbour budget</title>{SITE}",
    "<title>Council approves harbour budget | Daily Planet</title>",
])
def test_the_headline_part_of_a_separated_title_is_the_title(head):
    assert title_of(head) == "Council approves harbour budget"


def test_without_evidence_of_the_site_the_first_part_stays():
    assert title_of("<title>Daily Planet | Council approves harbour budget</title>") == "Daily Planet"
    assert title_of("<title>Inflation cools - The New York Times</title>") == "Inflation cools"


def test_an_og_title_that_names_its_site_too_loses_the_site():
    head = "<title>x</title><meta property='og:title' content='Senate votes on aid bill | Reuters'>"
    assert title_of(head + "<meta property='og:site_name' content='Reuters'>") == "Senate votes on aid bill"
    assert title_of(head + "<link rel='canonical' href='https://www.reuters.com/world/aid'>") == "Senate votes on aid bill"
    assert title_of(head) == "Senate votes on aid bill | Reuters"  # no evidence which part is the site
    dash = "<meta property='og:title' content='Fed raises rates - again'><meta property='og:site_name' content='again'>"
    assert title_of("<title>x</title>" + dash) == "Fed raises rates - again"  # " - " is no site separator here


def test_a_page_that_names_its_title_keeps_it():
    head = f"<title>Daily Planet | Council approves harbour budget</title>{SITE}<meta property='og:title' content='Budget passes'>"
    assert title_of(head) == "Budget passes"
    assert title_of("<title>Just one title here</title>") == "Just one title here"


def test_the_site_is_read_from_the_address_not_from_a_headline_that_opens_with_it():
    url = "https://www.reuters.com/world/poll"
    assert headline("Reuters", "Reuters | Fed raises rates - again", url=url) == "Fed raises rates - again"
    assert headline("BBC News", "BBC News - Storm hits the coast", url="https://www.bbc.co.uk/news/1") == \
        "Storm hits the coast"
    assert headline("Reuters poll shows rates rising", "Reuters poll shows rates rising | Reuters", url=url) == \
        "Reuters poll shows rates rising"
    assert headline("The Guardian", "The Guardian | Storm hits", url="https://www.theguardian.com/x") == "Storm hits"
    # a headline that opens with the site's name is not the site when a part is the name itself
    assert headline("Apple", "Apple | Apple unveils iPhone", url="https://www.apple.com/newsroom/1") == \
        "Apple unveils iPhone"
