"""A folder of saved pages laid out as sites publish them (ferry/index.html, bridge/index.html: wget mirrors, static
site output) gave every page the id "index": one article was stored and the others replaced it. Such a page is now
named after its folder (found by a bug hunt, 2026-11-29)."""

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
