"""Rewriting a file that other processes read."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.files import replace_text


def test_replace_text_makes_the_folder_writes_and_replaces_and_leaves_nothing_aside(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new" / "keys.json"
    replace_text(path, "第一")
    assert path.read_text("utf-8") == "第一"
    replace_text(path, "second")
    assert path.read_text("utf-8") == "second"
    assert [p.name for p in path.parent.iterdir()] == ["keys.json"]


def test_a_write_that_fails_leaves_the_old_file_and_nothing_aside(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    replace_text(path, "old")
    with pytest.raises(UnicodeEncodeError):
        replace_text(path, "\ud800")  # a lone surrogate: not encodable as UTF-8
    assert path.read_text("utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]
