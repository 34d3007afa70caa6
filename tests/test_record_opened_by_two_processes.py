"""Two processes opening one new SQLite record at the same moment (two server workers, or a CLI ingest beside a
server, on a fresh data dir): turning the new file into WAL mode takes an exclusive lock without waiting, so one
of them failed with "database is locked" before it served anything (seen as a rare failure of the cross-process
write test, which starts two writers on one new record). Both must open it, every time."""

from __future__ import annotations

from pathlib import Path

from tests.spawned import run_side_by_side

ROUNDS = 15


def _open_each(paths: list[str], barrier, results) -> None:
    from app.store.records import RecordStore

    failures = []
    for path in paths:
        try:
            barrier.wait(60)
            RecordStore(Path(path)).close()
        except Exception as exc:  # noqa: BLE001 - reported to the test, which names it
            failures.append(f"{path}: {type(exc).__name__}: {exc}")
    results.put(failures)


def test_two_processes_opening_one_new_record_at_once_both_succeed(tmp_path):
    paths = [str(tmp_path / f"r{i}" / "records.sqlite") for i in range(ROUNDS)]
    outcome, _ = run_side_by_side(_open_each, [(paths,), (paths,)], timeout=300)
    failures = [f for process_failures in outcome for f in process_failures]
    assert not failures, failures
    assert all(Path(p).exists() for p in paths)
