"""Markdown articles are stored as the words a reader sees, not their markup."""

from __future__ import annotations

from app.ingest.loaders import load_bytes
from app.ingest.markdown_text import markdown_to_text


def test_emphasis_links_images_and_escapes_leave_only_the_words():
    text = markdown_to_text("**Kim** pledged [full support](https://x.org/a) to Putin, who said \\*thanks\\*. "
                            "![a photo](kim.png)")
    assert text == "Kim pledged full support to Putin, who said *thanks*."


def test_headings_and_paragraphs_are_blocks_and_a_wrapped_paragraph_is_one_line():
    assert markdown_to_text("# Big news\n\nThe council voted\non Tuesday.\n\n## Next\n\nWork starts in May.") == \
        "Big news\n\nThe council voted on Tuesday.\n\nNext\n\nWork starts in May."


def test_list_items_keep_their_markers_one_a_line():
    """Bullet highlights stay bullets: the summariser reads "- …" lines as highlights."""
    assert markdown_to_text("Intro.\n\n- first point\n- second *point*\n  1. nested\n\nAfter.") == \
        "Intro.\n\n- first point\n- second point\n  1. nested\n\nAfter."


def test_text_that_only_looks_like_markup_stays():
    assert markdown_to_text("snake_case, 5*3 and a #hashtag stay.") == "snake_case, 5*3 and a #hashtag stay."


def test_a_markdown_file_is_stored_without_its_markup_and_keeps_its_title_and_front_matter():
    raw = b"---\nsource: Daily\n---\n# Big *news*\n\nThe **council** voted [to rebuild](https://e.org) the wall.\n"
    article = next(load_bytes("story.md", raw)).article
    assert article.title == "Big news" and article.source == "Daily"
    assert article.text == "Big news\n\nThe council voted to rebuild the wall."
