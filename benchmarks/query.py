"""Query latency and throughput over real HTTP as the index grows: ~10k, ~100k and ~233k chunks.

    python benchmarks/query.py --data ../shared/data/realtimeqa-dev --sizes 800,8000,19334

For each size (articles, the first N of the corpus) the index is grown to N through the real
ingest (one index reused from size to size; ``--data-dir`` keeps it for a later run), a real
``uvicorn`` server is started on it (no LLM: extractive answers), and then:
- latency: each of ``--questions`` RealTimeQA questions once, one at a time, against
  ``/v1/search`` and ``/v1/ask`` → p50 / p95 / p99;
- throughput: 1, 4 and 16 concurrent clients for ``--seconds`` each, mixing search and ask → req/s;
- server RSS after the run (VmRSS) and at its peak (VmHWM), and the first-query time (the
  lexical index loading into memory).
``--answer-models learned,heuristic`` runs one server per answer pipeline (``CITEWIRE_ANSWER_MODEL``)
on each size, one after the other; the default is the configured default (learned).
``--warmup on,off`` does the same for ``CITEWIRE_WARMUP`` (the start-up warm-up, app/warmup.py); with it
on, the run waits for ``/readyz``'s ``warmup.state`` to leave ``running`` unless ``--no-wait-warmup``.
``--prime N`` is how many asks (after one search) go before the timed questions (default 5, as in
every earlier run; 0 makes the timed questions the server's first). ``--evict`` asks the kernel to drop
the data dir's pages from its page cache before each server starts (``POSIX_FADV_DONTNEED``: what an
idle spell that let other work take the memory leaves behind); ``--evict-after-start`` does it once the
server is ready and warmed (an idle spell under a running server). ``--concurrency ""`` skips throughput.
Writes a markdown table to stdout, JSON with ``--json``, and with ``--plot`` a PNG of latency vs
corpus size.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Settings  # noqa: E402
from app.ingest.loaders import load_path  # noqa: E402
from app.services import build_services  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def grow_index(data: Path, data_dir: Path, articles: int) -> tuple[int, int, float]:
    """Ingest corpus articles [already indexed, articles); returns (articles, chunks, seconds)."""
    services = build_services(Settings(data_dir=data_dir))
    have, _ = services.records.count()
    start = time.perf_counter()
    if have < articles:
        records = itertools.islice(load_path(data / "corpus.jsonl.gz"), have, articles)
        services.ingest.ingest(records, keep_outcomes=False)
    seconds = time.perf_counter() - start
    n_articles, n_chunks = services.records.count()
    services.close()
    return n_articles, n_chunks, seconds


def evict_page_cache(data_dir: Path) -> int:
    """Drop the data dir's clean pages from the page cache (only these files); returns bytes advised."""
    total = 0
    for path in (p for p in data_dir.rglob("*") if p.is_file()):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            total += path.stat().st_size
        finally:
            os.close(fd)
    return total


class Server:
    def __init__(self, data_dir: Path, answer_model: str | None = None, warmup: str | None = None,
                 wait_warmup: bool = True) -> None:
        self.port = free_port()
        self.warmup: dict | None = None
        env = {**os.environ, "CITEWIRE_DATA_DIR": str(data_dir)}
        if warmup:
            env["CITEWIRE_WARMUP"] = "true" if warmup == "on" else "false"
        for key in ("CITEWIRE_LLM_BASE_URL", "CITEWIRE_LOCAL_MODEL", "CITEWIRE_CHROMA_URL", "CITEWIRE_LEXICAL_URL"):
            env.pop(key, None)
        if answer_model:
            env["CITEWIRE_ANSWER_MODEL"] = answer_model
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            env=env, cwd=Path(__file__).resolve().parent.parent,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.perf_counter()
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                response = httpx.get(self.url + "/readyz", timeout=2)
                if response.status_code == 200:
                    self.ready_s = time.perf_counter() - self.started
                    self.warmup = response.json().get("warmup")
                    while wait_warmup and self.warmup and self.warmup["state"] in ("pending", "running") \
                            and time.time() < deadline:
                        time.sleep(0.1)
                        self.warmup = httpx.get(self.url + "/readyz", timeout=5).json().get("warmup")
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("server did not become ready")

    def rss_mb(self) -> tuple[float, float]:
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def request(client: httpx.Client, kind: str, question: str) -> float:
    start = time.perf_counter()
    if kind == "search":
        response = client.post("/v1/search", json={"query": question})
    else:
        response = client.post("/v1/ask", json={"question": question})
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000


def latency(url: str, questions: list[str]) -> dict[str, dict[str, float]]:
    out = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for kind in ("search", "ask"):
            times = [request(client, kind, q) for q in questions]
            out[kind] = {"p50": percentile(times, 50), "p95": percentile(times, 95), "p99": percentile(times, 99),
                         "mean": statistics.mean(times)}
    return out


def throughput(url: str, questions: list[str], clients: int, seconds: float) -> float:
    done = [0] * clients
    errors: list[Exception] = []
    stop_at = time.perf_counter() + seconds

    def worker(i: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            for n in itertools.count(i):
                if time.perf_counter() >= stop_at:
                    return
                try:
                    request(client, "search" if n % 2 else "ask", questions[n % len(questions)])
                except Exception as exc:  # noqa: BLE001 - counted, reported
                    errors.append(exc)
                    return
                done[i] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed: {errors[0]!r}")
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the realtimeqa-dev folder")
    parser.add_argument("--sizes", default="800,8000,19334", help="articles per step (~12 chunks each)")
    parser.add_argument("--data-dir", type=Path, default=None, help="index folder to grow and keep")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=15, help="per concurrency level")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--answer-models", default=None,
                        help="comma-separated CITEWIRE_ANSWER_MODEL values, one server each (default: the default)")
    parser.add_argument("--warmup", default=None, help="comma-separated on/off: CITEWIRE_WARMUP, one server each")
    parser.add_argument("--no-wait-warmup", action="store_true", help="start the questions while it runs")
    parser.add_argument("--prime", type=int, default=5, help="untimed asks after the first search (0: none)")
    parser.add_argument("--evict", action="store_true", help="drop the data dir from the page cache first")
    parser.add_argument("--evict-after-start", action="store_true",
                        help="drop it once the server is ready (and warmed): an idle spell that let the kernel "
                        "reclaim the page cache (pages the server maps stay)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--plot-only", type=Path, default=None, help="redraw --plot from this --json file")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.plot_only:
        plot(json.loads(args.plot_only.read_text()), args.plot)
        return

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="citewire-query-bench-"))
    questions = [json.loads(line)["question"] for line in open(args.data / "questions.jsonl")][: args.questions]
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        n_articles, n_chunks, ingest_s = grow_index(args.data, data_dir, size)
        print(f"index: {n_articles} articles, {n_chunks} chunks (+{ingest_s:.0f} s ingest)", file=sys.stderr)
        runs = [(m, w) for m in (args.answer_models.split(",") if args.answer_models else [None])
                for w in (args.warmup.split(",") if args.warmup else [None])]
        for model, warm in runs:
            if args.evict:
                evict_page_cache(data_dir)
            load_before = os.getloadavg()[0]
            server = Server(data_dir, model, warm, not args.no_wait_warmup)
            if args.evict_after_start:
                evict_page_cache(data_dir)
            try:
                with httpx.Client(base_url=server.url, timeout=300) as client:
                    first_ms = request(client, "search", "warm-up query about elections")
                    for q in questions[: args.prime]:
                        request(client, "ask", q)
                lat = latency(server.url, questions)
                rps = {c: throughput(server.url, questions, c, args.seconds) for c in levels}
                rss, peak = server.rss_mb()
            finally:
                server.stop()
            rows.append({"articles": n_articles, "chunks": n_chunks, "ingest_s": ingest_s, "first_query_ms": first_ms,
                         "answer_model": model or Settings().answer_model, "warmup": warm, "warmup_report": server.warmup,
                         "prime": args.prime, "evicted": args.evict, "evicted_after_start": args.evict_after_start, "ready_s": server.ready_s, "latency": lat, "rps": rps,
                         "rss_mb": rss, "peak_rss_mb": peak, "load_avg_1m_before": load_before,
                         "load_avg_1m": os.getloadavg()[0]})
            print(json.dumps(rows[-1]), file=sys.stderr)

    print(f"\nmachine: {os.cpu_count()} cores; 1-min load average during the runs: "
          + ", ".join(f"{r['load_avg_1m']:.1f}" for r in rows))
    print("\n| chunks | answer pipeline | warm-up (s) | search p50 / p95 / p99 ms | ask (no LLM) p50 / p95 / p99 ms | "
          + " | ".join(f"req/s @{c}" for c in levels) + " | server RSS (peak) MB | first query ms |")
    print("|---" * (7 + len(levels)) + "|")
    for r in rows:
        s, a = r["latency"]["search"], r["latency"]["ask"]
        wr = r["warmup_report"] or {}
        warm = f"{r['warmup'] or 'default'} ({wr['seconds']:.1f})" if wr.get("seconds") else (r["warmup"] or "default")
        print(f"| {r['chunks']:,} | {r['answer_model']} | {warm} | {s['p50']:.0f} / {s['p95']:.0f} / {s['p99']:.0f} | "
              f"{a['p50']:.0f} / {a['p95']:.0f} / {a['p99']:.0f} | "
              + " | ".join(f"{r['rps'][c]:.1f}" for c in levels)
              + f" | {r['rss_mb']:.0f} ({r['peak_rss_mb']:.0f}) | {r['first_query_ms']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if args.plot:
        plot(rows, args.plot)


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunks = [r["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    for kind, style in (("search", "o-"), ("ask", "s-")):
        for q, alpha in (("p50", 1.0), ("p95", 0.5)):
            ax.plot(chunks, [r["latency"][kind][q] for r in rows], style, alpha=alpha, label=f"/v1/{kind} {q}")
    for r in rows:
        ax.annotate(f"load {r.get('load_avg_1m', 0):.0f}", (r["chunks"], r["latency"]["ask"]["p95"]),
                    textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xlabel("chunks indexed (annotation: 1-min load average on the 2 cores during that run)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Query latency vs corpus size (2-core machine)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
