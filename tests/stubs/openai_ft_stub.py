"""A local HTTP stub of OpenAI's files and fine-tuning endpoints, on 127.0.0.1, for
tests that point the real openai SDK at it. It keeps state (files, jobs, events) and
can be scripted to fail, hang, refuse and walk jobs through statuses."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOTAL_STEPS = 10
FINAL_VALID_LOSS = 0.25


@dataclass
class Failure:
    """One scripted answer to a create: `status` with `headers`; `commit` creates the
    job first (the client then cannot know it exists)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    commit: bool = False
    message: str = "The server had an error while processing your request."
    type: str = "server_error"
    code: str | None = None


@dataclass
class FineTuningStub:
    base_url: str = ""
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> content
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # in creation order
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # oldest first
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    create_bodies: list[dict[str, Any]] = field(default_factory=list)  # every attempt
    create_failures: list[Failure] = field(default_factory=list)  # consumed in order
    refusal: Failure | None = None  # answered to every create
    hang_next_create_s: float = 0.0  # commit the next create, then wait this long
    walk: list[str] = field(default_factory=list)  # statuses for each new job's retrieves
    job_error: dict[str, str] = field(default_factory=lambda: {
        "code": "invalid_training_file", "param": "training_file",
        "message": "The job failed due to an invalid training file."})
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    _walks: dict[str, list[str]] = field(default_factory=dict)
    _counter: int = 0

    # -- scripting -----------------------------------------------------------------

    def fail_creates(self, status: int, times: int = 1, **kwargs: Any) -> None:
        self.create_failures += [Failure(status, **kwargs) for _ in range(times)]

    def refuse_creates(self, status: int, message: str, code: str) -> None:
        self.refusal = Failure(status, message=message, type="invalid_request_error", code=code)

    def seed_job(self, launch_id: str, status: str = "queued") -> str:
        """A job created earlier (e.g. before a crash), returning its id."""
        with self.lock:
            job = self._new_job({"model": "gpt-4o-mini-2024-07-18", "training_file": "file-old",
                                 "metadata": {"launch_id": launch_id}})
            job["status"] = status
            return str(job["id"])

    # -- state ---------------------------------------------------------------------

    def _id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-stub{self._counter:04d}"

    def _event(self, job_id: str, message: str, type_: str = "message",
               data: dict[str, Any] | None = None, level: str = "info") -> None:
        self.events[job_id].append({
            "object": "fine_tuning.job.event", "id": self._id("ftevent"),
            "created_at": int(time.time()), "level": level, "message": message,
            "data": data or {}, "type": type_,
        })

    def _new_job(self, body: dict[str, Any]) -> dict[str, Any]:
        method = body.get("method") or {"type": "supervised", "supervised": {}}
        hyper = method.get(method["type"], {}).get("hyperparameters", {})
        job = {
            "object": "fine_tuning.job", "id": self._id("ftjob"),
            "model": body["model"], "created_at": int(time.time()),
            "fine_tuned_model": None, "finished_at": None,
            "hyperparameters": {"n_epochs": hyper.get("n_epochs", "auto"),
                                "batch_size": hyper.get("batch_size", "auto"),
                                "learning_rate_multiplier":
                                    hyper.get("learning_rate_multiplier", "auto")},
            "organization_id": "org-stub", "result_files": [], "status": "validating_files",
            "validation_file": body.get("validation_file"),
            "training_file": body["training_file"], "trained_tokens": None, "error": None,
            "seed": body.get("seed") or 42, "estimated_finish": None, "integrations": [],
            "metadata": body.get("metadata"), "method": method,
            "user_provided_suffix": body.get("suffix"),
        }
        self.jobs[job["id"]] = job
        self.events[job["id"]] = []
        self._walks[job["id"]] = list(self.walk)
        self._event(job["id"], f"Validating training file: {job['training_file']}")
        return job

    def _advance(self, job: dict[str, Any]) -> None:
        walk = self._walks.get(job["id"])
        if not walk:
            return
        status = walk.pop(0)
        job_id, previous = job["id"], job["status"]
        job["status"] = status
        if status == "queued" and previous != "queued":
            self._event(job_id, "Files validated, moving job to queued state")
        elif status == "running":
            if previous != "running":
                self._event(job_id, "Fine-tuning job started")
            self._metrics(job_id)
        elif status == "succeeded":
            self._metrics(job_id, final=True)
            job.update(fine_tuned_model=f"ft:{job['model']}:org-stub::{job_id[-6:]}",
                       trained_tokens=12345, finished_at=int(time.time()))
            self._event(job_id, f"New fine-tuned model created: {job['fine_tuned_model']}")
            self._event(job_id, "The job has successfully completed")
        elif status == "failed":
            job.update(error=dict(self.job_error), finished_at=int(time.time()))
            self._event(job_id, self.job_error["message"], level="error")

    def _metrics(self, job_id: str, final: bool = False) -> None:
        """A metrics event for the next step; the final one adds the full validation."""
        step = TOTAL_STEPS if final else 1 + sum(e["type"] == "metrics"
                                                 for e in self.events[job_id])
        loss = round(2.0 / step, 4)
        data = {"step": step, "total_steps": TOTAL_STEPS, "train_loss": loss,
                "train_mean_token_accuracy": 0.5, "valid_loss": loss + 0.1,
                "valid_mean_token_accuracy": 0.45}
        if final:
            data |= {"full_valid_loss": FINAL_VALID_LOSS, "full_valid_mean_token_accuracy": 0.6}
        self._event(job_id, f"Step {step}/{TOTAL_STEPS}: training loss={loss}", "metrics", data)

    # -- HTTP ----------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]],
               body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["files"]:
            return self._upload(body)
        if parts[:2] != ["fine_tuning", "jobs"]:
            return _error(404, f"Unknown path {path}")
        if method == "POST" and len(parts) == 2:
            return self._create(body)
        if method == "GET" and len(parts) == 2:
            return self._list(query)
        job = self.jobs.get(parts[2])
        if job is None:
            return _error(404, f"Could not find fine tune: {parts[2]}", code="fine_tune_not_found")
        if method == "GET" and len(parts) == 3:
            self._advance(job)
            return 200, job, {}
        if method == "GET" and parts[3:] == ["events"]:
            return 200, _page(self.events[job["id"]][::-1], query), {}
        if method == "POST" and parts[3:] == ["cancel"]:
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return _error(400, f"Job has already completed: {job['status']}")
            job["status"] = "cancelled"
            self._walks[job["id"]] = []
            self._event(job["id"], "Fine-tuning job cancelled")
            return 200, job, {}
        return _error(404, f"Unknown path {path}")

    def _upload(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        file_id = self._id("file")
        content: bytes = body["file"]
        self.uploads[file_id] = content
        self.files[file_id] = {"object": "file", "id": file_id, "bytes": len(content),
                               "created_at": int(time.time()), "filename": body["filename"],
                               "purpose": body["purpose"], "status": "processed"}
        return 200, self.files[file_id], {}

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        self.create_bodies.append(body)
        failure = self.refusal or (self.create_failures.pop(0) if self.create_failures else None)
        if failure is not None:
            if failure.commit:
                self._new_job(body)
            return _error(failure.status, failure.message, failure.type, failure.code,
                          failure.headers)
        if body["training_file"] not in self.files:
            return _error(400, f"invalid training_file: {body['training_file']}")
        return 200, self._new_job(body), {}

    def _list(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any], dict[str, str]]:
        wanted = {key[len("metadata["):-1]: values[0] for key, values in query.items()
                  if key.startswith("metadata[")}
        jobs = [job for job in reversed(self.jobs.values())  # newest first, like the API
                if all((job["metadata"] or {}).get(k) == v for k, v in wanted.items())]
        return 200, _page(jobs, query), {}


def _page(items: list[dict[str, Any]], query: dict[str, list[str]]) -> dict[str, Any]:
    """A cursor page of `items` (already in API order) after `query['after']`."""
    limit = int(query.get("limit", ["20"])[0])
    after = query.get("after", [None])[0]
    ids = [item["id"] for item in items]
    start = ids.index(after) + 1 if after in ids else 0
    page = items[start:start + limit]
    return {"object": "list", "data": page, "has_more": start + limit < len(items)}


def _error(status: int, message: str, type_: str = "invalid_request_error",
           code: str | None = None, headers: dict[str, str] | None = None,
           ) -> tuple[int, dict[str, Any], dict[str, str]]:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return status, body, headers or {}


def _parse_body(content_type: str, raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
        body: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if part.get_filename():
                body["filename"] = part.get_filename()
                body[str(name)] = payload
            else:
                body[str(name)] = payload.decode() if isinstance(payload, bytes) else payload
        return body
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


@contextmanager
def fine_tuning_stub() -> Iterator[FineTuningStub]:
    stub = FineTuningStub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            path = url.path.removeprefix("/v1")
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = _parse_body(self.headers.get("Content-Type", ""), raw)
            with stub.lock:
                stub.requests.append((method, path))
                hang = 0.0
                if (method, path) == ("POST", "/fine_tuning/jobs"):
                    hang, stub.hang_next_create_s = stub.hang_next_create_s, 0.0
                status, payload, headers = stub.handle(method, path, parse_qs(url.query), body)
            if hang and stub.stopping.wait(hang):
                return  # shutting down; the client gave up long ago
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and closed the connection

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield stub
    finally:
        stub.stopping.set()
        server.shutdown()
        server.server_close()
