"""Process memory settings applied when the server starts.

glibc gives each thread that meets contention its own malloc arena (up to 8 per core); a server's
request threads, Chroma's and SQLite's each end up holding freed memory in arenas of their own. Two
arenas kept the 233k-chunk server 105–155 MB smaller at the same latency (docs/performance.md *Memory*).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas (``mallopt(M_ARENA_MAX)``) unless ``MALLOC_ARENA_MAX`` is set in the
    environment (then glibc already applied it) or ``arenas`` is 0. Takes effect for arenas created
    afterwards, so it is called before the service graph starts its threads. False where there is no
    glibc (musl, macOS): nothing to do there."""
    if arenas <= 0 or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        return False
    if mallopt is None or not hasattr(libc, "gnu_get_libc_version"):
        return False
    ok = bool(mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(arenas)))
    if not ok:
        log.warning("mallopt(M_ARENA_MAX, %d) failed; glibc's default arenas stay", arenas)
    return ok
