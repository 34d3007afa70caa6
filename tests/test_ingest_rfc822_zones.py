"""email.utils reads a zone name RFC 822 does not list as no zone, and a time without a zone is taken as UTC: a feed's
"12:00 CEST" was stored as 12:00 UTC, two hours late. Such a date is refused, naming the zone; the zones RFC 822 names
and numeric offsets are read as before. Found by a bug hunt, 2026-11-29."""
from __future__ import annotations

import pytest

from app.ingest.article import InvalidArticle, parse_published


@pytest.mark.parametrize("zone", ["CEST", "BST", "IST"])
def test_a_zone_rfc_822_does_not_name_is_refused_in_words(zone):
    with pytest.raises(InvalidArticle, match=f"time zone '{zone}'.*give an offset"):
        parse_published(f"Sat, 04 May 2024 12:00:00 {zone}")


@pytest.mark.parametrize("text, utc", [
    ("Sat, 04 May 2024 12:00:00 GMT", "2024-05-04T12:00:00+00:00"),
    ("Sat, 04 May 2024 12:00:00 EDT", "2024-05-04T16:00:00+00:00"),
    ("Sat, 04 May 2024 12:00:00 +0200", "2024-05-04T10:00:00+00:00"),
])
def test_named_zones_and_offsets_are_read(text, utc):
    assert parse_published(text).isoformat() == utc


@pytest.mark.parametrize("text, utc", [
    ("September 11, 2023 10:00 PM", "2023-09-11T22:00:00+00:00"),
    ("Mon, 11 Sep 2023 10:00 AM", "2023-09-11T10:00:00+00:00"),
    ("Mon, 11 Sep 2023 10:00:00 PM", "2023-09-11T22:00:00+00:00"),
])
def test_a_12_hour_time_is_read_on_its_clock(text, utc):
    """email.utils ignored "PM" (10:00 PM stored as 10:00), and the zone rule read "PM" as a zone (a review finding)."""
    assert parse_published(text).isoformat() == utc


def test_a_12_hour_time_in_another_form_is_refused_not_misread():
    with pytest.raises(InvalidArticle, match="12-hour time"):
        parse_published("Mon, 11 Sep 2023 10:00:00 PM PST")
