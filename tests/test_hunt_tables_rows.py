"""HTML data tables are stored one line per row ("Pos: 2; Team: Man. City; Pts: 46."). Downstream: a cell ending in an
abbreviation ("Man. City", "Lib. Dem.") cut the row in two sentences, so /v1/ask quoted "City; P: 20; … Pts: 46."
without the team; and an article summary took a results table's rows in place of the article's sentences."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.text import sentence_spans

# The fix found with these tests (app.text: a row's cell ending in an abbreviation does not end its sentence) changed
# 41 sentence splits of the RealTimeQA corpus's prose, among them a wrong merge ("Three words: Pure. Raw."): not
# shipped without a measurement of what it does to answers.
_SPLIT_FIX = "a cell ending in an abbreviation ends the row's sentence; the fix changed 41 prose splits (not measured)"


def _sentences(text: str) -> list[str]:
    return [text[s.start:s.end] for s in sentence_spans(text)]


@pytest.mark.xfail(strict=True, reason=_SPLIT_FIX)
def test_a_row_with_an_abbreviated_cell_is_one_sentence():
    for row in ("Pos: 2; Team: Man. City; P: 20; GD: +30; Pts: 46.",
                "No.: 1; Name: John Smith; Club: Man. Utd.",
                "Party: Lib. Dem.; Leader: Ed Davey; Seats: 72.",
                "Man. City; P: 20; Pts: 46."):
        assert _sentences(row) == [row]


def test_prose_is_still_split():
    assert _sentences("He left at noon. Fans cheered; Arsenal: champions.") == [
        "He left at noon.", "Fans cheered; Arsenal: champions."]
    assert _sentences("Update: Police said. He left.") == ["Update: Police said.", "He left."]


LEAGUE = ("<html><head><title>Arsenal top the league</title></head><body><article>"
          "<p>Arsenal moved to the top of the Premier League on Sunday after a 3-1 win over Chelsea.</p>"
          "<p>Manchester City dropped points at Newcastle, drawing 2-2 in the late game.</p>"
          "<table><tr><th>Pos</th><th>Team</th><th>P</th><th>GD</th><th>Pts</th></tr>"
          "<tr><td>1</td><td>Arsenal</td><td>20</td><td>+28</td><td>48</td></tr>"
          "<tr><td>2</td><td>Man. City</td><td>20</td><td>+30</td><td>46</td></tr></table>"
          "<p>Arsenal manager Mikel Arteta said his side would not get carried away.</p></article></body></html>")

PROSE = ["Labour won the general election with a landslide majority, final results showed on Friday.",
         "Keir Starmer will become prime minister after the party secured its largest win since 1997.",
         "The Conservatives lost more than 250 seats, including those of several cabinet ministers.",
         "Rishi Sunak conceded defeat in a speech in his Richmond constituency early on Friday.",
         "Turnout fell to 59.7 percent, the lowest level since 2001.",
         "Starmer is expected to name his cabinet on Saturday."]
ROWS = [("Labour", "412", "+211"), ("Conservative", "121", "-251"), ("Liberal Democrats", "72", "+64"),
        ("SNP", "9", "-39"), ("Sinn Féin", "7", "0"), ("Reform UK", "5", "+5"), ("DUP", "5", "-3"),
        ("Green", "4", "+3"), ("Plaid Cymru", "4", "+2")]
ELECTION = ("<html><head><title>Labour wins landslide</title></head><body><article>"
            + "".join(f"<p>{s}</p>" for s in PROSE[:3])
            + "<table><caption>Results</caption><tr><th>Party</th><th>Seats</th><th>+/-</th></tr>"
            + "".join(f"<tr><td>{a}</td><td>{b}</td><td>{c}</td></tr>" for a, b, c in ROWS) + "</table>"
            + "".join(f"<p>{s}</p>" for s in PROSE[3:]) + "</article></body></html>")


def _client(tmp_path, **pages):
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data")))
    files = [("files", (f"{name}.html", html.encode(), "text/html")) for name, html in pages.items()]
    return client, files


@pytest.mark.xfail(strict=True, reason=_SPLIT_FIX)
def test_ask_quotes_the_whole_row_of_an_abbreviated_team(tmp_path):
    client, files = _client(tmp_path, league=LEAGUE)
    with client:
        assert client.post("/v1/articles", files=files).status_code == 201
        text = client.get("/v1/articles/league").json()["text"]
        answer = client.post("/v1/ask", json={"question": "How many points does Man. City have?",
                                              "filters": {"article_ids": ["league"]}}).json()
    assert answer["answerable"], answer
    quotes = [c["quote"] for c in answer["citations"]]
    for c in answer["citations"]:
        assert text[c["char_start"]:c["char_end"]] == c["quote"]
    assert "Pos: 2; Team: Man. City; P: 20; GD: +30; Pts: 46." in quotes, quotes
    assert not any(q.startswith("City;") for q in quotes), quotes


def test_an_article_summary_is_the_articles_sentences_not_its_table_rows(tmp_path):
    client, files = _client(tmp_path, election=ELECTION)
    with client:
        assert client.post("/v1/articles", files=files).status_code == 201
        summary = client.post("/v1/summarize", json={"article_ids": ["election"], "max_words": 80}).json()
    quotes = [c["quote"] for c in summary["citations"]]
    assert not any(q.startswith("Party: ") for q in quotes), summary["summary"]
    assert "Rishi Sunak conceded defeat in a speech in his Richmond constituency early on Friday." in quotes
