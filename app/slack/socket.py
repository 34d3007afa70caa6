"""Socket Mode: the bot opens a WebSocket to Slack, so it needs no public URL (``citewire slack --socket``)."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from app.config import Settings
from app.services import Services
from app.slack.bot import build_app


class MissingTokens(ValueError):
    pass


def missing_tokens(settings: Settings) -> str | None:
    """Why Socket Mode cannot start, in one line, or None."""
    missing = [name for name, value in (("SLACK_BOT_TOKEN", settings.slack_bot_token),
                                        ("SLACK_APP_TOKEN", settings.slack_app_token)) if not value]
    if not missing:
        return None
    return (f"Socket Mode needs {' and '.join(missing)} set (a bot token xoxb-… and an app-level token xapp-… "
            "with connections:write); see the README's Slack section")


def socket_mode_handler(settings: Settings, services: Services) -> SocketModeHandler:
    """A handler ready to ``connect()``; building it checks the bot token with ``auth.test``."""
    problem = missing_tokens(settings)
    if problem:
        raise MissingTokens(problem)
    bolt = build_app(settings, lambda: services, http=False)
    return SocketModeHandler(bolt, app_token=settings.slack_app_token.get_secret_value())
