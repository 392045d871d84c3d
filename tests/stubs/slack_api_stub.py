"""A local HTTP stub of the Slack Web API, on 127.0.0.1, for tests that point the real
slack_sdk / slack-bolt clients at it (``WebClient(base_url=stub.base_url)``).

It records every call, answers with realistic ``{"ok": true, ...}`` payloads, can fail
calls on demand (rate limits, server errors, Slack errors) and also serves response_url
endpoints and the files registered with ``add_file`` (``files.info`` and a download
URL that needs the bot token as a Bearer token), and ``usergroups.users.list`` for the
user groups set with ``set_usergroup``."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

RESPONSE_PREFIX = "response/"
FILES_PREFIX = "files/"
UPLOAD_PREFIX = "upload/"
TEAM_URL = "https://ft-advisor-test.slack.com/"


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Return the signature headers Slack sends with a request body (Content-Type is
    left to the caller)."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Call:
    """One request received by the stub (failed attempts included)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int = 200
    failed: bool = False
    response: dict[str, Any] | None = None  # the payload the stub answered with

    def json_field(self, name: str) -> Any:
        """Return a param, json-decoded if Slack received it as a JSON string."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value

    def header(self, name: str) -> str | None:
        """Return a request header, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class Failure:
    """A programmed failure: HTTP status, optional Retry-After and Slack error code."""

    status: int
    error: str
    retry_after: int | None = None


@dataclass(frozen=True)
class StubFile:
    """A file ``files.info`` describes; ``size`` and ``url`` may lie on purpose."""

    id: str
    name: str
    content: bytes
    filetype: str
    size: int
    url: str


@dataclass
class SlackStub:
    """State of a running stub; all methods are thread-safe."""

    base_url: str = ""
    root_url: str = ""
    bot_token: str | None = None  # downloads need ``Authorization: Bearer <bot_token>``
    _files: dict[str, StubFile] = field(default_factory=dict)
    _calls: list[Call] = field(default_factory=list)
    _failures: dict[str, deque[Failure]] = field(default_factory=lambda: defaultdict(deque))
    _replies: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    remember_posts: bool = False  # threaded posts show up in conversations.replies
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> uploaded bytes
    _users: dict[str, dict[str, Any]] = field(default_factory=dict)
    _usergroups: dict[str, list[str]] = field(default_factory=dict)
    _ts_counter: int = 0
    _cond: threading.Condition = field(default_factory=threading.Condition)

    # --- configuration ---------------------------------------------------------

    def response_url(self, name: str) -> str:
        """URL on this server that records POSTed JSON like a Slack response_url."""
        return f"{self.root_url}{RESPONSE_PREFIX}{name}"

    def fail(
        self,
        method: str,
        status: int = 200,
        retry_after: int = 1,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Queue ``times`` failures of ``method``, consumed in order before normal handling.

        status=429 -> rate limited (Retry-After header), status>=500 -> internal_error,
        otherwise HTTP 200 with ``{"ok": false, "error": error}``."""
        if status == 429:
            failure = Failure(429, error or "ratelimited", retry_after)
        elif status >= 500:
            failure = Failure(status, error or "internal_error")
        else:
            failure = Failure(status, error or "unknown_error")
        with self._cond:
            self._failures[method].extend(failure for _ in range(times))

    def set_replies(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """Set the messages conversations.replies returns for (channel, thread_ts)."""
        with self._cond:
            self._replies[(channel, thread_ts)] = list(messages)

    def set_user(self, user_id: str, user: dict[str, Any]) -> None:
        """Set the user object users.info returns for ``user_id``."""
        with self._cond:
            self._users[user_id] = {"id": user_id, **user}

    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        """Set the members usergroups.users.list returns for ``group_id``; other group
        ids answer ``no_such_subteam``."""
        with self._cond:
            self._usergroups[group_id] = list(users)

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        filetype: str = "jsonl",
        size: int | None = None,
        url: str | None = None,
    ) -> str:
        """Register a file for ``files.info``; return its download URL (on this stub
        unless ``url`` says otherwise)."""
        url = url or f"{self.root_url}{FILES_PREFIX}{file_id}/{name}"
        actual = len(content) if size is None else size
        with self._cond:
            self._files[file_id] = StubFile(file_id, name, content, filetype, actual, url)
        return url

    # --- inspection ------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Recorded calls, optionally only those of ``method``."""
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def downloads(self, file_id: str) -> list[Call]:
        """Download requests for ``file_id`` (refused ones included, status 401)."""
        return self.calls(f"{FILES_PREFIX}{file_id}")

    def responses(self, name: str) -> list[dict[str, Any]]:
        """JSON bodies POSTed to ``response_url(name)``."""
        return [c.params for c in self.calls(f"{RESPONSE_PREFIX}{name}")]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived; return them.

        For a response_url use ``method=f"response/{name}"``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({c.method for c in self._calls})
                    raise AssertionError(
                        f"Slack stub: expected {count} call(s) to {method!r} within "
                        f"{timeout}s, got {len(found)}; methods seen: {seen}"
                    )
                self._cond.wait(left)

    def clear(self) -> None:
        """Forget recorded calls and pending failures (replies and users are kept)."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()

    # --- request handling (called from the server threads) ---------------------

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def _next_failure(self, method: str) -> Failure | None:
        with self._cond:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def _next_ts(self) -> str:
        with self._cond:
            self._ts_counter += 1
            micros = 1_700_000_000_000_000 + self._ts_counter * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The successful response payload for ``method``."""
        channel = params.get("channel", "C1")
        if method == "auth.test":
            return {
                "ok": True,
                "url": TEAM_URL,
                "team": "ft-advisor-test",
                "user": "ft-advisor",
                "team_id": "T1",
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            message: dict[str, Any] = {
                "type": "message",
                "user": "UBOT",
                "bot_id": "BBOT",
                "text": params.get("text", ""),
                "ts": ts,
            }
            if "blocks" in params:
                message["blocks"] = _decoded(params["blocks"])
            if "thread_ts" in params:
                message["thread_ts"] = params["thread_ts"]
            if "metadata" in params:
                message["metadata"] = _decoded(params["metadata"])
            if self.remember_posts and params.get("thread_ts"):
                with self._cond:
                    self._replies.setdefault((channel, str(params["thread_ts"])), []).append(
                        message)
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "files.getUploadURLExternal":
            file_id = f"FUP{len(self.calls(method)) + 1}"
            return {"ok": True, "file_id": file_id,
                    "upload_url": f"{self.root_url}{UPLOAD_PREFIX}{file_id}"}
        if method == "files.completeUploadExternal":
            files = _decoded(params.get("files", "[]"))
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")}
                                          for f in files]}
        if method == "chat.update":
            ts = params.get("ts", "")
            message = {"text": params.get("text", "")}
            if "blocks" in params:
                message["blocks"] = _decoded(params["blocks"])
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "text": params.get("text", ""),
                "message": message,
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "views.publish":
            view = _decoded(params.get("view", {}))
            view = view if isinstance(view, dict) else {}
            return {
                "ok": True,
                "view": {"id": "VSTUB1", "team_id": "T1", "hash": "stub.hash", **view},
            }
        if method in ("views.open", "views.update"):
            view = _decoded(params.get("view", {}))
            view = view if isinstance(view, dict) else {}
            view_id = str(params.get("view_id") or f"VSTUB{len(self.calls(method)) + 1}")
            return {"ok": True, "view": {"id": view_id, "team_id": "T1", "hash": "stub.hash",
                                         "state": {"values": {}}, **view}}
        if method == "conversations.replies":
            key = (str(params.get("channel", "")), str(params.get("ts", "")))
            with self._cond:
                messages = list(self._replies.get(key, []))
            return {
                "ok": True,
                "messages": messages,
                "has_more": False,
                "response_metadata": {"next_cursor": ""},
            }
        if method == "users.info":
            user_id = str(params.get("user", "U1"))
            with self._cond:
                user = self._users.get(user_id)
            return {"ok": True, "user": user or _default_user(user_id)}
        return {"ok": True}

    def _file_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            file = self._files.get(str(params.get("file", "")))
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        return {
            "ok": True,
            "file": {
                "id": file.id,
                "name": file.name,
                "title": file.name,
                "filetype": file.filetype,
                "mimetype": "application/octet-stream",
                "size": file.size,
                "url_private": file.url,
                "url_private_download": file.url,
            },
        }

    def _usergroup_users(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            users = self._usergroups.get(str(params.get("usergroup", "")))
        if users is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": users}

    def _download(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """Serve a registered file's bytes to the bot token only; record the request."""
        file_id = path[len(FILES_PREFIX) :].split("/")[0]
        call = Call(f"{FILES_PREFIX}{file_id}", {}, headers, time.time())
        with self._cond:
            file = self._files.get(file_id)
        authorized = self.bot_token is not None and call.header("Authorization") == (
            f"Bearer {self.bot_token}"
        )
        call.status = 404 if file is None else 200 if authorized else 401
        call.failed = call.status != 200
        self._record(call)
        return call.status, file.content if file and authorized else b""


def _decoded(value: Any) -> Any:
    """json-decode a string param if it is JSON, else return it unchanged."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _default_user(user_id: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": "T1",
        "name": f"user-{user_id.lower()}",
        "real_name": f"User {user_id}",
        "tz": "Europe/Amsterdam",
        "is_bot": False,
        "deleted": False,
        "profile": {
            "real_name": f"User {user_id}",
            "display_name": f"user-{user_id.lower()}",
            "email": f"{user_id.lower()}@example.com",
        },
    }


def _flatten(query: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else v for k, v in query.items()}


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    """Parse a form-encoded, JSON or multipart request body into a dict."""
    if not raw:
        return {}
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json":
        body = json.loads(raw)
        return body if isinstance(body, dict) else {"_json": body}
    if kind == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            fields[str(name)] = payload if part.get_filename() else payload.decode()
        return fields
    return _flatten(parse_qs(raw.decode(), keep_blank_values=True))


@contextmanager
def slack_api_stub(bot_token: str | None = None) -> Iterator[SlackStub]:
    """Run the stub on a free port of 127.0.0.1 for the duration of the block.
    ``bot_token`` is the token file downloads must carry."""
    stub = SlackStub(bot_token=bot_token)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = dict(self.headers)
            if url.path.startswith(f"/{UPLOAD_PREFIX}"):  # raw bytes, any content type
                with stub._cond:
                    stub.uploads[url.path[len(UPLOAD_PREFIX) + 1:]] = raw
                stub._record(Call(url.path[1:], {}, headers, time.time()))
                self._send(200, b"OK - uploaded", content_type="text/plain")
                return
            try:
                params = {
                    **_flatten(parse_qs(url.query, keep_blank_values=True)),
                    **_parse_body(self.headers.get("Content-Type", ""), raw),
                }
            except ValueError:
                self._send(400, {"ok": False, "error": "invalid_form_data"})
                return
            if url.path.startswith("/api/"):
                self._api(url.path[len("/api/") :], params, headers)
            elif url.path.startswith(f"/{FILES_PREFIX}"):
                status, data = stub._download(url.path[1:], headers)
                self._send(status, data, content_type="application/octet-stream")
            elif url.path.startswith(f"/{RESPONSE_PREFIX}"):
                stub._record(Call(url.path[1:], params, headers, time.time()))
                self._send(200, b"ok", content_type="text/plain")
            else:
                self._send(404, {"ok": False, "error": "unknown_path"})

        def _api(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> None:
            failure = stub._next_failure(method)
            if failure is not None:
                stub._record(
                    Call(method, params, headers, time.time(), status=failure.status, failed=True)
                )
                extra = (
                    {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
                )
                self._send(failure.status, {"ok": False, "error": failure.error}, extra)
                return
            if method == "files.info":
                payload = stub._file_info(params)
            elif method == "usergroups.users.list":
                payload = stub._usergroup_users(params)
            else:
                payload = stub._answer(method, params)
            stub._record(Call(method, params, headers, time.time(), response=payload))
            self._send(200, payload)

        def _send(
            self,
            status: int,
            payload: dict[str, Any] | bytes,
            extra: dict[str, str] | None = None,
            content_type: str = "application/json; charset=utf-8",
        ) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.root_url = f"http://127.0.0.1:{server.server_address[1]}/"
    stub.base_url = f"{stub.root_url}api/"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
