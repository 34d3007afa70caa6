"""Findings of a new-user walk over ingest, the CLI and evals (2026-11-29, fourth session): each failed before its
fix."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.request_types import ARTICLE_ID_RULE

runner = CliRunner()
FUTURE = {"id": "future-1", "title": "Moon colony celebrates", "source": "T", "published_at": "2031-07-04",
          "text": "The moon colony celebrated its first anniversary with a parade on the lunar surface and fireworks."}
PAST = {"id": "past-1", "title": "Old news", "source": "T", "published_at": "2021-07-04",
        "text": "Something happened long ago in a small town that people still talk about today, and wrote down."}


def test_an_article_dated_after_now_is_stored_with_a_warning_saying_why_no_question_finds_it(tmp_path):
    """It was stored without a word; every question then said "the passages do not seem to hold an answer"."""
    feed = tmp_path / "dates.jsonl"
    feed.write_text("\n".join(json.dumps(r) for r in (FUTURE, PAST)) + "\n")
    done = runner.invoke(cli, ["ingest", str(feed)], env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert done.exit_code == 0, done.output
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "'future-1'" in warnings[0] and "dated after now" in warnings[0], done.stderr
    assert "past-1" not in warnings[0] and "as_of" in warnings[0]
    again = runner.invoke(cli, ["ingest", str(feed)], env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert "unchanged 2" in again.stdout and "'future-1'" in again.stderr, again.output  # said again when unchanged


def test_the_http_ingest_names_the_future_dated_article_in_its_result(tmp_path):
    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        body = client.post("/v1/articles", json=[FUTURE, PAST]).json()
    by_id = {r["article_id"]: r for r in body["results"]}
    assert any("dated after now (2031-07-04" in w for w in by_id["future-1"]["warnings"]), body
    assert by_id["past-1"]["warnings"] == [] and any("future-1" in w for w in body["warnings"]), body


def test_max_words_out_of_range_is_refused_in_the_same_words_over_http_and_the_cli(tmp_path):
    from app.config import Settings
    from app.main import create_app

    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    assert runner.invoke(cli, ["samples"], env=env).exit_code == 0
    done = runner.invoke(cli, ["summarize", "--article-id", "fed-holds-rates-sept-2023", "--max-words", "5"], env=env)
    cli_words = done.stderr.strip().removeprefix("error: ")
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        detail = client.post("/v1/summarize", json={"article_id": "fed-holds-rates-sept-2023", "max_words": 5}).json()
    assert done.exit_code == 2 and detail["detail"][0]["msg"] == cli_words, (cli_words, detail)


def test_a_malformed_article_id_in_a_path_is_said_in_words_not_as_a_regular_expression(tmp_path):
    from app.config import Settings
    from app.main import create_app

    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        response = client.get("/v1/articles/bad%20id")
    message = response.json()["detail"][0]["msg"]
    assert response.status_code == 422 and message == f"not an article id: {ARTICLE_ID_RULE}; got 'bad id'", message


def test_a_failed_record_is_named_by_its_id_on_the_cli_as_over_http(tmp_path):
    """`failed: list.json[1]: text: Field required` left out the id the record gives ("arr-2")."""
    feed = tmp_path / "list.json"
    feed.write_text(json.dumps([PAST, {"id": "arr-2", "title": "No text", "source": "T"}]))
    done = runner.invoke(cli, ["ingest", str(feed)], env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    failed = [line for line in done.output.splitlines() if line.startswith("failed:")]
    assert failed and "(id 'arr-2')" in failed[0], done.output


def test_samples_reports_like_ingest(tmp_path):
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    first, again = runner.invoke(cli, ["samples"], env=env), runner.invoke(cli, ["samples"], env=env)
    assert first.stdout.startswith("added 8, updated 0, unchanged 0, failed 0 (") and "chunks written" in first.stdout
    assert again.stdout.strip().endswith("(0 chunks written); nothing changed"), again.stdout


def test_a_file_named_twice_is_read_once(tmp_path):
    """`ingest plain.txt plain.txt` warned "id 'plain' is given 2 times (plain.txt, plain.txt)"."""
    story = tmp_path / "plain.txt"
    story.write_text("Harbour reopens\n\nThe harbour reopened on Monday after two years of repairs to its wall.")
    done = runner.invoke(cli, ["ingest", "-q", str(story), str(story), str(tmp_path)],
                         env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    assert done.exit_code == 0 and "warning" not in done.stderr, done.output
    assert done.stdout.startswith("added 1, updated 0, unchanged 0, failed 0"), done.stdout


def test_the_cli_shows_a_date_with_a_time_one_way_in_list_ask_and_search(tmp_path):
    """`list` showed "2024-02-10 08:00 UTC", `ask`'s sources "2024-02-10T08:00:00+00:00"."""
    feed = tmp_path / "timed.jsonl"
    feed.write_text(json.dumps({"id": "harbour", "title": "Harbour reopens", "source": "Gazette",
                                "published_at": "2024-02-10T09:00:00+01:00",
                                "text": "The harbour reopened on Monday after two years of repairs to its sea wall."}))
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    assert runner.invoke(cli, ["ingest", "-q", str(feed)], env=env).exit_code == 0
    outputs = [runner.invoke(cli, args, env=env).stdout for args in
               (["list"], ["ask", "When did the harbour reopen?", "--as-of", "2024-03-01"],
                ["search", "harbour reopened", "--as-of", "2024-03-01"])]
    for out in outputs:
        assert "2024-02-10 08:00 UTC" in out and "T08:00" not in out, out


def test_cli_search_takes_the_settings_defaults(tmp_path):
    """`citewire search` fixed 5 passages and hybrid whatever CITEWIRE_TOP_K and CITEWIRE_RETRIEVAL_MODE said, though
    their descriptions say they set search (a docs audit)."""
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    assert runner.invoke(cli, ["samples"], env=env).exit_code == 0
    shown = runner.invoke(cli, ["search", "Kim Putin"], env={**env, "CITEWIRE_TOP_K": "2"}).stdout
    assert [line[:3] for line in shown.splitlines() if line[:1].isdigit()] == ["1. ", "2. "], shown
    assert len([line for line in runner.invoke(cli, ["search", "Kim Putin", "--top-k", "3"], env={
        **env, "CITEWIRE_TOP_K": "2"}).stdout.splitlines() if line[:1].isdigit()]) == 3  # the option still wins


def test_a_link_under_another_name_is_another_article_and_the_first_path_keeps_its_place(tmp_path):
    """Read once by resolved path alone, `latest.txt -> 2024-06-01.txt` stored only `latest` (a review)."""
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "2024-06-01.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday after two years of work.")
    (folder / "latest.txt").symlink_to(folder / "2024-06-01.txt")
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    done = runner.invoke(cli, ["ingest", "-q", str(folder), str(folder / "2024-06-01.txt")], env=env)
    assert done.stdout.startswith("added 2,") and "warning" not in done.stderr, done.output
    listed = runner.invoke(cli, ["list"], env=env).stdout
    assert "2024-06-01\t" in listed and "latest\t" in listed, listed


def test_a_failed_records_id_is_named_even_when_it_is_part_of_the_origin(tmp_path):
    """Ids "1" and "feed" in feed.jsonl were left out of `failed: feed.jsonl:1: …` (a substring test; a review)."""
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "1", "title": "t"}) + "\n" + json.dumps({"id": "feed", "title": "t"}) + "\n")
    done = runner.invoke(cli, ["ingest", "-q", str(feed)], env={"CITEWIRE_DATA_DIR": str(tmp_path / "data")})
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed:")]
    assert "(id '1')" in failed[0] and "(id 'feed')" in failed[1], failed


def test_a_later_record_of_an_id_dated_before_now_clears_the_future_warning(tmp_path):
    """With --batch 1 a 2031 record and then the same id dated 2021: the 2021 one was stored, the warning stayed."""
    feed = tmp_path / "dup.jsonl"
    feed.write_text(json.dumps({**FUTURE, "id": "dup"}) + "\n" + json.dumps({**FUTURE, "id": "dup",
                                                                          "published_at": "2021-07-04"}) + "\n")
    done = runner.invoke(cli, ["ingest", "-q", "--batch", "1", str(feed)], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
    assert done.exit_code == 0 and "dated after now" not in done.stderr, done.output


@pytest.mark.parametrize("value", ["5", " 5 ", "5.0", 5.0])
def test_max_words_out_of_range_in_any_spelling_is_refused_in_words(tmp_path, value):
    from app.api.schemas import SummarizeRequest

    with pytest.raises(ValueError, match="max_words must be a whole number from 20 to 1000, not 5"):
        SummarizeRequest(topic="Kim", max_words=value)


def test_a_long_quote_in_the_report_is_cut_with_an_ellipsis():
    from app.evals.report import _cut

    assert _cut("x" * 10) == "x" * 10 and _cut("word " * 100) == ("word " * 40).rstrip() + "…"


def test_an_id_added_then_given_again_in_a_later_batch_is_not_named_as_updated(tmp_path):
    """`--batch 1` with one id twice printed "updated 0 (dup)": the names came from each record, the count from the
    article (a review)."""
    feed = tmp_path / "dup.jsonl"
    feed.write_text(json.dumps({**PAST, "id": "dup"}) + "\n" + json.dumps({**PAST, "id": "dup", "title": "Changed"}) + "\n")
    done = runner.invoke(cli, ["ingest", "-q", "--batch", "1", str(feed)], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
    assert done.stdout.startswith("added 1, updated 0, unchanged 0"), done.stdout
    (tmp_path / "one.jsonl").write_text(json.dumps({**PAST, "id": "dup", "title": "Again"}) + "\n")
    again = runner.invoke(cli, ["ingest", "-q", str(tmp_path / "one.jsonl")], env={"CITEWIRE_DATA_DIR": str(tmp_path / "d")})
    assert again.stdout.startswith("added 0, updated 1 (dup),"), again.stdout  # a real update is still named
