"""The MCP server over streamable HTTP at ``/mcp`` inside the FastAPI app.

The SDK's session manager must run for as long as the app serves, so ``running()`` is entered in
the FastAPI lifespan. A manager runs only once, so each start builds a fresh one: an app that is
started twice (tests do) still works.

``GET /mcp`` is answered 405 at once. In the SDK a GET opens the standalone SSE stream for messages the
server starts; stateless, this server has no session to start any, so the stream would stay open and empty
(a browser or curl hung on it). The spec lets a server without that stream answer 405, and the SDK's
client never asks for it without a session id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from app.mcp.server import create_mcp_server
from app.services import Services

MCP_PATH = "/mcp"


def transport_security(allowed_hosts: list[str]) -> TransportSecuritySettings:
    """DNS-rebinding protection: only these Host headers (and matching browser Origins) are served."""
    if "*" in allowed_hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    # "host:*" is any port, the default one too: a client at https://host/mcp sends "Host: host" (no port), which
    # the SDK's wildcard (host.startswith(base + ":")) refuses
    allowed_hosts = list(dict.fromkeys([*allowed_hosts, *(h[:-2] for h in allowed_hosts if h.endswith(":*"))]))
    origins = [f"{scheme}://{host}" for host in allowed_hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=allowed_hosts,
                                     allowed_origins=origins)


class MCPHttpEndpoint:
    """ASGI endpoint; stateless (like /v1/chat, no session state on the server), so any replica answers."""

    def __init__(self, services: Callable[[], Services], allowed_hosts: list[str]) -> None:
        self.server = create_mcp_server(services)
        self._security = transport_security(allowed_hosts)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.server.streamable_http_app(stateless_http=True, transport_security=self._security)  # a new manager
        async with self.server.session_manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            await _NO_EVENT_STREAM(scope, receive, send)
            return
        await self.server.session_manager.handle_request(scope, receive, send)


_NO_EVENT_STREAM = JSONResponse(
    {"error": "method not allowed",
     "detail": "GET /mcp opens no event stream on this stateless MCP server; an MCP client sends its JSON-RPC "
               "requests as POST /mcp (streamable HTTP), e.g. mcp.client.streamable_http_client(URL)"},
    status_code=405, headers={"Allow": "POST"})
