"""An HTML page's headline when its only title is the `<title>` element, which sites write as "Site | Headline"
as well as "Headline | Site": trafilatura keeps the first part, so such a page was titled with its site name."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Strongest separator first: "Fed raises rates - again | Reuters" splits at the bar only.
_SEPARATORS = (" | ", " — ", " – ", " - ", " :: ", " · ", " » ")
_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def title_element_text(page) -> str:
    """The text of the page's first `<title>`, spaces collapsed ("" without one)."""
    element = page.find(".//title") if page is not None else None
    return _clean(element.text_content()) if element is not None else ""


def stated_titles(page) -> frozenset[str]:
    """The titles a page's metadata states besides `<title>` (og:title, twitter:title), casefolded: trafilatura's
    title when it is one of these is what the page says it is, even when it is also a part of `<title>`."""
    if page is None:
        return frozenset()
    found = page.xpath("//meta[@property='og:title' or @name='og:title' or @name='twitter:title' or "
                       "@property='twitter:title']/@content")
    return frozenset(_clean(str(title)).casefold() for title in found if _clean(str(title)))


def _words(part: str) -> int:
    return sum(1 for word in part.split() if any(ch.isalnum() for ch in word))


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_HOST_WORDS = frozenset("www m amp com org net co uk us ca au de fr in news".split())


def _site_match(part: str, sitename: str, url: str) -> int:
    """How surely ``part`` of a `<title>` is the site's name: 2, it is the page's og:site_name or its web address's
    name ("Daily Planet" of dailyplanet.com, "The Guardian" of theguardian.com); 1, a short part that opens with the
    address's name ("BBC News" of bbc.co.uk); 0, neither."""
    if sitename and part.casefold() == _clean(sitename).casefold():
        return 2
    key = _NOT_ALNUM.sub("", part.casefold())
    host = urlsplit(url).hostname or "" if url.startswith(("http://", "https://")) else ""
    labels = [label for label in host.split(".") if label not in _HOST_WORDS]
    if not key:
        return 0
    if any(key in (label, "the" + label) for label in labels):
        return 2
    return int(any(key.startswith(label) and len(label) >= 3 and _words(part) <= 3 for label in labels))


def _site_parts(parts: list[str], sitename: str, url: str) -> set[str]:
    """The parts that are the site's name: the sure ones when any ("Apple" of "Apple | Apple unveils iPhone" on
    apple.com, not the headline that opens with it), else the short ones opening with the address's name."""
    match = {part: _site_match(part, sitename, url) for part in parts}
    best = max(match.values(), default=0)
    return {part for part, level in match.items() if level and level == best}


def _without_site(title: str, sitename: str, url: str) -> str:
    """An og:title that names its site too ("Senate votes on aid bill | Reuters" on reuters.com) without that part,
    when the part is surely the site (its og:site_name or its address's name); else as it is."""
    for separator in _SEPARATORS[:3]:  # a bar or a long dash: a hyphen " - " is as often inside a headline
        if separator in title:
            parts = [part.strip() for part in title.split(separator) if part.strip()]
            if len(parts) > 1 and _site_match(parts[-1], sitename, url) == 2:
                return separator.join(parts[:-1])
            if len(parts) > 1 and _site_match(parts[0], sitename, url) == 2:
                return separator.join(parts[1:])
            return title
    return title


def headline(extracted: str, title_element: str, sitename: str = "", stated: frozenset[str] = frozenset(),
             url: str = "") -> str:
    """``extracted`` (trafilatura's title, the first part of a separated `<title>`), or, when that part is shown to be
    the site's name (``sitename``, the page's og:site_name, or ``url``'s host name), the other part with the most
    words. Without such evidence the first part stays: "Inflation cools - The New York Times" is as common a
    layout as "Daily Planet | Council approves budget", and word counts cannot tell the two apart."""
    extracted = _clean(extracted)
    if extracted.casefold() in stated:
        return _without_site(extracted, sitename, url)  # the page's og:title: the page said what it is
    for separator in _SEPARATORS:
        if separator not in title_element:
            continue
        parts = [part.strip() for part in title_element.split(separator) if part.strip()]
        # sets: a <title> of 200,000 parts against a heading of 2,400 was 4 s of list scans (quadratic)
        pieces = {piece.strip() for piece in extracted.split(separator)}
        if not pieces <= set(parts):
            return extracted  # an og:title or a heading, not a part of <title>: the page said what it is
        site = _site_parts(list(dict.fromkeys(parts)), sitename, url)
        if not site & pieces:
            return extracted
        others = [part for part in parts if part not in pieces and part not in site]
        return max(others, key=_words) if others else extracted
    return extracted
