"""Markdown to the plain text an article is stored, quoted and cited as.

Markup kept in the stored text showed in every quote ("**Kim** pledged [full support](https://…)") and
split sentences at the wrong places; a reader opening a citation wants the words. Parsed with markdown-it-py
(CommonMark), so emphasis, links, images, headings, escapes and code are read as Markdown reads them.
"""

from __future__ import annotations

import re
from functools import lru_cache

_BLOCK_ENDS = frozenset(("paragraph_close", "heading_close", "fence", "code_block"))


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def _html_text(html: str) -> str:
    """The words of an HTML block (a <div> or <p> the writer typed into the Markdown), scripts and styles left out:
    dropping the block lost its sentences."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(f"<div>{html}</div>")
    except Exception:  # noqa: BLE001 - lxml raises several kinds on junk; junk carries no words
        return ""
    for element in tree.xpath("//script|//style"):
        element.drop_tree()
    for element in tree.iter(*_HTML_BREAKS):  # "<p>One.</p><p>Two.</p>" read "One.Two."
        element.text = " " + (element.text or "")
        element.tail = " " + (element.tail or "")
    return " ".join(tree.text_content().split())


# HTML elements whose words a browser shows apart from the words around them
_HTML_BREAKS = ("br", "p", "div", "li", "dt", "dd", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
                "pre", "ul", "ol", "table", "section", "article", "header", "footer", "aside", "figure", "figcaption",
                "hr")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _inline_text(children) -> str:
    out: list[str] = []
    for token in children or []:
        if token.type in ("text", "code_inline"):
            out.append(token.content)
        elif token.type == "softbreak":
            out.append(" ")  # a paragraph wrapped at 80 columns is one paragraph
        elif token.type == "hardbreak" or token.type == "html_inline" and _BR.fullmatch(token.content.strip()):
            out.append("\n")  # "Line one.<br>Line two." read "Line one.Line two."
        # emphasis and link markers, images and inline HTML carry no words of the article
    return "".join(out)


def markdown_title(markdown: str) -> str | None:
    """The words of the first level-1 heading ("# Big *news* #" or a setext "===" heading), as Markdown reads it:
    a line of a code block that starts with "# " is no heading, and a closing "#" is no word."""
    tokens = _parser().parse(markdown)
    for index, token in enumerate(tokens[:-1]):
        if token.type == "heading_open" and token.tag == "h1":
            return _inline_text(tokens[index + 1].children).strip() or None
    return None


def markdown_to_text(markdown: str) -> str:
    """Paragraphs and headings separated by blank lines, list items as "- item" (or "1. item") lines, the
    words of links and emphasis without their markup, code as written; images and raw HTML dropped."""
    tokens = _parser().parse(markdown)
    blocks: list[tuple[str, int]] = []  # (text, the list or table it is a line of; 0: a block of its own)
    line: list[str] = []
    lists: list[list] = []  # per open list: [ordered, next number]
    row: list[str] | None = None  # the cells of a table row being read
    group = 0  # numbers each table and each outermost list: their lines are joined by one newline
    for token in tokens:
        if token.type == "table_open" or (token.type in ("bullet_list_open", "ordered_list_open") and not lists):
            group += 1
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close":
            if row and any(cell.strip() for cell in row):
                blocks.append((" | ".join(cell.strip() for cell in row), group))
            row = None
        elif token.type == "inline" and row is not None:
            row.append(_inline_text(token.children))
        elif token.type == "html_block":
            text = _html_text(token.content)
            if text:
                blocks.append((text, 0))
        elif token.type == "list_item_close" and line and not "".join(line).strip(" -.0123456789"):
            line = []  # an empty item: its marker alone is no text
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            start = token.attrGet("start")
            lists.append([token.type == "ordered_list_open", int(start) if start is not None else 1])
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif token.type == "list_item_open" and lists:
            ordered, number = lists[-1]
            line.append("  " * (len(lists) - 1) + (f"{number}. " if ordered else "- "))
            lists[-1][1] += 1
        elif token.type == "inline":
            line.append(_inline_text(token.children))
        elif token.type in ("fence", "code_block"):
            line.append(token.content.rstrip("\n"))
        if token.type in _BLOCK_ENDS and line:
            text = "".join(line).rstrip()
            if text.strip():
                blocks.append((text, group if lists else 0))
            line = []
    out = ""
    for i, (text, item) in enumerate(blocks):
        out += ("\n" if item and blocks[i - 1][1] == item else "\n\n") + text if i else text
    return out
