"""``citewire ingest`` and ``citewire samples``: articles into the stores, with progress and a one-line summary."""

from __future__ import annotations

import re
import signal
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import _services, cli, fail
from app.text import counted

_ONE_ARTICLE = (".txt", ".md", ".markdown", ".html", ".htm")  # files of one article each (JSON may hold many)
UPDATED_NAMED = 10  # the summary names the updated articles when there are this many or fewer


class _IngestProgress:
    """What ``citewire ingest`` shows while it runs. It counts articles as the store reports them (added, updated,
    unchanged or failed), not the files read, which run a batch or more ahead: the bar sat at "0 articles" under
    file names flashing past, then jumped. The total is the files' count when each holds one article (else none).
    On a terminal, a bar; elsewhere (a log, CI), one line every ``every`` seconds instead of one per file."""

    def __init__(self, files: list[Path], quiet: bool, stream=None, every: float = 5.0) -> None:
        import threading
        import time

        from tqdm import tqdm

        from app.ingest.loaders import suffix_of

        self.stream = stream or sys.stderr
        self.files, self.read, self.every, self._clock = len(files), 0, every, time.monotonic
        self.total = len(files) if all(suffix_of(f.name) in _ONE_ARTICLE for f in files) else None
        self.counts = {"added": 0, "updated": 0, "unchanged": 0, "failed": 0}
        self.updated: list[str] = []  # the first UPDATED_NAMED + 1 updated ids, for the summary
        self.terminal = self.stream.isatty()
        self.lines = not quiet and not self.terminal
        self.started = self.last = self._clock()
        self._lock = threading.Lock()  # files are read on this thread, outcomes reported on the writer's
        self.bar = tqdm(total=self.total, desc=self._label(), unit=" articles", disable=quiet or not self.terminal,
                        file=self.stream, dynamic_ncols=True)

    def _label(self) -> str:
        return f"read {self.read}/{self.files} files, ingested"

    def reading(self) -> None:
        """One more file opened."""
        self.read += 1
        self.bar.set_description_str(self._label(), refresh=False)  # set_description adds a ": " of its own
        self._tick()

    def stored(self, outcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status == "updated" and len(self.updated) <= UPDATED_NAMED:
            self.updated.append(outcome.article_id)
        self.bar.update(1)
        if outcome.status == "failed":
            # the id, unless the origin is a whole file that the id is named after ("story.txt" is "story")
            whole_file = not re.search(r"(?::\d+|\[\d+\])$", outcome.origin)
            named = (f" (id {outcome.article_id!r})" if outcome.article_id and not (
                whole_file and Path(outcome.origin).stem == outcome.article_id) else "")
            self.say(f"failed: {outcome.origin}{named}: {outcome.error}")  # the id, as the HTTP results name it
        self._tick()

    def say(self, line: str) -> None:
        if self.terminal:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def _tick(self) -> None:
        """Off a terminal: a line now and then, saying how far it got (" articles [" as tqdm's own lines)."""
        with self._lock:
            if not self.lines or self._clock() - self.last < self.every:
                return
            self.last = self._clock()
            done = sum(self.counts.values())
            articles = "article" if (self.total or done) == 1 else "articles"  # "1 article", "1/3 articles"
            self.say(f"{done}{f'/{self.total}' if self.total else ''} {articles} [{self.last - self.started:.0f} s] "
                     "ingested: " + ", ".join(f"{k} {v}" for k, v in self.counts.items())
                     + f"; read {self.read}/{counted(self.files, 'file')}")

    def close(self) -> None:
        if self.total and self.bar.n != self.total:  # two files of one id are one article; a stop: the truth
            self.bar.total = self.bar.n
            self.bar.refresh()
        self.bar.close()

    def named_updates(self, report) -> str:
        """" (a, b)" after "updated 2" when few were: a re-ingest that changed two of 400 articles says which. As the
        report counts them: an id added and then given again in a later batch is "added" (it showed "updated 0 (dup)")."""
        updated = [i for i in dict.fromkeys(self.updated) if report.status_of(i) == "updated"]
        if not updated or len(self.updated) > UPDATED_NAMED:
            return ""
        return f" ({', '.join(updated)})"


@cli.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files or folders (.txt .md .html .json .jsonl .jsonl.gz).")],
    batch: Annotated[int, typer.Option(min=1, help="Articles embedded and written per transaction.")] = 256,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Add or replace articles; identical content is left untouched."""
    from app.ingest.loaders import SUPPORTED_SUFFIXES, LoadedRecord, UnsupportedFile, load_path, walk_paths

    if any(not name for name in paths):  # Path("") is ".": `ingest "$UNSET"` ingested the whole current folder
        fail("an empty path names no file or folder (a variable that expanded to nothing?); the current folder "
             "is `.`", 2)
    given = [Path(name) for name in paths]
    skipped: list[tuple[Path, str]] = []
    try:
        # a file named twice (`ingest a.txt a.txt`, a folder and a file in it) is read once: it warned that its id
        # was "given 2 times", naming the same path twice. Keyed by name too: a link under another name is another
        # article id (`latest.txt` -> `2024-06-01.txt` stores both), and the first path seen keeps its place.
        unique: dict[tuple[Path, str], Path] = {}
        walked: dict[Path, Path | None] = {}  # the folder each file was found in (names a folder's index.html)
        for file, root in walk_paths(given, skipped):
            unique.setdefault((file.resolve(), file.name), file)
            walked.setdefault(file, root)
        files = list(unique.values())
    except (FileNotFoundError, UnsupportedFile) as exc:
        fail(str(exc), 2)
    left_out = ""
    if skipped:
        by_reason: dict[str, list[str]] = {}
        for file, why in skipped:  # by reason: a .git folder must not bury the one unsupported file
            by_reason.setdefault(why, []).append(file.name)
        named = "; ".join(f"{len(names)} {why} ({', '.join(names[:3])}{', …' if len(names) > 3 else ''})"
                          for why, names in by_reason.items())
        left_out = f"skipped {counted(len(skipped), 'file')}: {named}"
        if "unsupported type" in by_reason:  # the list of types says nothing about a README.md left out
            left_out += f"; supported: {' '.join(SUPPORTED_SUFFIXES)}"
    if not files:  # not "no supported files": a folder of a README.md alone holds a supported file
        fail("no files to ingest found" + (f": {left_out}" if left_out else ""), 2)
    services = _services()
    shown = _IngestProgress(files, quiet)

    # Two files of one name (in different folders) give one article id, and the later wins: name such files by
    # their path in what is reported, so the warning says which one that was.
    same_name = Counter(f.name for f in files)

    def read(file: Path):
        """A file that went between the listing and its turn (deleted, made unreadable, replaced by a folder) is
        that file failed, as a file that is not text is; it was a traceback that lost the batch read so far."""
        try:
            yield from load_path(file, walked[file])
        except OSError as exc:
            yield LoadedRecord(file.name, error=f"cannot read the file: {exc.strerror or exc}")

    def records():
        for file in files:
            shown.reading()
            if same_name[file.name] == 1:
                yield from read(file)
                continue
            for record in read(file):
                yield replace(record, origin=str(file) + record.origin[len(file.name):])

    stopped_by: list[int] = []

    def stop(signum, _frame) -> None:  # SIGTERM (docker stop, systemd) stops as Ctrl+C does
        stopped_by.append(signum)
        raise KeyboardInterrupt

    def stopped(why: str, code: int) -> None:  # the batches written stand whole; the rest were dropped unwritten
        shown.close()
        services.close()
        fail(f"{why}: " + ", ".join(f"{k} {v}" for k, v in shown.counts.items()) + " before the stop; those are "
             "stored whole, nothing after them was written; run the same command again to finish "
             "(stored articles are skipped as unchanged)", code)

    from app.ingest.service import IngestStopped

    previous_term = signal.signal(signal.SIGTERM, stop)
    try:
        report = services.ingest.ingest(records(), batch_articles=batch, on_progress=shown.stored,
                                        keep_outcomes=False, stop_on_failure=True)
    except KeyboardInterrupt:
        stopped("stopped by SIGTERM" if stopped_by else "interrupted", 128 + signal.SIGTERM if stopped_by else 130)
    except IngestStopped as exc:  # the first batch a store (down, disk full) could not write: the ingest ends there
        stopped(f"stopped: {exc}", 1)
    except Exception as exc:  # a store that went away mid-run (a PostgreSQL restart): one line, not a traceback
        from app.dependency_errors import classify
        from app.store.failures import store_failure

        failure = store_failure(exc) or classify(exc)
        if failure is None:
            raise
        stopped(failure.message(), 1)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
    shown.close()
    for warning in report.warnings:  # an id given twice: stored once (the last record), counted once
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    c = report.counts
    typer.echo(
        f"added {c['added']}, updated {c['updated']}{shown.named_updates(report)}, unchanged {c['unchanged']}, failed {c['failed']} "
        f"({counted(report.chunks_written, 'chunk')} written)"
        + ("; nothing changed" if not (c["added"] or c["updated"]) and not c["failed"] else "")
        + (f"; {left_out}" if left_out else "")
    )
    services.close()
    if c["failed"]:
        raise typer.Exit(1)


@cli.command()
def samples() -> None:
    """Index the bundled sample articles (idempotent)."""
    from app.ingest.service import IngestStopped
    from app.samples import index_samples

    services = _services()
    try:
        report = index_samples(services.ingest, stop_on_failure=True)
    except IngestStopped as exc:  # a full disk, a store that is down: it said "failed 8" and exited 0
        fail(f"samples: {exc}")
    finally:
        services.close()
    c = report.counts  # as `citewire ingest` says it
    typer.echo(f"added {c['added']}, updated {c['updated']}, unchanged {c['unchanged']}, failed {c['failed']} "
               f"({counted(report.chunks_written, 'chunk')} written)"
               + ("; nothing changed" if not (c["added"] or c["updated"]) and not c["failed"] else ""))
    if report.counts["failed"]:
        fail("; ".join(f"{o.article_id}: {o.error}" for o in report.failures[:3]))
