"""Files users attach in a modal: looked up with `files.info`, refused before any
download when too large or not a dataset, then streamed to a temporary folder under
the data dir. The bot token goes only to Slack's file host (or to the host of
SLACK_API_URL, where tests and proxies serve the Web API); it is never logged."""

from __future__ import annotations

import http.client
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.errors import FtAdvisorError

SLACK_FILES_HOST = "files.slack.com"
DATASET_SUFFIXES = (".jsonl", ".json", ".txt")
DATASET_FILETYPES = ("jsonl", "json", "text", "txt")  # as Slack's `filetype` names them
FILETYPES = ["jsonl", "json", "txt"]  # for the file_input element
CHUNK = 1 << 20
TIMEOUT_S = 60.0
MB = 1024 * 1024
SCOPE_HINT = "the Slack app needs the files:read scope (reinstall it after adding the scope)"


class DownloadError(FtAdvisorError):
    """A file could not be fetched; the message is safe to post."""


@dataclass(frozen=True)
class SlackFile:
    id: str
    name: str
    filetype: str
    size: int | None
    url: str


def refusal(name: str, filetype: str, size: int | None, max_mb: int) -> str | None:
    """Why a file is not accepted before downloading it, or None."""
    if not (name.lower().endswith(DATASET_SUFFIXES) or filetype.lower() in DATASET_FILETYPES):
        return f"{name} is not a JSONL file: attach a .jsonl (or .json / .txt) dataset."
    if size is not None and size > max_mb * MB:
        return (f"{name} is {size / MB:,.1f} MB; this server accepts files up to {max_mb} MB "
                "(FT_MAX_UPLOAD_MB).")
    return None


def token_allowed(url: str, api_url: str | None) -> bool:
    """Whether the bot token may be sent to `url`: https://files.slack.com, or the
    same scheme, host and port as the configured SLACK_API_URL."""
    try:
        target = urlsplit(url)
        port = target.port
    except ValueError:
        return False
    if target.scheme == "https" and target.hostname == SLACK_FILES_HOST and port in (None, 443):
        return True
    if not api_url:
        return False
    api = urlsplit(api_url)
    return (target.scheme, target.hostname, port) == (api.scheme, api.hostname, api.port)


def file_info(client: Any, file_id: str) -> SlackFile:
    try:
        info = client.files_info(file=file_id)["file"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in ("missing_scope", "not_allowed_token_type"):
            raise DownloadError(f"Cannot read the attached file: {SCOPE_HINT}.") from exc
        raise DownloadError(f"Slack could not find the attached file ({error}).") from exc
    return SlackFile(id=file_id, name=str(info.get("name") or file_id),
                     filetype=str(info.get("filetype") or ""), size=info.get("size"),
                     url=str(info.get("url_private_download") or info.get("url_private") or ""))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the Authorization header to wherever it points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def download(file: SlackFile, dest: Path, token: str, max_mb: int) -> None:
    """Stream `file` to `dest`, stopping as soon as it exceeds `max_mb`."""
    limit = max_mb * MB
    too_big = f"{file.name} is larger than {max_mb} MB, the most this server accepts."
    request = urllib.request.Request(file.url, headers={"Authorization": f"Bearer {token}"})
    try:
        with _opener.open(request, timeout=TIMEOUT_S) as response, dest.open("wb") as out:
            if response.headers.get_content_type() == "text/html":
                raise DownloadError(f"Slack sent a web page instead of {file.name}: "
                                    f"{SCOPE_HINT}.")
            if int(response.headers.get("Content-Length") or 0) > limit:
                raise DownloadError(too_big)
            received = 0
            while chunk := response.read(CHUNK):
                received += len(chunk)
                if received > limit:
                    raise DownloadError(too_big)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        hint = f": {SCOPE_HINT}" if exc.code in (301, 302, 303, 307, 308, 401, 403) else ""
        raise DownloadError(f"Slack refused to send {file.name} (HTTP {exc.code}){hint}.") \
            from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise DownloadError(f"Downloading {file.name} failed ({reason}); try again.") from None


def fetch(client: Any, settings: Settings, file_id: str, folder: Path) -> Path:
    """Check and download one attached file into `folder`; return its path."""
    file = file_info(client, file_id)
    reason = refusal(file.name, file.filetype, file.size, settings.max_upload_mb)
    if reason:
        raise DownloadError(reason)
    if not file.url:
        raise DownloadError(f"Slack gave no download address for {file.name}; attach it "
                            "again as a new upload.")
    if not token_allowed(file.url, settings.slack_api_url):
        raise DownloadError(f"Refusing to download {file.name}: Slack gave a download "
                            "address outside files.slack.com.")
    if settings.slack_bot_token is None:
        raise DownloadError("SLACK_BOT_TOKEN is not set, so files cannot be downloaded.")
    dest = folder / file.id / _safe_name(file.name)
    dest.parent.mkdir()
    download(file, dest, settings.slack_bot_token.get_secret_value(), settings.max_upload_mb)
    return dest


@contextmanager
def upload_folder(data_dir: Path) -> Iterator[Path]:
    """A private temporary folder under the data dir, deleted with what is in it."""
    parent = data_dir / "uploads"
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _safe_name(name: str) -> str:
    """The file's own name (so reports name it), without any path or odd characters."""
    base = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name).name)
    base = base.lstrip(".")[-100:]
    return base or "upload.jsonl"
