"""An HTML page's data tables are kept as quotable lines, one per row ("Party: Labour; Seats: 412."): trafilatura
dropped every table (or, on a short page, glued its cells into the next sentence), so "How many seats did Labour
win?" over an election page had nothing to quote. Layout tables (no header row of <th>, a table inside,
role="presentation") are left to trafilatura as before."""
from __future__ import annotations

from fastapi.testclient import TestClient
from trafilatura.utils import load_html

from app.config import Settings
from app.ingest.html_tables import row_line, tables_as_lines
from app.ingest.loaders import load_bytes
from app.main import create_app

BODY = "<p>" + "Labour won the general election on Thursday with a large majority, the final count showed. " * 2 + "</p>"
DATA = ("<table><caption>Seats won</caption><thead><tr><th>Party</th><th>Seats</th></tr></thead><tbody>"
        "<tr><td>Labour</td><td>412</td></tr><tr><td>Conservative</td><td>121</td></tr></tbody></table>")
LAYOUT = "<table><tr><td>Home News</td><td>Sport Weather</td></tr></table>"


def page(*parts: str) -> str:
    return ("<html><head><title>Election results</title></head><body><article>" + BODY + "".join(parts)
            + "<p>Turnout was 60 percent, officials said on Friday.</p></article></body></html>")


def text_of(html: str) -> str:
    (record,) = load_bytes("results.html", html.encode())
    assert record.article is not None, record.error
    return record.article.text


def test_a_data_table_becomes_one_line_per_row():
    text = text_of(page(DATA))
    assert "Seats won\nParty: Labour; Seats: 412.\nParty: Conservative; Seats: 121.\nTurnout" in text


def test_layout_tables_are_left_as_they_were():
    """No header row of <th>, a table inside, or role="presentation": not a data table; trafilatura handles it as
    before (on a short page it glues a table's text into the next sentence, which a data table no longer suffers)."""
    presentation = DATA.replace("<table>", "<table role='presentation'>")
    nested = DATA.replace("<td>412</td>", "<td><table><tr><th>x</th></tr><tr><td>412</td></tr></table></td>")
    for table in (LAYOUT, presentation, nested):
        assert tables_as_lines(load_html(page(table))) == 0
        assert "Labour; Seats" not in text_of(page(table))
    assert tables_as_lines(load_html(page(DATA, LAYOUT))) == 1
    glued = text_of(page(DATA.replace("<table>", "<table role='presentation'>")))
    assert "Conservative 121 Turnout" in glued  # what every table was on such a page


def test_a_cell_spanning_columns_is_named_by_none_of_them():
    table = ("<table><tr><th>Party</th><th>Seats</th><th>Change</th></tr><tr><td>Labour</td><td>412</td><td>+211</td>"
             "</tr><tr><td colspan='2'>Total 650</td><td>0</td></tr></table>")
    text = text_of(page(table))
    assert "Party: Labour; Seats: 412; Change: +211.\nTotal 650; Change: 0." in text


def test_row_line_names_each_cell_by_its_column():
    assert row_line(["Team", "", "Points"], ["Arsenal", "1st", "89"]) == "Team: Arsenal; 1st; Points: 89."
    assert row_line(["Team", "Points"], ["Arsenal", ""]) == "Team: Arsenal."
    assert row_line(["Team"], ["Arsenal", "89"]) == "Team: Arsenal; 89."
    assert row_line(["A", "B"], ["", ""]) == ""


def test_an_uploaded_page_reads_its_tables_as_the_cli_does(tmp_path):
    """Uploads are sanitised (nh3) before extraction: the table, its header and a layout role survive it."""
    settings = Settings(data_dir=tmp_path / "data")
    presentation = DATA.replace("<table>", "<table role='presentation'>").replace("Seats won", "Other seats")
    with TestClient(create_app(settings)) as client:
        files = [("files", ("results.html", page(DATA).encode(), "text/html")),
                 ("files", ("layout.html", page(presentation).encode(), "text/html"))]
        assert client.post("/v1/articles", files=files).status_code == 201
        assert client.get("/v1/articles/results").json()["text"] == text_of(page(DATA))
        assert client.get("/v1/articles/layout").json()["text"] == text_of(page(presentation))
        answer = client.post("/v1/ask", json={"question": "How many seats did Labour win?",
                                              "filters": {"article_ids": ["results"]}}).json()
    assert answer["answerable"] and "412" in answer["answer"], answer
    assert any("Seats: 412" in c["quote"] for c in answer["citations"])


def test_text_after_a_table_typed_inside_a_paragraph_is_kept_on_its_own_line():
    """<p>… <table>…</table> The Conservatives …</p><p>…</p>: the parser closes the <p> at the table, so the text after
    it is loose; it was dropped (a new-user walk: "How did the Conservatives do?" was refused), or on a page of one
    paragraph glued to the rows."""
    table = "<table><tr><th>Party</th><th>Seats</th></tr><tr><td>Labour</td><td>412</td></tr></table>"
    html = ("<html><head><title>Election results</title></head><body><h1>Labour wins a landslide</h1><p>Labour won the "
            f"general election on Thursday with a large majority, as shown below. {table} The Conservatives recorded "
            "their worst result in modern history.</p><p>Turnout was about 60 percent, officials said on Friday.</p>"
            "</body></html>")
    assert "shown below.\nParty: Labour; Seats: 412.\nThe Conservatives recorded their worst result in modern " \
           "history.\nTurnout" in text_of(html)
    one = ("<html><body><article><p>Labour won the general election on Friday with a large majority. "
           f"{table} The Conservatives won far fewer seats than in any election before.</p></article></body></html>")
    assert "majority.\nParty: Labour; Seats: 412.\nThe Conservatives won" in text_of(one)


def test_a_page_refused_for_no_article_text_is_reported_under_its_file_name():
    (record,) = load_bytes("home.html", b"<html><body><nav><a href='/'>News</a> <a href='/s'>Sport</a></nav></body></html>")
    assert record.article is None and record.article_id == "home" and "no article text" in record.error
