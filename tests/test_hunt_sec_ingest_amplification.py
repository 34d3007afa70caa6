"""Security hunt, today's HTML and number code: inputs within the request limits that cost far more than their size.
(1) A data table's header names were repeated in every row's line without bound: 20 header cells of 4,000 characters
over 499 rows of "<td>x" turned a 132 KB page into 40 MB of article text (and its chunks and vectors).
(2) A <title> split into parts was compared with the extracted heading's parts by list scans: a 0.8 MB page took 4 s.
(3) The checker's number patterns backtracked quadratically on a long run of digits ("1.5" in evidence, a claim of "5"
and 20,000 digits: 4 s per check)."""
from __future__ import annotations

import time

from app.answer.alignment import missing_number_pieces
from app.ingest import loaders
from app.ingest.page_title import headline

_SENTENCE = "<p>This is a real sentence about a story here and more.</p>"


def _page_with_a_table(name_chars: int, rows: int = 499, columns: int = 20) -> str:
    head = "<tr>" + "".join(f"<th>{chr(65 + c)}{'n' * name_chars}</th>" for c in range(columns)) + "</tr>"
    body = ("<tr>" + "<td>x" * columns) * rows
    return f"<html><head><title>T</title></head><body>{_SENTENCE}<table>{head}{body}</table></body></html>"


def test_a_table_of_long_header_names_does_not_multiply_the_page():
    page = _page_with_a_table(4000)  # 132 KB
    record = loaders._html("x.html", "x", page)
    text = record.article.text if record.article else ""
    assert len(text) < 4 * len(page), f"{len(page)} bytes of HTML became {len(text)} characters of text"


def test_a_small_data_table_is_still_read_row_by_row():
    page = (f"<html><body>{_SENTENCE}<table><tr><th>Party</th><th>Seats</th></tr>"
            "<tr><td>Labour</td><td>412</td></tr><tr><td>Conservative</td><td>121</td></tr></table></body></html>")
    text = loaders._html("x.html", "x", page).article.text
    assert "Party: Labour; Seats: 412." in text and "Party: Conservative; Seats: 121." in text


def test_a_title_of_many_parts_is_not_quadratic():
    heading = " | ".join(["S"] + ["a"] * 2400)  # trafilatura keeps titles up to 10,000 characters
    title = " | ".join(["S", "a"] + ["b"] * 200_000)
    started = time.perf_counter()
    assert headline(heading, title, sitename="S") == "b"
    assert time.perf_counter() - started < 1.0  # 3.7 s before (list scans), a few ms with sets


def test_a_long_run_of_digits_in_a_claim_is_not_quadratic():
    claim = "It fell 5 percent to " + "1" * 20_000 + " and 1,1" + ",1" * 10_000 + " million."
    started = time.perf_counter()
    missing_number_pieces(claim, {"1.5"}, frozenset({"1", "5"}))
    assert time.perf_counter() - started < 0.5  # 5 s before (each start in the run scanned it to its end)


def test_the_number_patterns_still_read_amounts():
    assert missing_number_pieces("They lost 5 billion.", {"1.5"}, frozenset({"1", "5"})) == {"5"}
    assert missing_number_pieces("It cost 2 million.", {"2000000", "2.5"}, frozenset({"2", "5"})) == set()
    assert missing_number_pieces("It cost 1,5 million.", {"1500000", "1.5"}, frozenset({"1", "5"})) == set()
    assert missing_number_pieces("At 10:30 it began.", {"10.30"}, frozenset({"10", "30"})) == set()
