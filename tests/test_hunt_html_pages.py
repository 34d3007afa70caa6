"""Real-world news pages as the CLI reads them and as an upload stores them.

- An upload is sanitised (nh3) before extraction, which dropped every id, itemprop and style: trafilatura reads those
  to leave out cookie banners (id="cookie-notice"), newsletter boxes, readers' comments (id="comments"), related
  links, footers and hidden text, so the upload stored them as article sentences the CLI left out.
- The sanitiser dropped <form> with its content: an ASP.NET WebForms page wraps the whole page in one <form>, and its
  upload was refused as "no article text found".
- A data table inside a <figure> (WordPress's table block, the Guardian's and NYT's tables) lost every row: trafilatura
  drops a figure's text.
- A page whose canonical address carries its date (/2024/02/20/, WordPress and CNN) was stored at midnight: htmldate
  reads the address before the tags and <time> that state the time of day.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.ingest.article import parse_published
from app.ingest.loaders import load_path
from app.main import create_app

ARTICLE = ("<p>The new harbour tunnel opened to traffic on Monday morning after six years of construction and a budget "
           "overrun of 40 percent.</p><p>About 30,000 vehicles a day are expected to use the tunnel, cutting journey "
           "times between the port and the city centre by 15 minutes.</p><p>Mayor Linda Cho cut the ribbon at a "
           "ceremony attended by several hundred residents.</p>")
BOILERPLATE = {
    "cookie": '<div id="cookie-notice"><p>This website uses cookies to ensure you get the best experience on our '
              'website and for analytics.</p></div>',
    "newsletter": '<div id="newsletter"><p>Sign up to our free newsletter and get the latest local news delivered '
                  'straight to your inbox every day.</p></div>',
    "comments": '<div id="comments"><p>What a waste of money, the ferry was perfectly fine for everyone in town.</p>'
                '</div>',
    "related": '<div id="related-articles"><p>Ferry operator announces job cuts after tunnel opening next month.</p>'
               '</div>',
    "hidden": '<div style="display: none"><p>Please enable JavaScript in your browser to view the interactive map of '
              'the new routes.</p></div>',
    "popular": '<div data-component="MostPopularStories"><p>Police appeal for witnesses after a crash on the ring road '
               'on Sunday night.</p></div>',
}
ID_PAGE = ('<!DOCTYPE html><html lang="en"><head><title>Harbour tunnel opens to traffic</title>'
           '<meta property="og:site_name" content="Coast Courier"></head><body>' + BOILERPLATE["cookie"]
           + '<div id="article"><h1>Harbour tunnel opens to traffic</h1>' + ARTICLE + BOILERPLATE["hidden"] + '</div>'
           + BOILERPLATE["newsletter"] + BOILERPLATE["comments"] + BOILERPLATE["related"] + BOILERPLATE["popular"]
           + '</body></html>')
ITEMPROP_PAGE = ('<html><head><title>Harbour tunnel opens</title></head><body><div class="wrapper"><div class="promo">'
                 '<p>Subscribe today for unlimited access to award-winning journalism from just one dollar a week.</p>'
                 '</div><div itemprop="articleBody">' + ARTICLE + '</div></div></body></html>')
FORM_PAGE = ('<!DOCTYPE html><html><head><title>County approves new jail contract - Prairie Herald</title></head><body>'
             '<form name="aspnetForm" method="post" action="./story.aspx?id=88213" id="aspnetForm">'
             '<input type="hidden" name="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRk" />'
             '<div id="ctl00_ContentPlaceHolder1_pnlStory" class="story"><h1>County approves new jail contract</h1>'
             '<p>County commissioners voted 3-0 on Monday to approve a five-year, $8.2 million contract with a private '
             'company to provide medical care at the county jail.</p><p>The contract replaces an agreement that expired '
             'in January, Sheriff Dale Morgan said.</p></div><button>Search</button></form></body></html>')
TABLE = ('<table class="has-fixed-layout"><caption>Top four</caption><thead><tr><th>Pos</th><th>Team</th><th>Pts</th>'
         '</tr></thead><tbody><tr><td>1</td><td>Manchester City</td><td>91</td></tr><tr><td>2</td><td>Arsenal</td>'
         '<td>89</td></tr><tr><td>3</td><td>Liverpool</td><td>82</td></tr></tbody></table>')
FIGURE_TABLE_PAGE = ('<!DOCTYPE html><html><head><title>Premier League: final table 2023-24 | Sports Desk</title>'
                     '<meta property="og:site_name" content="Sports Desk"></head><body><article>'
                     '<h1>Premier League: final table 2023-24</h1><p>Manchester City won a record fourth consecutive '
                     'Premier League title on the final day of the season, beating West Ham 3-1.</p>'
                     '<figure class="wp-block-table">' + TABLE + '<figcaption>Source: Premier League</figcaption>'
                     '</figure><p>Arsenal finished two points behind in second place, the closest they have come to '
                     'the title in 20 years.</p></article></body></html>')
WORDPRESS_PAGE = ('<!DOCTYPE html><html><head><title>Council approves library budget &#8211; Millbrook Gazette</title>'
                  '<link rel="canonical" href="https://millbrookgazette.com/2024/02/20/council-approves-library-budget/">'
                  '</head><body><main><article><header class="entry-header"><h1 class="entry-title">Council approves '
                  'library budget</h1><div class="entry-meta"><span class="posted-on">Posted on <time class="entry-date '
                  'published" datetime="2024-02-20T22:30:00-05:00">February 20, 2024</time></span></div></header>'
                  '<div class="entry-content"><p>The town council voted 5-2 on Tuesday night to approve a $2.4 million '
                  'budget for the new public library on Elm Street.</p></div></article></main></body></html>')
CNN_PAGE = ('<!DOCTYPE html><html><head><title>Ship strikes Baltimore bridge | CNN</title>'
            '<meta property="og:site_name" content="CNN"><meta name="pubdate" content="2024-03-26T12:00:00Z">'
            '<link rel="canonical" href="https://www.cnn.com/2024/03/26/us/baltimore-bridge-collapse/index.html">'
            '</head><body><article><h1>Ship strikes Baltimore bridge</h1><p>The search for six construction workers '
            'missing after a cargo ship struck the Francis Scott Key Bridge has been suspended, officials said.</p>'
            '</article></body></html>')
PAGES = {"tunnel": ID_PAGE, "tunnel-itemprop": ITEMPROP_PAGE, "jail": FORM_PAGE, "table": FIGURE_TABLE_PAGE,
         "library": WORDPRESS_PAGE, "bridge": CNN_PAGE}


def cli_article(tmp_path: Path, name: str, html: str):
    """The article `citewire ingest FILE` stores for the page."""
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    (record,) = load_path(path)
    assert record.article is not None, record.error
    return record.article


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory):
    """Every page uploaded once (multipart, as a browser or curl sends it) and read back with GET."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("hunt-html") / "data")
    with TestClient(create_app(settings)) as client:
        files = [("files", (f"{name}.html", html.encode(), "text/html")) for name, html in PAGES.items()]
        response = client.post("/v1/articles", files=files)
        assert response.status_code == 201, response.text
        stored = {name: client.get(f"/v1/articles/{name}").json() for name in PAGES}
        question = client.post("/v1/ask", json={"question": "How many points did Manchester City have in the final table?",
                                                "filters": {"article_ids": ["table"]}}).json()
    return response.json(), stored, question


def test_an_upload_leaves_out_the_boilerplate_the_cli_leaves_out(uploaded, tmp_path):
    _, stored, _ = uploaded
    for name in ("tunnel", "tunnel-itemprop"):
        text = stored[name]["text"]
        assert "budget overrun of 40 percent" in text
        for what in (*BOILERPLATE.values(), ITEMPROP_PAGE):
            sentence = what.split("<p>")[1].split("</p>")[0] if "<p>" in what else None
            assert sentence is None or sentence not in text, (name, sentence)
        assert text == cli_article(tmp_path, name, PAGES[name]).text


def test_a_page_wrapped_in_one_form_uploads_with_its_text(uploaded, tmp_path):
    response, stored, _ = uploaded
    assert not [r for r in response["results"] if r["status"] == "failed"], response["results"]
    text = stored["jail"]["text"]
    assert "approve a five-year, $8.2 million contract" in text and "Search" not in text
    assert text == cli_article(tmp_path, "jail", FORM_PAGE).text


def test_a_data_table_inside_a_figure_keeps_its_rows(uploaded, tmp_path):
    _, stored, question = uploaded
    rows = "Top four\nPos: 1; Team: Manchester City; Pts: 91.\nPos: 2; Team: Arsenal; Pts: 89.\n"
    assert rows in cli_article(tmp_path, "table", FIGURE_TABLE_PAGE).text
    assert rows in stored["table"]["text"]
    assert any("Pts: 91" in citation["quote"] for citation in question["citations"]), question


def test_the_stated_time_of_day_is_kept_beside_a_dated_canonical_address(uploaded, tmp_path):
    _, stored, _ = uploaded
    for name, instant in (("library", "2024-02-21T03:30:00"), ("bridge", "2024-03-26T12:00:00")):
        stated = parse_published(cli_article(tmp_path, name, PAGES[name]).published_at)
        assert stated.isoformat().startswith(instant), stated
        assert stored[name]["published_at"].startswith(instant), stored[name]["published_at"]
