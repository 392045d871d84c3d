"""A local HTTP stub of the OpenAI chat completions API, on 127.0.0.1, for tests
that point the real client (openai SDK / LangChain ChatOpenAI) at it.

`reply(body)` returns `(status, payload)` or `(status, payload, headers)` (extra
response headers, e.g. Retry-After on a 429); it runs on the server's request thread,
so a reply may sleep to simulate latency. `max_in_flight` is the most requests the
stub served at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[
    [dict[str, Any]],
    tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]],
]


def completion(text: str, model: str = "stub-model") -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@dataclass
class OpenAIStub:
    reply: Reply
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""
    max_in_flight: int = 0
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # concurrent clients open connections faster than 5 a burst


@contextmanager
def openai_stub(reply: Reply) -> Iterator[OpenAIStub]:
    stub = OpenAIStub(reply)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            stub.requests.append({"path": self.path, **body})
            stub.headers.append(dict(self.headers))
            stub.enter()
            try:
                status, payload, *extra = stub.reply(body)
            finally:
                stub.leave()
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
