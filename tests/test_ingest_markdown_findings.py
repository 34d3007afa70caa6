"""Markdown as writers and static-site generators save it: HTML typed into the Markdown glued sentences together
("end.Start"), Hugo's TOML front matter was stored as the title and the first words of the text, and the title was
read from raw lines (a code block's "# install", a heading's closing "#")."""

from __future__ import annotations

from app.ingest.loaders import load_bytes
from app.ingest.markdown_text import markdown_to_text

BODY = "The island ferry resumed service on Saturday.\n\nOperators said the first sailing left at 7am."


def test_an_inline_br_separates_the_lines_it_breaks():
    assert markdown_to_text("The ferry sailed at 7am.<br>The next one left at noon.") == \
        "The ferry sailed at 7am.\nThe next one left at noon."


def test_html_block_paragraphs_and_list_items_are_not_glued():
    text = markdown_to_text("<p>The ferry sailed at 7am.</p><p>The next one left at noon.</p>")
    assert "7am.The" not in text and "The ferry sailed at 7am." in text and "The next one left at noon." in text
    items = markdown_to_text("<ul><li>First point.</li><li>Second point.</li></ul>")
    assert "point.Second" not in items
    cells = markdown_to_text("<table><tr><td>North</td><td>1,204</td></tr></table>")
    assert "North1,204" not in cells


def test_toml_front_matter_is_front_matter():
    raw = f'+++\ntitle = "Ferry returns"\ndate = 2024-05-04\n+++\n{BODY}'.encode()
    record = next(load_bytes("ferry.md", raw))
    assert record.error is None
    assert record.article.title == "Ferry returns" and record.article.published_at == "2024-05-04"
    assert record.article.text == "The island ferry resumed service on Saturday.\n\nOperators said the first " \
                                  "sailing left at 7am."


def test_yaml_front_matter_with_a_trailing_space_or_a_dots_end_is_front_matter():
    """Jekyll and Pandoc read both: "--- " (an editor's trailing space) opens it, "..." may close it."""
    for raw in (f"--- \ntitle: Ferry returns\n---\n{BODY}", f"---\ntitle: Ferry returns\n...\n{BODY}"):
        article = next(load_bytes("ferry.md", raw.encode())).article
        assert article.title == "Ferry returns", raw
        assert not article.text.startswith("title:"), raw


def test_the_title_is_the_first_level_one_heading_as_markdown_reads_it():
    closed = next(load_bytes("a.md", f"# Ferry returns #\n\n{BODY}".encode())).article
    assert closed.title == "Ferry returns"
    after_code = next(load_bytes("b.md", f"```\n# install the app\n```\n\n# Ferry returns\n\n{BODY}".encode())).article
    assert after_code.title == "Ferry returns"
