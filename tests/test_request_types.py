"""The article-id rule in words (ARTICLE_ID_RULE) says what the pattern (ARTICLE_ID_PATTERN) accepts: the CLI, the
HTTP API, the MCP server and ingest all give a user this one wording (they gave three different ones)."""

from __future__ import annotations

import re

import pytest

from app.request_types import ARTICLE_ID_PATTERN, ARTICLE_ID_RULE

ID = re.compile(ARTICLE_ID_PATTERN)


def test_the_rule_is_worded_once():
    assert ARTICLE_ID_RULE == ("1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-', "
                               "starting with a letter or digit")


@pytest.mark.parametrize("value", [
    "a", "Z", "7",                                  # 1 character
    "a" * 128, "a" + "-" * 127,                     # up to 128, and any of them after the first, even last
    "Story.2023_05:v1-final", "a:2023-17", "0.9",   # A-Z, a-z, 0-9, '.', '_', ':' and '-'
])
def test_what_the_rule_allows_the_pattern_accepts(value):
    assert ID.fullmatch(value)


@pytest.mark.parametrize("value", [
    "",                                             # not 1 to 128 characters
    "a" * 129,
    ".a", "_a", ":a", "-a",                         # not starting with a letter or digit
    "café", "Ａ", "٣", "ß",                          # letters and digits outside A-Z, a-z, 0-9
    "a b", "a/b", "a!", "a\n",                      # other characters
])
def test_what_the_rule_refuses_the_pattern_refuses(value):
    assert not ID.fullmatch(value)
