"""Tests that race real OS processes: each started with spawn (as a second server worker or a CLI beside a server
would be), lined up by a shared barrier, reporting through a queue."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable


def run_side_by_side(target: Callable, args_per_process: list[tuple], timeout: float = 600) -> tuple[list, list]:
    """One spawned process per args tuple, each running ``target(*args, barrier, results)``; returns what each put
    on ``results`` (in arrival order) and the processes' exit codes. A process still alive 60 s after the results
    are in is killed."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(len(args_per_process)), context.Queue()
    processes = [context.Process(target=target, args=(*args, barrier, results)) for args in args_per_process]
    for process in processes:
        process.start()
    try:
        outcome = [results.get(timeout=timeout) for _ in processes]
    finally:
        for process in processes:
            process.join(60)
            if process.is_alive():
                process.kill()
    return outcome, [process.exitcode for process in processes]
