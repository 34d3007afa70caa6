"""``citewire delete``, ``repair``, ``check`` and ``list``: looking after what the stores hold."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import _checked_article_id, _listed_date, _record_store, _services, cli, fail
from app.text import counted


@cli.command()
def delete(article_id: Annotated[str, typer.Argument()]) -> None:
    """Remove an article and its chunks from every index."""
    from app.store.failures import store_failure

    _checked_article_id(article_id)  # before the store opens: a usage error, as the API's 422
    services = _services()
    try:
        removed = services.ingest.delete(article_id)
    except Exception as exc:  # a full disk: the removal was rolled back, the article is still whole
        failure = store_failure(exc)
        if failure is None:
            raise
        fail(f"cannot delete {article_id}: {failure.message()}")
    finally:
        services.close()
    if not removed:
        fail(f"no article with id {article_id!r}")
    typer.echo(f"deleted {article_id}")


@cli.command()
def repair(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, change nothing.")] = False,
) -> None:
    """Delete vectors whose chunk the record lacks (left by a crashed write) and re-embed missing ones."""
    from app.dependency_errors import classify
    from app.ingest.repair import repair as repair_store
    from app.store.failures import store_failure

    services = _services(create_collection=not dry_run)  # looking must not make a missing collection
    try:
        report = repair_store(services.records, services.vectors, services.embedder, dry_run=dry_run)
    except Exception as exc:  # a store that went away midway: what was repaired stays repaired
        failure = store_failure(exc) or classify(exc)
        fail(f"repair stopped: {failure.message() if failure else f'{type(exc).__name__}: {exc}'}; "
             "run it again once the stores answer")
    finally:
        services.close()
    verb = ("would delete", "would re-embed") if dry_run else ("deleted", "re-embedded")
    typer.echo(f"checked {counted(report.vectors, 'vector')} and {counted(report.chunks, 'chunk')}: {verb[0]} "
               f"{counted(report.orphans, 'orphan vector')}, {verb[1]} {report.missing} missing"
               + (f" ({report.skipped} rewritten or deleted meanwhile, left to their writer)" if report.skipped else "")
               + (f"; the vector collection '{services.settings.collection}' is missing: repair makes it"
                  if services.vectors.absent else ""))


@cli.command(name="check")
def check_stores(
    repair: Annotated[bool, typer.Option("--repair", help="Make the stores agree again, from what the record holds.")] = False,
) -> None:
    """Compare the record, its lexical postings and the vectors; exit 1 on a mismatch (--repair fixes it)."""
    from app.dependency_errors import classify
    from app.ingest.check import check
    from app.ingest.check import repair as repair_stores
    from app.store.failures import store_failure

    services = _services(create_collection=repair)  # looking must not make a missing collection
    try:
        report = check(services.records, services.vectors)
        for line in report.table():
            typer.echo(line)
        if not report.mismatches:
            typer.echo("consistent: the record, its lexical postings and the vectors agree")
            return
        if not repair:
            typer.secho(f"error: {counted(report.mismatches, 'mismatch', 'mismatches')} between the stores: run "
                        "`citewire check --repair`",
                        fg=typer.colors.RED, err=True)
            raise typer.Exit(1)
        typer.echo(repair_stores(services.ingest, report).line())
        after = check(services.records, services.vectors)
    except typer.Exit:
        raise
    except Exception as exc:  # a store that went away or filled up midway: what was repaired stays repaired
        failure = store_failure(exc) or classify(exc)
        if failure is None:
            raise
        fail(f"check stopped: {failure.message()}; run it again once the stores answer")
    finally:
        services.close()
    if after.mismatches:
        for line in after.table():
            typer.echo(line)
        fail(f"{counted(after.mismatches, 'mismatch', 'mismatches')} {'is' if after.mismatches == 1 else 'are'} left "
             "after the repair (written meanwhile?): run it again")
    typer.echo("consistent after the repair")


@cli.command(name="list")
def list_articles(limit: Annotated[int, typer.Option(min=1)] = 50) -> None:
    """List stored articles, newest first."""
    records = _record_store()  # the record alone: no embedder or Chroma to load (about 1.5 s of start-up)
    try:
        articles, total = records.list_articles(limit=limit)
    finally:
        records.close()
    for a in articles:
        typer.echo(f"{a.id}\t{_listed_date(a.published_at)}\t{a.source}\t{a.title}")
    typer.echo(f"({len(articles)} of {total})")
