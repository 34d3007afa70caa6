"""An HTML page's headline when its only title is the `<title>` element, which sites write as "Site | Headline"
as often as "Headline | Site": trafilatura keeps the first part, so such a page was titled with its site name."""

from __future__ import annotations

import re

# Strongest separator first: "Fed raises rates - again | Reuters" splits at the bar only.
_SEPARATORS = (" | ", " — ", " – ", " - ", " :: ", " · ", " » ")
_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def title_element_text(page) -> str:
    """The text of the page's first `<title>`, spaces collapsed ("" without one)."""
    element = page.find(".//title") if page is not None else None
    return _clean(element.text_content()) if element is not None else ""


def headline(extracted: str, title_element: str, sitename: str = "") -> str:
    """``extracted`` (trafilatura's title), or, when it is parts of a separated `<title>`, the one part that is the
    headline: not the site's name (``sitename`` when the page names it), else the one with the most words (a
    headline is longer than a site's name; the first such part on a tie)."""
    extracted = _clean(extracted)
    for separator in _SEPARATORS:
        if separator not in title_element:
            continue
        parts = [part.strip() for part in title_element.split(separator) if part.strip()]
        if not all(piece.strip() in parts for piece in extracted.split(separator)):
            return extracted  # an og:title or a heading, not a part of <title>: the page said what it is
        site = _clean(sitename).casefold()
        candidates = [part for part in parts if part.casefold() != site] or parts
        return max(candidates, key=lambda part: len(part.split()))
    return extracted
