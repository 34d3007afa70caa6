"""The ``citewire`` command line (the console script is ``app.cli:main``): the command modules' commands on one app."""

from __future__ import annotations

import logging

from app.cli import ask, evaluate, ingest, model, serve, stores  # noqa: F401 -- importing one registers its commands
from app.cli.common import cli

__all__ = ["cli", "main"]

# `citewire --help` lists the commands in the order they were registered, which is the order the modules above are
# imported in (alphabetical); this puts them back in the order the help has always shown (one not named here: last).
HELP_ORDER = ("ingest", "ask", "search", "summarize", "delete", "repair", "check", "list", "model", "samples", "eval",
              "serve", "mcp", "slack")


def _help_place(command) -> int:
    name = command.name or command.callback.__name__
    return HELP_ORDER.index(name) if name in HELP_ORDER else len(HELP_ORDER)


cli.registered_commands.sort(key=_help_place)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cli()
