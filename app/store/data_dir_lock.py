"""One process at a time on an embedded Chroma directory.

Chroma's embedded ``PersistentClient`` keeps its HNSW index in each process's memory and writes
it back from there, so two processes on one directory do not see each other's vectors, and the
last to flush overwrites the other's (measured here: two servers and a CLI ingest on one data dir
lost the vectors of 380 of 600 articles; after a restart dense queries failed with Chroma's
"Error finding id"; docs/operations.md *Scaling*). So the embedded store takes an exclusive
``flock`` on ``<data dir>/chroma.lock`` for the life of the process, and a second process fails
at start with one line naming the way out. The kernel drops the lock when the process ends, crash
included, so there is never a stale lock to remove. Within one process the lock is shared:
Chroma itself keeps one client per directory per process.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the embedded store is unguarded there, as before
    fcntl = None


log = logging.getLogger(__name__)


class DataDirInUse(RuntimeError):
    """Another process holds this data dir's embedded Chroma store."""


_held: dict[Path, list] = {}  # lock file -> [fd, claims in this process]
_guard = threading.Lock()


def lock_path(chroma_dir: Path) -> Path:
    return chroma_dir.parent / f"{chroma_dir.name}.lock"


def claim_chroma_dir(chroma_dir: Path) -> Callable[[], None]:
    """Take the directory for this process (or join this process's claim); returns the release."""
    if fcntl is None:
        return lambda: None
    path = lock_path(chroma_dir).resolve()
    with _guard:
        if path in _held:
            _held[path][1] += 1
            return _releaser(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:  # the data dir itself is unusable: opening the store fails next, with its own one line
            return lambda: None
        try:
            fd, writable = _open_lock_file(path)
        except OSError as exc:  # a read-only data dir: nobody writes through us, so go on as before the lock
            log.warning("cannot lock %s (%s): the embedded Chroma store is not guarded against other processes",
                        path, exc)
            return lambda: None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataDirInUse(in_use_message(chroma_dir.parent, owner)) from None
        if writable:  # the pid is only for the refusal's message; the flock is the lock
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held[path] = [fd, 1]
    return _releaser(path)


def _open_lock_file(path: Path) -> tuple[int, bool]:
    """(descriptor, writable). flock needs no write access, so another user account that can only read
    the lock file (0644, made by the first) still takes the lock rather than going on unguarded."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644), True
    except PermissionError:
        return os.open(path, os.O_RDONLY), False


def _releaser(path: Path) -> Callable[[], None]:
    done = False

    def release() -> None:
        nonlocal done
        with _guard:
            if done or path not in _held:
                return
            done = True
            _held[path][1] -= 1
            if _held[path][1] == 0:
                os.close(_held.pop(path)[0])  # closing the descriptor drops the flock

    return release


def in_use_message(data_dir: Path, owner: str) -> str:
    return (f"the data dir {data_dir} is in use by another Citewire process (pid {owner}); its embedded Chroma "
            f"store takes one process at a time. Stop that process or send it this work over HTTP "
            f"(POST /v1/articles, /v1/ask), or, for several processes, set CITEWIRE_CHROMA_URL to a `chroma run` "
            f"server (and CITEWIRE_LEXICAL_URL across hosts; docs/operations.md, Scaling)")
