"""Read a YAML document given either as text or as a file path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kit.errors import Invalid


def load_yaml(text_or_path: str | Path, *, what: str, error: type[Invalid] = Invalid) -> Any:
    """Parse YAML from a :class:`Path`, or from a one-line string ending in ``.yaml``/``.yml``
    (taken as a path), or else from the string itself as YAML text."""
    try:
        if _is_path(text_or_path):
            text = Path(text_or_path).read_text(encoding="utf-8")
        else:
            text = str(text_or_path)
        return yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise error(f"{what} cannot be read: {exc}") from exc


def _is_path(value: str | Path) -> bool:
    if isinstance(value, Path):
        return True
    one_line = "\n" not in value
    return one_line and value.strip().lower().endswith((".yaml", ".yml"))
