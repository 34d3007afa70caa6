"""``citewire serve``, ``mcp`` and ``slack``: the long-running adapters, with their one-line start-up checks."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from app.cli.common import _claim_data_dir, _local_model_failed, _services, _settings, cli, fail
from app.config import Settings


@cli.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    with_samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Index the sample articles first.")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes; more than one needs a Chroma server "
                                                     "(CITEWIRE_CHROMA_URL).")] = 1,
) -> None:
    """Run the HTTP API with uvicorn."""
    import uvicorn

    from app.main import create_app

    settings = _settings()
    if workers > 1 and not settings.chroma_url:  # each worker would open the embedded store: the second one fails
        fail(f"--workers {workers} needs a Chroma server (CITEWIRE_CHROMA_URL): the embedded store is one "
             "process's alone (README *Scaling out*)", 2)
    _check_listen(host, port)
    _check_local_model(settings)
    _check_background_table(settings)
    _check_answer_models()
    if with_samples:
        settings = settings.model_copy(update={"index_samples": True})
    _claim_data_dir(settings)
    _check_record_schema(settings)
    from app.observability.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)  # JSON lines with request ids; our access log
    if workers > 1:
        _serve_workers(host, port, workers, with_samples)
        return
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


def _check_local_model(settings: Settings) -> None:
    """``serve`` builds its services inside uvicorn's start-up, where a missing or broken GGUF was a traceback and
    "Application startup failed": the checks that need no model load, first, with _services()'s one line."""
    if settings.llm_base_url or not settings.local_model:
        return
    from app.llm.local import LocalModelError, check_local_model
    from app.llm.model_prep import resolve_local_model

    try:
        check_local_model(resolve_local_model(settings.local_model, settings.models_dir))
    except LocalModelError as exc:
        _local_model_failed(settings, exc)


def _check_background_table(settings: Settings) -> None:
    """``serve`` builds its services inside uvicorn's start-up: a damaged word-frequency table, with the weight set,
    is _services()'s one line first, not "Application startup failed" after a trace."""
    if settings.background_df_weight <= 0:
        return
    from app.retrieval.background import BackgroundTableError, load_background

    try:
        load_background()
    except BackgroundTableError as exc:
        fail(str(exc))


def _check_answer_models() -> None:
    """``serve`` builds its services inside uvicorn's start-up: a damaged shipped model file is one line first."""
    from app.retrieval.learned import ModelFileError, load_models

    try:
        load_models()
    except ModelFileError as exc:
        fail(str(exc))


def _check_record_schema(settings: Settings) -> None:
    """A record written by a newer Citewire: one line before uvicorn starts (refused in its start-up, it was
    "Application startup failed" under a traceback). The other commands meet it opening the store (_services)."""
    if settings.lexical_url:
        return  # checked when the PostgreSQL record opens, in the server's start-up
    from app.store.failures import SchemaTooNew
    from app.store.records import check_schema

    try:
        check_schema(settings.records_path)
    except SchemaTooNew as exc:
        fail(str(exc))


class _WorkerFailed(logging.Filter):
    """Notices uvicorn's supervisor giving up on a worker that failed to start: it stops the server then, and
    uvicorn.run returns as after Ctrl+C (``uvicorn --workers N`` exits 0), so the CLI could not tell otherwise.
    A filter on the supervisor's logger, lowered to ERROR while serving, so that the message is seen at any
    CITEWIRE_LOG_LEVEL (at CRITICAL it was never made); records below the configured level stop here."""

    def __init__(self, shown_level: int) -> None:
        super().__init__()
        self.shown_level = shown_level
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        self.seen = self.seen or "failed to start" in record.getMessage()
        return record.levelno >= self.shown_level


def _serve_workers(host: str, port: int, workers: int, with_samples: bool) -> None:
    """Several uvicorn workers, each building its app from the environment (app.main:create_app); the samples are
    indexed once, here, first. A worker that fails to start stops the server and this command with exit 1."""
    import uvicorn

    if with_samples:
        from app.samples import index_samples

        services = _services()
        try:
            index_samples(services.ingest)
        finally:
            services.close()
    import os
    import shutil
    import tempfile

    # each worker counts in its own process: /metrics sums them from files here (prometheus_client's multiprocess
    # mode; the workers are spawned after this, so they read it at import). A fresh folder: no old worker's counts.
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="citewire-metrics-")
    supervisor_log = logging.getLogger("uvicorn.error")
    level = supervisor_log.level
    watcher = _WorkerFailed(supervisor_log.getEffectiveLevel())
    supervisor_log.addFilter(watcher)
    supervisor_log.setLevel(min(supervisor_log.getEffectiveLevel(), logging.ERROR))
    try:
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, log_config=None,
                    access_log=False)
    finally:
        supervisor_log.removeFilter(watcher)
        supervisor_log.setLevel(level)
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if watcher.seen:
        fail("a worker failed to start, so the server stopped (its error is logged above; not at "
             "CITEWIRE_LOG_LEVEL=CRITICAL: lower it to see why)")


def _check_listen(host: str, port: int) -> None:
    """A port in use or a host that does not resolve: one line before anything starts (uvicorn logged it as
    JSON after building the services and warming up, then exited 3)."""
    import socket

    # bound as uvicorn's asyncio create_server binds: every address the host resolves to, an IPv6 socket
    # IPv6-only (so an IPv4 listener on the same port does not make "::" look taken)
    try:
        addresses = {info[0:1] + info[4:5] for info in socket.getaddrinfo(
            host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)}
        for family, address in sorted(addresses, key=str):
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@cli.command(name="mcp")
def mcp_server(
    with_samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Index the sample articles first.")] = False,
) -> None:
    """Serve the MCP tools and article resources over stdio (for Claude Desktop and other MCP hosts)."""
    import contextlib

    from app.mcp.server import create_mcp_server

    with contextlib.redirect_stdout(sys.stderr):  # stdout carries the protocol only
        services = _services()
        if with_samples:
            from app.samples import index_samples

            index_samples(services.ingest)
    try:
        create_mcp_server(lambda: services).run("stdio")
    finally:
        services.close()


@cli.command()
def slack(
    socket: Annotated[bool, typer.Option("--socket", help="Connect to Slack over Socket Mode (no public URL needed).")] = False,
    with_samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Index the sample articles first.")] = False,
) -> None:
    """Run the Slack bot over Socket Mode (HTTP mode: `citewire serve` with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)."""
    settings = _settings()
    if not socket:
        fail("use --socket, or run `citewire serve` with SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET set "
             "for HTTP mode at /slack/events", 2)
    from slack_bolt.error import BoltError

    from app.slack.socket import missing_tokens, socket_mode_handler

    problem = missing_tokens(settings)
    if problem:
        fail(problem, 2)
    services = _services()
    if with_samples:
        from app.samples import index_samples

        index_samples(services.ingest)
    try:
        handler = socket_mode_handler(settings, services)
        handler.connect()
    except BoltError as exc:
        services.close()
        fail(f"Slack refused the bot token: {exc}")
    except Exception as exc:  # apps.connections.open refused, network down, ...
        services.close()
        fail(f"cannot connect to Slack: {type(exc).__name__}: {exc}")
    typer.echo("citewire: connected to Slack over Socket Mode; Ctrl+C stops")
    import threading

    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        services.close()
