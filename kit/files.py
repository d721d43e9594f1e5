"""Files that other processes read while they are rewritten."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def replace_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` so that a reader sees the old file or the new one,
    never half of one: it is written aside, under a name of this process and thread, and
    renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        aside.write_text(text, "utf-8")
        os.replace(aside, path)
    finally:
        aside.unlink(missing_ok=True)
