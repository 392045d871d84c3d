"""Where the bundled knowledge/ and prompts/ folders are: next to the package in a
source checkout, inside it (bot/_bundled/) in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """The bundled folder `name` ("knowledge" or "prompts")."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"The bundled '{name}' folder is missing from this install")
