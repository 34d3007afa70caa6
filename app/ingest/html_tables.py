"""An HTML page's data tables as text a reader can quote: each row one line, its cells named by their column
("Party: Labour; Seats: 412."). trafilatura drops tables unless asked, and asked it also keeps the layout tables old
pages are built of, as rows of "| … |"; a data table is one with a header row of <th> cells, no table inside it,
and no role saying it is for layout."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")
_MAX_COLUMNS = 20  # wider is a grid of numbers no sentence reads well, or layout
_MAX_ROWS = 500  # a page's own data tables are far smaller; a huge one is not read row by row
# Each row repeats the header's names, so the lines can be far longer than the table: 20 header cells of 4,000
# characters over 499 rows of "<td>x" made 40 MB of text out of a 132 KB page. The lines of a page's tables may take
# a few times what their text and cells take in the page (a cell is at least "<td>" besides its text), and a little
# more; a table past that is left to the extractor, as a table of too many rows is.
_SPARE_CHARS = 20_000
_LINES_PER_PAGE_CHAR = 4
_CELL_MARKUP = 4


def _text(cell) -> str:
    return _SPACES.sub(" ", cell.text_content()).strip()


def _rows(table) -> list:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def _cells(row) -> list:
    return row.xpath("./th | ./td")


def _header(rows: list) -> tuple[int, list[str]] | None:
    """The index and names of the header row: the first row, all <th>, with a name in some cell."""
    if not rows:
        return None
    cells = _cells(rows[0])
    if not cells or any(cell.tag != "th" for cell in cells) or len(cells) > _MAX_COLUMNS:
        return None
    names = [_text(cell) for cell in cells]
    return (0, names) if any(names) else None


def row_line(names: list[str], values: list[str]) -> str:
    """One row as a line: "Party: Labour; Seats: 412." (a cell under an unnamed column stands on its own)."""
    parts = [f"{name}: {value}" if name else value for name, value in zip(names, values) if value]
    parts += [value for value in values[len(names):] if value]  # cells past the header's columns
    line = "; ".join(parts)
    return line if not line or line[-1] in ".!?" else line + "."


def _span(cell) -> int:
    try:
        return max(1, int(cell.get("colspan") or 1))
    except ValueError:
        return 1


def _row(names: list[str], cells: list) -> str:
    """A row's line, its cells placed under their columns: a cell spanning columns ("Total 650" across two) is
    named by none of them, and the cells after it by the columns they stand under."""
    placed_names, values, column = [], [], 0
    for cell in cells:
        span = _span(cell)
        placed_names.append(names[column] if span == 1 and column < len(names) else "")
        values.append(_text(cell))
        column += span
    return row_line(placed_names, values)


def tables_as_lines(page) -> int:
    """Replace each data table of ``page`` (an lxml tree, changed in place) by a paragraph per row, its caption
    first; layout tables are left for the extractor to drop. Returns how many tables were replaced."""
    from lxml import html as lxml_html

    replaced, budget = 0, _SPARE_CHARS
    for table in page.xpath("//table"):
        if table.xpath(".//table") or table.xpath("ancestor::table") or \
                (table.get("role") or "").lower() in ("presentation", "none"):
            continue
        rows = _rows(table)
        header = _header(rows)
        if header is None or len(rows) > _MAX_ROWS:
            continue
        _, names = header
        budget += _LINES_PER_PAGE_CHAR * (len(_text(table)) + _CELL_MARKUP * sum(len(_cells(row)) for row in rows))
        lines = [_text(caption) for caption in table.xpath("./caption")]
        used = sum(map(len, lines))
        for row in rows[1:]:
            lines.append(_row(names, _cells(row)))
            used += len(lines[-1])
            if used > budget:
                break
        if used > budget:
            continue
        budget -= used
        block = lxml_html.Element("div")
        for line in filter(None, lines):
            paragraph = lxml_html.Element("p")
            paragraph.text = line
            block.append(paragraph)
        tail, table.tail = table.tail, None
        table.getparent().replace(table, block)
        if tail and tail.strip():  # text after a table typed inside a <p> (the parser closes the <p> at the table):
            paragraph = lxml_html.Element("p")  # loose, it was dropped, or glued to the rows; a paragraph of its own
            paragraph.text = tail
            block.addnext(paragraph)
        elif tail:
            block.tail = tail
        for figure in block.iterancestors("figure"):  # WordPress's table block, the Guardian's, NYT's: <figure><table>
            figure.tag = "div"  # trafilatura drops a figure's text (an image's), and the table's rows went with it
        replaced += 1
    return replaced
