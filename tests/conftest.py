from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CITEWIRE_SHARED_DIR", REPO.parent / "shared"))
SHARED_ARTICLES = SHARED / "articles"
needs_shared = pytest.mark.skipif(not (SHARED_ARTICLES / "004_75f1210c1675ddf4.txt").exists(),
                                  reason="../shared/articles is not beside the repository")


def _isolate_environment(mp: pytest.MonkeyPatch) -> None:
    """No CITEWIRE_*/OPENAI_* variable or .env file of the machine running the tests reaches them."""
    from app.config import Settings

    for name in list(os.environ):
        if name.startswith(("CITEWIRE_", "OPENAI_")) and name != "CITEWIRE_SHARED_DIR":
            mp.delenv(name)
    mp.setitem(Settings.model_config, "env_file", None)
    mp.setenv("CITEWIRE_ENV_FILE", "")  # subprocesses (served apps, the CLI) skip .env too


@pytest.fixture(scope="session", autouse=True)
def _clean_session_environment():
    with pytest.MonkeyPatch.context() as mp:
        _isolate_environment(mp)
        yield


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    """A test that leaves a SIGINT or SIGTERM handler behind (an in-process server or event loop) must not change what
    a later test's Ctrl+C does. test_cli_ops_findings' end-to-end Ctrl+C ran its ingest to the end once, in a full
    run on a heavily loaded machine (exit 0, where it stops with KeyboardInterrupt, exit 130); not reproduced in 30
    runs since, alone, under load, or after the 35 test files before it, so the cause is not known."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {stop: signal.getsignal(stop) for stop in (signal.SIGINT, signal.SIGTERM)}
    yield
    for stop, handler in saved.items():
        if handler is not None and signal.getsignal(stop) is not handler:
            signal.signal(stop, handler)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """Again per test: a variable set outside monkeypatch by an earlier test cannot leak either."""
    _isolate_environment(monkeypatch)


@pytest.fixture
def settings(tmp_path):
    from app.config import Settings

    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def services(settings):
    from app.services import build_services

    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture(scope="session")
def corpus_services(tmp_path_factory):
    """Samples + (when present) the two real articles, indexed once for read-only tests."""
    from app.config import Settings
    from app.ingest.loaders import load_path
    from app.samples import samples_path
    from app.services import build_services

    built = build_services(Settings(data_dir=tmp_path_factory.mktemp("corpus") / "data"))
    paths = [samples_path()]
    if SHARED_ARTICLES.exists():
        paths += sorted(SHARED_ARTICLES.glob("*.txt"))
    records = [r for p in paths for r in load_path(p)]
    report = built.ingest.ingest(records)
    assert report.counts["failed"] == 0
    yield built
    built.close()


@pytest.fixture(scope="session")
def shared_services(tmp_path_factory):
    """Only the two real articles, as the product was specified from them."""
    from app.config import Settings
    from app.ingest.loaders import load_path
    from app.services import build_services

    if not SHARED_ARTICLES.exists():
        pytest.skip("../shared/articles is not beside the repository")
    built = build_services(Settings(data_dir=tmp_path_factory.mktemp("shared") / "data"))
    report = built.ingest.ingest([r for p in sorted(SHARED_ARTICLES.glob("*.txt")) for r in load_path(p)])
    assert report.counts["added"] == 2
    yield built
    built.close()


def chroma_binary() -> str | None:
    return shutil.which("chroma") or (str(Path(os.sys.executable).parent / "chroma")
                                      if (Path(os.sys.executable).parent / "chroma").exists() else None)


def conflicting_toll_reports():
    """Two wires that agree on everything but the death toll: a conflict summaries must surface."""
    from app.ingest.article import ArticleIn

    text = "Officials said the floods in Derna killed {} people after the dams burst."
    return [
        ArticleIn(id="wire-a", title="Dam collapse toll", source="Wire A", published_at="2023-09-14",
                  text=text.format("5,300")),
        ArticleIn(id="wire-b", title="Dam collapse toll", source="Wire B", published_at="2023-09-15",
                  text=text.format("11,300")),
    ]


def mini_suite(folder: Path) -> Path:
    """A few cases of the known-answer suite, for tests of the eval *plumbing* (reports, gate,
    judge, HTTP target). The full suite runs once per CI run: `citewire eval --gate` in .ci/run."""
    import yaml

    from app.evals.dataset import DEFAULT_SUITE

    suite = yaml.safe_load(DEFAULT_SUITE.read_text())
    small = {"version": suite["version"], "answerable": suite["answerable"][:4],
             "unanswerable": suite["unanswerable"][:2], "summaries": suite.get("summaries", [])[:1]}
    path = folder / "mini-suite.yaml"
    path.write_text(yaml.safe_dump(small, sort_keys=False))
    return path
