"""Sources over CSV and Excel files that a department exports, read through pandas.

Every column is read as text unless ``dtypes`` names a pandas dtype for it: pandas would
otherwise turn resident ID numbers and postal codes into integers, dropping leading zeros and
the check character ``X``. Empty cells stay empty strings (``keep_default_na=False``), so the
literal text ``NA`` or ``null`` is not mistaken for a missing value. An Excel cell holding a
real date reads as ``YYYY-MM-DD HH:MM:SS`` text; a number typed into a cell reads as its digits.

The file is indexed by its key column (surrounding blanks ignored; the first row wins when a
key repeats) and read again whenever its modification time, size or inode changes, so an
export replaced in place is picked up by the next fetch without a restart.
"""

from __future__ import annotations

import os
import threading
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

import pandas as pd
from pandas.errors import EmptyDataError

from connectors.sources.base import SourceFailed, SourceUnavailable

__all__ = ["CsvSource", "ExcelSource"]

_Stamp = tuple[int, int, int]


class _FileSource:
    """Index by key column, reload on change; subclasses say how to read the file."""

    kind = "file"

    def __init__(
        self, path: str | Path, *, key_column: str, dtypes: Mapping[str, str] | None = None
    ) -> None:
        self.path = Path(path)
        self.key_column = key_column
        self.dtypes = dict(dtypes or {})
        self._lock = threading.Lock()
        self._stamp: _Stamp | None = None
        self._index: dict[str, dict[str, Any]] = {}
        self._closed = False

    def fetch(self, key: str) -> dict[str, Any] | None:
        index = self._current_index()
        record = index.get(key.strip())
        return dict(record) if record is not None else None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._index = {}
            self._stamp = None

    def _read(self, dtype: Any) -> pd.DataFrame:
        raise NotImplementedError

    def _current_index(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if self._closed:
                raise SourceUnavailable(f"{self.kind} source {self.path.name} is closed")
            stamp = self._stat()
            if stamp != self._stamp:
                self._index = self._load()
                self._stamp = stamp
            return self._index

    def _stat(self) -> _Stamp:
        try:
            st = os.stat(self.path)
        except OSError as exc:
            raise SourceUnavailable(
                f"{self.kind} source {self.path.name} cannot be read: {exc.strerror}"
            ) from exc
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _load(self) -> dict[str, dict[str, Any]]:
        dtype: defaultdict[str, Any] = defaultdict(lambda: str, self.dtypes)
        try:
            frame = self._read(dtype)
        except (OSError, BadZipFile, EmptyDataError) as exc:
            # Gone, locked or half-written: not cached, so the next fetch tries again.
            raise SourceUnavailable(
                f"{self.kind} source {self.path.name} cannot be read: {type(exc).__name__}"
            ) from exc
        except (ValueError, KeyError) as exc:
            raise SourceFailed(
                f"{self.kind} source {self.path.name} cannot be parsed ({type(exc).__name__}); "
                "check its encoding, delimiter, sheet and dtypes options"
            ) from exc
        if self.key_column not in frame.columns:
            raise SourceFailed(
                f"{self.kind} source {self.path.name} has no key column {self.key_column!r}"
            )
        index: dict[str, dict[str, Any]] = {}
        for record in frame.to_dict(orient="records"):
            row = {str(name): value for name, value in record.items()}
            index.setdefault(str(row[self.key_column]).strip(), row)
        return index


class CsvSource(_FileSource):
    kind = "CSV"

    def __init__(
        self,
        path: str | Path,
        *,
        key_column: str,
        encoding: str = "utf-8",
        delimiter: str = ",",
        dtypes: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(path, key_column=key_column, dtypes=dtypes)
        self.encoding = encoding
        self.delimiter = delimiter

    def _read(self, dtype: Any) -> pd.DataFrame:
        return pd.read_csv(
            self.path,
            sep=self.delimiter,
            encoding=self.encoding,
            dtype=dtype,
            keep_default_na=False,
        )


class ExcelSource(_FileSource):
    """An ``.xlsx`` workbook read with openpyxl; ``sheet`` is a sheet name or a 0-based index."""

    kind = "Excel"

    def __init__(
        self,
        path: str | Path,
        *,
        key_column: str,
        sheet: str | int = 0,
        dtypes: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(path, key_column=key_column, dtypes=dtypes)
        self.sheet = sheet

    def _read(self, dtype: Any) -> pd.DataFrame:
        return pd.read_excel(
            self.path,
            sheet_name=self.sheet,
            engine="openpyxl",
            dtype=dtype,
            keep_default_na=False,
        )
