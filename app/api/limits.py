"""Reject request bodies over the configured size before they are read into memory."""

from __future__ import annotations

import json

from app.api.security import error_payload, route_path


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._reject(send, route_path(scope))
        seen = 0
        answered = started = False  # the 413 sent; the app's own response begun

        async def counting_receive():
            nonlocal seen, answered
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Answer here: FastAPI turns any error raised while it parses a JSON body into its own 400
                    # "There was an error parsing the body", so raising alone lost the 413 for chunked bodies.
                    if not answered and not started:
                        answered = True
                        await self._reject(send, route_path(scope))
                    raise BodyTooLarge
            return message

        async def guarded_send(message):
            nonlocal started
            if answered:  # the app's reply to a body it could not read (that 400): the 413 went out already
                return
            started = True
            await send(message)

        rejected = False
        try:
            await self.app(scope, counting_receive, guarded_send)
        except* BodyTooLarge:  # a streaming response reads the request in a task group: the error comes grouped
            rejected = True
        if rejected and not answered and not started:
            await self._reject(send, route_path(scope))

    async def _reject(self, send, path: str) -> None:
        payload = error_payload(path, 413, "request body too large", f"limit is {self.max_bytes} bytes")
        body = json.dumps(payload).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
