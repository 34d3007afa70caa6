"""Writers take turns across processes: one ingest batch's write, or one delete, at a time per record.

Why: an article's chunk ids are content-addressed, so two writes of one article touch the same Chroma
ids, and neither Chroma nor the record transaction alone orders them. A DELETE that read the chunk ids
and committed the removal, then a re-ingest of the same text that upserted those ids and committed
its record, then the DELETE's late ``vectors.delete(ids)``: the record holds chunks whose vectors are
gone (two updates racing lose vectors the same way, through the "stale" ids). Within one process a
``threading.Lock`` (app/ingest/service.py) kept them apart; several uvicorn workers, a CLI ingest
beside a server, or several hosts need a lock they all see. What it covers is the write section
"read old chunk ids -> upsert vectors -> commit record -> delete stale vectors" (and a delete's
"remove record -> delete vectors"): embedding, chunking and reading the input happen before it, and
readers never take it, except once when a process opens the record (RecordStore: creating a new file's schema
in WAL mode takes an exclusive lock that does not wait, so two processes opening one new record at once raced).

- SQLite record (one host): an exclusive ``flock`` on ``<records file>.write.lock`` beside the
  database. Each turn opens its own descriptor, so two threads, or two record stores in one
  process, exclude each other as two processes do (flock locks belong to the open file
  description). The kernel drops it when the holder dies, SIGKILL included: no stale lock.
- PostgreSQL record (several hosts): ``PostgresRecordStore.writer_turn`` (app/store/postgres.py), a
  session-level ``pg_advisory_lock`` on a connection kept for it.

The data dir's ``chroma.lock`` (data_dir_lock.py) is another thing: the embedded Chroma store held by
one process for its whole life.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; writers take turns within the process only
    fcntl = None

log = logging.getLogger(__name__)

_fallback = threading.Lock()  # where no file lock can be had: at least this process's writers take turns
_warned: set[Path] = set()


def write_lock_path(records_path: Path) -> Path:
    return records_path.with_name(f"{records_path.name}.write.lock")


@contextmanager
def file_writer_turn(records_path: Path) -> Iterator[None]:
    """Hold the exclusive write turn of the SQLite record at ``records_path`` (blocks until it is free)."""
    path = write_lock_path(records_path)
    fd = _open(path) if fcntl is not None else None
    if fd is None:
        with _fallback:
            yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocking: the holder's turn is one batch's write, seconds at most
        yield
    finally:
        os.close(fd)  # closing the only descriptor of this open file drops the flock


def _open(path: Path) -> int | None:
    """A descriptor for the lock file; read-only will do (flock needs no write access), so another user
    account than the file's owner still takes its turn. None (with one warning) when it cannot be opened."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError:
        try:
            return os.open(path, os.O_RDONLY)
        except OSError as exc:
            failure = exc
    except OSError as exc:
        failure = exc
    if path not in _warned:
        _warned.add(path)
        log.warning("cannot open the write lock %s (%s): writes of other processes on this record are not "
                    "kept apart from this one's", path, failure)
    return None
