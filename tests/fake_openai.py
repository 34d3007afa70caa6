"""FakeOpenAIServer: a real HTTP server on 127.0.0.1 speaking OpenAI chat completions (plain and
streaming) and embeddings, replaying scripted replies and recording what it was sent. Tests only."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
import time
from collections import deque

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse


class FakeOpenAIServer:
    def __init__(self) -> None:
        self.replies: deque[dict] = deque()
        self.requests: list[dict] = []
        self.stream_finished = threading.Event()
        self.stream_cancelled = threading.Event()
        self.chunks_sent = 0
        self.default = None
        self.app = self._build()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def reply(self, content: str = "", status: int = 200, delay: float = 0.0,
              break_after: int | None = None, message: str = "scripted failure") -> "FakeOpenAIServer":
        """``break_after``: a streamed reply dies after that many words (the connection drops mid-answer).
        ``message``: the OpenAI-shaped error's message, for a ``status`` other than 200."""
        self.replies.append({"content": content, "status": status, "delay": delay, "break_after": break_after,
                             "message": message})
        return self

    def reply_raw(self, body: str, media_type: str, status: int = 200) -> "FakeOpenAIServer":
        """Answer with ``body`` as it is, streamed request or not: what a web UI's page at that URL sends."""
        self.replies.append({"raw": body, "media_type": media_type, "status": status})
        return self

    def reply_with(self, make_reply) -> "FakeOpenAIServer":
        """Answer every request that has no scripted reply with ``make_reply(request_body) -> str``."""
        self.default = make_reply
        return self

    def __enter__(self) -> "FakeOpenAIServer":
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started and time.time() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request):
            body = await request.json()
            self.requests.append(body)
            if self.replies:
                script = self.replies.popleft()
            else:
                content = self.default(body) if self.default else "INSUFFICIENT_CONTEXT"
                script = {"content": content, "status": 200, "delay": 0}
            if "raw" in script:
                return Response(script["raw"], status_code=script["status"], media_type=script["media_type"])
            if script["status"] != 200:
                return JSONResponse({"error": {"message": script.get("message", "scripted failure"),
                                               "type": "rate_limit"}},
                                    status_code=script["status"], headers={"retry-after": "0"})
            words = [w + " " for w in script["content"].split(" ")]
            usage = {"prompt_tokens": 100, "completion_tokens": len(words), "total_tokens": 100 + len(words)}
            if not body.get("stream"):
                choice = {"index": 0, "finish_reason": "stop",
                          "message": {"role": "assistant", "content": script["content"]}}
                if body.get("logprobs"):  # a judge: "yes 0.9" scripts P(yes) = 0.9
                    word, _, p = script["content"].partition(" ")
                    try:  # any other reply (a default meant for answers) is read by its first word
                        p_yes = float(p) if p else (0.95 if word == "yes" else 0.05)
                    except ValueError:
                        p_yes = 0.95 if word == "yes" else 0.05
                    choice["message"]["content"] = word
                    choice["logprobs"] = {"content": [{"token": word, "logprob": 0.0, "bytes": None, "top_logprobs": [
                        {"token": "yes", "logprob": float(np.log(p_yes)), "bytes": None},
                        {"token": "no", "logprob": float(np.log(1 - p_yes)), "bytes": None}]}]}
                return {"id": "fake", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [choice], "usage": usage}

            async def events():
                try:
                    for n, word in enumerate(words):
                        if script.get("break_after") is not None and n >= script["break_after"]:
                            raise RuntimeError("scripted mid-stream failure")  # uvicorn drops the connection
                        chunk = {"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                                 "choices": [{"index": 0, "delta": {"content": word}, "finish_reason": None}]}
                        yield f"data: {json.dumps(chunk)}\n\n"
                        self.chunks_sent += 1
                        await asyncio.sleep(script["delay"])
                    final = {"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                             "choices": [], "usage": usage}
                    yield f"data: {json.dumps(final)}\n\n"
                    yield "data: [DONE]\n\n"
                    self.stream_finished.set()
                except asyncio.CancelledError:
                    self.stream_cancelled.set()
                    raise

            return StreamingResponse(events(), media_type="text/event-stream")

        @app.post("/v1/embeddings")
        async def embeddings(request: Request):
            body = await request.json()
            inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
            data = []
            for i, text in enumerate(inputs):
                vector = np.zeros(64)
                for word in str(text).lower().split():  # bag of hashed words: similar texts, similar vectors
                    vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1
                data.append({"object": "embedding", "index": i, "embedding": vector.tolist()})
            return {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}}

        return app
