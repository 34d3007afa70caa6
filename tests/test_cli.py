from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.samples import samples_path

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))


def test_ingest_is_idempotent_and_ask_prints_numbered_sources():
    first = runner.invoke(cli, ["ingest", "-q", str(samples_path())])
    assert first.exit_code == 0 and "added 8" in first.stdout
    again = runner.invoke(cli, ["ingest", "-q", str(samples_path())])
    assert again.exit_code == 0 and "unchanged 8" in again.stdout and "nothing changed" in again.stdout
    answer = runner.invoke(cli, ["ask", "Who scored the goal in the Women's World Cup final?"])
    assert answer.exit_code == 0 and "Olga Carmona" in answer.stdout and "Sources:" in answer.stdout
    assert "[1]" in answer.stdout
    as_json = json.loads(runner.invoke(cli, ["ask", "--json", "What did Kim pledge?"]).stdout)
    assert as_json["answerable"] and as_json["citations"][0]["quote"]


def test_search_list_and_delete():
    runner.invoke(cli, ["ingest", "-q", str(samples_path())])
    found = runner.invoke(cli, ["search", "Derna dams", "--top-k", "2"])
    assert found.exit_code == 0 and "libya-derna-floods-2023" in found.stdout
    assert "(8 of 8)" in runner.invoke(cli, ["list"]).stdout
    assert runner.invoke(cli, ["delete", "libya-derna-floods-2023"]).exit_code == 0
    missing = runner.invoke(cli, ["delete", "libya-derna-floods-2023"])
    assert missing.exit_code == 1 and "no article" in missing.stderr


def test_bad_input_gets_an_exit_code_and_one_line_reason(tmp_path):
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    for args, code in ([["ingest", str(tmp_path / "x.pdf")], 2], [["ingest", str(tmp_path / "nope.txt")], 2],
                       [["ask", "  "], 2], [["ask", "q?", "--as-of", "soon"], 2], [["search", "x", "--mode", "magic"], 2]):
        result = runner.invoke(cli, args)
        assert result.exit_code == code, (args, result.output)
        assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "fine", "text": "ok text"}\n{oops\n')
    partial = runner.invoke(cli, ["ingest", "-q", str(broken)])
    assert partial.exit_code == 1 and "added 1" in partial.stdout and "failed 1" in partial.stdout


def test_a_usage_error_is_one_plain_error_line():
    """Usage errors come from Click, not from us; they still read as our one ``error:`` line, not a panel."""
    for args, reason in ((["ask"], "Missing argument 'question'"), (["ingest", "--bogus"], "No such option: --bogus"),
                         (["ask", "q", "--top-k", "0"], "--top-k"), (["nosuch"], "No such command 'nosuch'")):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert reason in result.stderr and "╭" not in result.stderr
    bare = runner.invoke(cli, [])  # no command at all: the help is the answer
    assert "Commands:" in bare.output


def test_summarize_command():
    runner.invoke(cli, ["ingest", "-q", str(samples_path())])
    result = runner.invoke(cli, ["summarize", "--article-id", "morocco-earthquake-2023", "--max-words", "60"])
    assert result.exit_code == 0 and "6.8" in result.stdout and "[1]" in result.stdout
    topic = runner.invoke(cli, ["summarize", "--topic", "Kim Jong Un and Russia"])
    assert topic.exit_code == 0 and "Sources:" in topic.stdout
    neither = runner.invoke(cli, ["summarize"])
    assert neither.exit_code == 2 and "not both" not in neither.stderr
    then = runner.invoke(cli, ["summarize", "--topic", "Kim Jong Un and Russia", "--as-of", "2023-12-31"])
    assert then.exit_code == 0 and "2023-09-13" in then.stdout and "2024-06-19" not in then.stdout
    uncovered = runner.invoke(cli, ["summarize", "--topic", "cryptocurrency regulation in Brazil"])
    assert uncovered.exit_code == 0 and "refused:" in uncovered.stdout and "Sources:" not in uncovered.stdout
    missing = runner.invoke(cli, ["summarize", "--article-id", "nope"])
    assert missing.exit_code == 1 and "no article" in missing.stderr


def test_summarize_caps_the_topic_and_the_article_list_as_the_api_does():
    long = runner.invoke(cli, ["summarize", "--topic", "Kim and Putin " * 200])
    assert long.exit_code == 2 and "topic is longer than 2000 characters" in long.stderr
    many = runner.invoke(cli, ["summarize", *[arg for i in range(101) for arg in ("--article-id", f"a-{i}")]])
    assert many.exit_code == 2 and "at most 100 article ids" in many.stderr


def test_ask_stream_prints_the_answer_once_unless_the_verified_one_differs(monkeypatch):
    """With no LLM the streamed answer is the verified one: it was printed twice (streamed, then under
    "Verified answer:"). The header and the second copy stay for an answer the guard changed."""
    from app.answer.service import AnswerService

    runner.invoke(cli, ["ingest", "-q", str(samples_path())])
    question = "Who scored the goal in the Women's World Cup final?"
    plain = runner.invoke(cli, ["ask", "--no-stream", question])
    answer = plain.stdout.split("\nSources:")[0].strip()
    assert "Olga Carmona" in answer
    streamed = runner.invoke(cli, ["ask", "--stream", question])
    assert streamed.exit_code == 0 and streamed.stdout.count(answer) == 1, streamed.stdout
    assert "Verified answer:" not in streamed.stdout and "Sources:" in streamed.stdout
    refused = runner.invoke(cli, ["ask", "--stream", "What did the Brazilian central bank decide on crypto?"])
    assert refused.exit_code == 0 and "Verified answer:" not in refused.stdout

    real_stream = AnswerService.stream

    def with_a_dropped_claim(self, *args, **kwargs):  # the guard removed a sentence the model streamed
        events = list(real_stream(self, *args, **kwargs))
        last_delta = max(i for i, (kind, _) in enumerate(events) if kind == "delta")
        events.insert(last_delta + 1, ("delta", " An unsupported claim."))
        yield from events

    monkeypatch.setattr(AnswerService, "stream", with_a_dropped_claim)
    changed = runner.invoke(cli, ["ask", "--stream", question])
    assert changed.exit_code == 0 and "An unsupported claim." in changed.stdout
    shown = changed.stdout.split("\nVerified answer:\n")
    assert len(shown) == 2 and shown[1].startswith(answer) and "An unsupported claim." not in shown[1]


def test_an_invalid_setting_is_a_one_line_error(monkeypatch):
    monkeypatch.setenv("CITEWIRE_FUSION", "magic")
    for args in (["ask", "What did Kim pledge?"], ["eval"], ["serve"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2 and result.stderr.startswith("error: invalid setting: CITEWIRE_FUSION")



def test_ingest_of_a_folder_names_the_files_it_skipped(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "story.txt").write_text("The harbour wall will be rebuilt after the storms, the council said.")
    (folder / "report.pdf").write_bytes(b"%PDF")
    (folder / "notes.docx").write_bytes(b"PK")
    result = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert result.exit_code == 0 and "added 1" in result.stdout
    assert "skipped 2 files: 2 unsupported type (notes.docx, report.pdf)" in result.stdout
    (folder / "story.txt").unlink()
    only_unsupported = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert only_unsupported.exit_code == 2 and "skipped 2 files" in only_unsupported.stderr


def test_ingest_of_a_folder_leaves_hidden_files_and_pipes_out_and_says_so(tmp_path):
    """macOS's "._story.txt" became an article, and a FIFO among the files hung the ingest (one named alone is
    read as a live feed: tests/test_cli_walk.py)."""
    import os

    folder = tmp_path / "mixed"
    (folder / ".cache").mkdir(parents=True)
    (folder / "story.txt").write_text("The harbour wall will be rebuilt after the storms, the council said.")
    (folder / "._story.txt").write_bytes(b"\x00\x05\x16\x07")
    (folder / ".cache" / "old.txt").write_text("An old copy of the story.")
    os.mkfifo(folder / "pipe.txt")
    (folder / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    result = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert result.exit_code == 0 and "added 1," in result.stdout, result.output
    assert "skipped 4 files: 2 hidden (._story.txt, old.txt); 2 not a regular file (gone.txt, pipe.txt)" \
        in result.stdout, result.stdout
    assert [line.split("\t")[0] for line in runner.invoke(cli, ["list"]).stdout.splitlines() if "\t" in line] == ["story"]


def test_ingest_of_a_folder_leaves_its_readme_and_license_out_but_a_named_readme_is_ingested(tmp_path):
    """`citewire ingest ../shared/articles` stored the folder's README.md (what the folder holds) as an article."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("The harbour wall will be rebuilt after the storms, the council said.")
    (folder / "README.md").write_text("# Articles\n\nThe news articles this folder holds, one per file.")
    (folder / "LICENSE").write_text("Permission is hereby granted, free of charge, to any person.")
    (folder / "changelog.txt").write_text("Added two articles about the harbour in March.")
    result = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert result.exit_code == 0 and "added 1," in result.stdout, result.output
    assert ("skipped 3 files: 3 folder notes, not an article (LICENSE, README.md, changelog.txt)"
            in result.stdout), result.stdout
    assert "supported:" not in result.stdout  # the list of types is for files of an unsupported type

    def listed() -> list[str]:
        return [line.split("\t")[0] for line in runner.invoke(cli, ["list"]).stdout.splitlines() if "\t" in line]

    assert listed() == ["a"]
    named = runner.invoke(cli, ["ingest", "-q", str(folder / "README.md")])
    assert named.exit_code == 0 and "added 1," in named.stdout, named.output
    assert sorted(listed()) == ["README", "a"]
    (folder / "a.txt").unlink()
    only_notes = runner.invoke(cli, ["ingest", "-q", str(folder)])
    assert only_notes.exit_code == 2 and "no files to ingest found: skipped 3 files" in only_notes.stderr


def test_a_missing_local_model_is_named_not_blamed_on_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("CITEWIRE_LOCAL_MODEL", str(tmp_path / "nope.gguf"))
    result = runner.invoke(cli, ["ask", "What did Kim pledge?"])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: the local model CITEWIRE_LOCAL_MODEL={tmp_path / 'nope.gguf'} cannot")
    assert "store" not in result.stderr


def test_summarize_says_when_an_article_was_read_in_part(tmp_path):
    from app.summarize.service import MAX_ARTICLE_SUMMARY_CHARS

    sentences = [f"Officials in Oslo said on day {i} that {i * 7 + 3} residents moved to shelter {i % 13}."
                 for i in range(MAX_ARTICLE_SUMMARY_CHARS // 60)]
    long = tmp_path / "long-report.txt"
    long.write_text("\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5)))
    assert runner.invoke(cli, ["ingest", "-q", str(long)]).exit_code == 0
    result = runner.invoke(cli, ["summarize", "--article-id", "long-report"])
    assert result.exit_code == 0 and "Read in part (too long to read whole): long-report" in result.stdout
    runner.invoke(cli, ["ingest", "-q", str(samples_path())])
    whole = runner.invoke(cli, ["summarize", "--article-id", "morocco-earthquake-2023"])
    assert whole.exit_code == 0 and "Read in part" not in whole.stdout


def test_a_data_dir_that_cannot_be_used_is_one_error_line_for_serve_too(tmp_path, monkeypatch):
    """`serve` printed the server's start-up traceback and exited 3; `list` already said it in one line."""
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(a_file))
    monkeypatch.setattr("app.cli.serve._check_listen", lambda host, port: None)  # a busy port is not what this is about
    for args in (["serve", "--port", "8794"], ["list"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.strip().count("\n") == 0 and "it is a file, not a folder" in result.stderr
        assert "Traceback" not in result.output


def test_an_empty_data_dir_setting_means_the_default_not_the_current_folder(monkeypatch):
    from app.config import USER_DATA, Settings

    monkeypatch.setenv("CITEWIRE_DATA_DIR", "")
    assert Settings().data_dir == USER_DATA / "data"


def test_files_of_one_name_in_two_folders_are_named_by_their_paths(tmp_path):
    """sub/a.txt and a.txt give one article "a" and the later wins: the warning once said "(a.txt, a.txt)"."""
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text("The harbour reopened on Monday after the storm.")
    (tmp_path / "in" / "sub" / "a.txt").write_text("The bridge vote was delayed by a week.")
    result = runner.invoke(cli, ["ingest", "-q", str(tmp_path / "in")])
    assert result.exit_code == 0
    assert str(tmp_path / "in" / "a.txt") in result.output and str(tmp_path / "in" / "sub" / "a.txt") in result.output


def test_ingest_batch_must_be_positive_and_an_empty_search_says_so(tmp_path):
    assert runner.invoke(cli, ["ingest", "--batch", "0", str(samples_path())]).exit_code == 2
    runner.invoke(cli, ["ingest", "-q", str(samples_path())])
    nothing = runner.invoke(cli, ["search", "zzzqqq", "--mode", "bm25"])
    assert nothing.exit_code == 0 and nothing.stdout == "" and "no passage matches" in nothing.stderr


def test_a_process_without_an_llm_does_not_import_the_openai_client(tmp_path):
    """Importing openai took ~0.9 s of every CLI command's start-up (2.5-4.5 s), though only a configured LLM or
    embeddings endpoint uses it; errors are still classified once it is imported (test_dependency_errors.py)."""
    import os
    import subprocess
    import sys

    script = ("import sys; from app.config import Settings; from app.services import build_services; "
              "s = build_services(Settings()); s.answers.ask('What did Kim pledge?'); s.close(); "
              "print('openai' in sys.modules)")
    env = {**os.environ, "CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    env.pop("CITEWIRE_LLM_BASE_URL", None)
    env.pop("CITEWIRE_LOCAL_MODEL", None)
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
