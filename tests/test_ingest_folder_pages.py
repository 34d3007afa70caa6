"""A folder of saved pages laid out as sites publish them (ferry/index.html, bridge/index.html: wget mirrors, static
site output) gave every page the id "index": one article was stored and the others replaced it. Such a page is now
named after its folders below the folder walked (found by a bug hunt, 2026-11-29; a review asked for the relative
path: "2023/09/index.html" was "09", "news/ferry" and "sport/ferry" clashed)."""

from __future__ import annotations

from typer.testing import CliRunner

from app.cli import cli

_PAGE = ("<html><head><title>{title}</title></head><body><article><p>{a}</p><p>{b}</p><p>{c}</p></article>"
         "</body></html>")


def test_pages_with_the_same_file_name_in_different_folders_are_different_articles(tmp_path):
    site = tmp_path / "site"
    (site / "ferry").mkdir(parents=True)
    (site / "bridge").mkdir()
    (site / "ferry" / "index.html").write_text(_PAGE.format(
        title="Ferry", a="The island ferry resumed service on Saturday after a three-day suspension.",
        b="Operators said the first sailing left at 7am with about 200 passengers on board.",
        c="The council said it would review the timetable next week."))
    (site / "bridge" / "index.html").write_text(_PAGE.format(
        title="Bridge", a="The council voted on Tuesday to build a new bridge across the harbour next year.",
        b="The bridge will cost about 40 million pounds and open in 2027, officials said.",
        c="Residents welcomed the decision at a meeting in the town hall."))
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["ingest", "-q", str(site)], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("added 2"), result.output
    listed = CliRunner().invoke(cli, ["list"], env=env)
    assert sorted(line.split("\t")[0] for line in listed.stdout.splitlines()[:-1]) == ["bridge", "ferry"], listed.stdout


def test_a_folder_page_is_named_by_its_path_below_the_walked_folder(tmp_path):
    site = tmp_path / "site"
    pages = {"news/ferry": "The island ferry resumed service on Saturday after a three-day suspension.",
             "sport/ferry": "The ferry rowing club won the regional title on Sunday after a close final.",
             ".": "The site's front page lists the week's stories about the island and its harbour."}
    for folder, text in pages.items():
        (site / folder).mkdir(parents=True, exist_ok=True)
        (site / folder / "index.html").write_text(_PAGE.format(title=folder, a=text, b=text, c=text))
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    assert CliRunner().invoke(cli, ["ingest", "-q", str(site)], env=env).exit_code == 0
    listed = CliRunner().invoke(cli, ["list"], env=env)
    ids = sorted(line.split("\t")[0] for line in listed.stdout.splitlines()[:-1])
    assert ids == ["news-ferry", "site", "sport-ferry"], listed.stdout
    # a page named on its own is named by its folder, as walking that folder names it (it was "index", and any other
    # index.html ingested the same way replaced it); two folders of one name still share it (sport/ferry replaced
    # news/ferry here): walking their parent tells them apart
    for page in (site / "news" / "ferry" / "index.html", site / "sport" / "ferry" / "index.html",
                 site / "news" / "index.html"):
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(_PAGE.format(title=str(page), a=pages["news/ferry"], b=str(page), c=str(page)))
        assert CliRunner().invoke(cli, ["ingest", "-q", str(page)], env=env).exit_code == 0
    listed = CliRunner().invoke(cli, ["list"], env=env)
    ids = sorted(line.split("\t")[0] for line in listed.stdout.splitlines()[:-1])
    assert ids == ["ferry", "news", "news-ferry", "site", "sport-ferry"], listed.stdout
    walked = CliRunner().invoke(cli, ["ingest", str(site / "news")], env=env)  # the same names: no new article
    assert walked.exit_code == 0 and walked.stdout.startswith("added 0"), walked.stdout
    listed = CliRunner().invoke(cli, ["list"], env=env)
    assert sorted(line.split("\t")[0] for line in listed.stdout.splitlines()[:-1]) == ids
