"""Reading a user's YAML file with one clear error for every way it can fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.errors import FtAdvisorError


def read_yaml(path: Path, what: str, error: type[FtAdvisorError]) -> Any:
    """The parsed content of `path` (None when empty); problems raise `error` with a
    message naming `what` ("the answers file") and where the syntax broke."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"Cannot read {what} {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{what.capitalize()} {path} is not UTF-8 text.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "syntax error"
        raise error(f"{what.capitalize()} {path} is not valid YAML ({where}).") from exc
