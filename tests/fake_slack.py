"""FakeSlack: a real HTTP server on 127.0.0.1 speaking the few Slack Web API methods the bot uses
(auth.test, chat.postMessage, chat.update, conversations.replies, apps.connections.open), a
response_url endpoint and a Socket Mode WebSocket. It keeps posted messages per thread, so
conversations.replies serves the real thread, and records every call. Tests only."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections import deque
from urllib.parse import parse_qsl

import uvicorn
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

BOT_USER_ID = "UCITEWIRE"
BOT_ID = "BCITEWIRE"
TEAM_ID = "T0TEAM"


class FakeSlack:
    def __init__(self, token: str = "xoxb-test-token") -> None:
        self.token = token
        self.calls: list[dict] = []
        self.responses: list[dict] = []  # POSTs to response_url
        self.messages: dict[str, list[dict]] = {}  # channel -> messages (thread replies included)
        self.failures: dict[str, deque] = {}  # method -> scripted failures, used first
        self.socket_acks: list[dict] = []
        self._outbox: asyncio.Queue | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.app = self._build()
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     ws="websockets-sansio"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    # --- set-up -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def add_message(self, channel: str, text: str, user: str = "UALICE", thread_ts: str | None = None,
                    **extra) -> dict:
        """A message people (or bots) wrote, so conversations.replies can return it."""
        message = {"type": "message", "ts": self.next_ts(), "user": user, "text": text, **extra}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return message

    def fail(self, method: str, status: int = 429, error: str = "ratelimited", retry_after: int = 1,
             times: int = 1) -> "FakeSlack":
        for _ in range(times):
            self.failures.setdefault(method, deque()).append({"status": status, "error": error,
                                                              "retry_after": retry_after})
        return self

    # --- reading what happened ----------------------------------------------------------------
    def calls_to(self, method: str) -> list[dict]:
        with self._lock:
            return [c for c in self.calls if c["method"] == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0, ok_only: bool = True) -> list[dict]:
        deadline = time.time() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c["method"] == method and (c["ok"] or not ok_only)]
                if len(found) >= count or time.time() > deadline:
                    return found
                self._changed.wait(timeout=0.1)

    # --- Socket Mode ---------------------------------------------------------------------------
    def send_envelope(self, envelope: dict) -> None:
        assert self._loop is not None and self._outbox is not None, "no Socket Mode client connected"
        self._loop.call_soon_threadsafe(self._outbox.put_nowait, envelope)

    def wait_socket_connected(self, timeout: float = 20.0) -> bool:
        deadline = time.time() + timeout
        while self._outbox is None and time.time() < deadline:
            time.sleep(0.05)
        return self._outbox is not None

    # --- server ---------------------------------------------------------------------------------
    def __enter__(self) -> "FakeSlack":
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started and time.time() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def _record(self, call: dict) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/api/{method}", methods=["GET", "POST"])
        async def web_api(method: str, request: Request):
            params = dict(request.query_params)
            raw = await request.body()
            if raw:
                if request.headers.get("content-type", "").startswith("application/json"):
                    params |= json.loads(raw)
                else:
                    params |= dict(parse_qsl(raw.decode()))
            for key in ("blocks", "metadata"):  # form-encoded calls carry these as JSON strings
                if isinstance(params.get(key), str):
                    params[key] = json.loads(params[key])
            call = {"method": method, "params": params, "auth": request.headers.get("authorization"),
                    "retry": request.headers.get("x-slack-retry-num"), "ok": False}
            failures = self.failures.get(method)
            if failures:
                failure = failures.popleft()
                self._record(call | {"status": failure["status"]})
                headers = {"Retry-After": str(failure["retry_after"])} if failure["status"] == 429 else {}
                return JSONResponse({"ok": False, "error": failure["error"]}, status_code=failure["status"],
                                    headers=headers)
            token = (call["auth"] or "").removeprefix("Bearer ")
            if token not in (self.token, "xapp-test-token"):
                self._record(call | {"status": 200})
                return {"ok": False, "error": "invalid_auth"}
            body = self._answer(method, params)
            self._record(call | {"ok": body.get("ok", False), "status": 200, "response": body})
            return body

        @app.post("/response/{name}")
        async def response_url(name: str, request: Request):
            payload = await request.json()
            self._record({"method": "response_url", "params": payload, "ok": True, "name": name})
            return "ok"

        @app.websocket("/socket")
        async def socket_mode(ws: WebSocket):
            await ws.accept()
            self._loop, self._outbox = asyncio.get_running_loop(), asyncio.Queue()
            await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})

            async def pump():
                while True:
                    await ws.send_json(await self._outbox.get())

            sender = asyncio.create_task(pump())
            try:
                while True:
                    ack = json.loads(await ws.receive_text())
                    self._record({"method": "socket_ack", "params": ack, "ok": True})
            except WebSocketDisconnect:
                pass
            finally:
                sender.cancel()

        return app

    def _answer(self, method: str, params: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "url": "https://citewire-test.slack.com/", "team": "Test", "user": "citewire",
                    "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method == "chat.postMessage":
            channel = params["channel"]
            if channel.startswith("CNOTIN"):
                return {"ok": False, "error": "not_in_channel"}
            message = {"type": "message", "ts": self.next_ts(), "user": BOT_USER_ID, "bot_id": BOT_ID,
                       "text": params.get("text", ""), "blocks": params.get("blocks"),
                       "metadata": params.get("metadata")}
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            with self._lock:
                self.messages.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        if method == "chat.update":
            with self._lock:
                for message in self.messages.get(params["channel"], []):
                    if message["ts"] == params["ts"]:
                        message.update(text=params.get("text", ""), blocks=params.get("blocks"))
                        return {"ok": True, "channel": params["channel"], "ts": params["ts"]}
            return {"ok": False, "error": "message_not_found"}
        if method == "conversations.replies":
            root = params["ts"]
            with self._lock:
                thread = [m for m in self.messages.get(params["channel"], [])
                          if m["ts"] == root or m.get("thread_ts") == root]
            return {"ok": True, "messages": sorted(thread, key=lambda m: float(m["ts"])), "has_more": False}
        return {"ok": False, "error": "unknown_method"}
