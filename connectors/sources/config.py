"""Open a source from its YAML spec: ``type`` and that type's options.

::

    type: sql                     # sql | csv | excel | http
    url: postgresql+psycopg://reader@db.example.gov.cn/population
    query: SELECT xm, xb, csrq, yzbm FROM rk_jbxx WHERE sfzh = :key
    connect_timeout: 5            # seconds, optional

    type: csv
    path: exports/people.csv      # relative paths are taken from base_dir
    key_column: SFZH
    encoding: gb18030             # optional, default utf-8
    delimiter: ","                # optional
    dtypes: {HRS: Int64}          # optional; every other column is text

    type: excel
    path: exports/people.xlsx
    key_column: 身份证号
    sheet: 人口基本信息            # optional: name or 0-based index, default the first sheet
    dtypes: {}                    # optional

    type: http
    url: https://api.example.gov.cn/people/{key}
    timeout: 5                    # seconds, optional
    record_path: data.record      # optional
    headers: {X-Api-Key: ...}     # optional

An SQLite URL with a relative file (``sqlite:///data/people.db``) is also taken from
``base_dir``. Unknown or missing options are refused with :class:`SourceSpecInvalid`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as AbstractMapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from connectors.sources._yaml import load_yaml
from connectors.sources.base import Source
from connectors.sources.files import CsvSource, ExcelSource
from connectors.sources.http import HttpSource
from connectors.sources.sql import SqlSource
from kit.errors import Invalid

__all__ = ["SourceSpecInvalid", "open_source"]


class SourceSpecInvalid(Invalid):
    """A source spec names an unknown type, lacks an option or has one the type does not take."""


def _sql(options: dict[str, Any], base_dir: Path) -> Source:
    url = make_url(options.pop("url"))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(base_dir / url.database))
    return SqlSource(url, **options)


def _csv(options: dict[str, Any], base_dir: Path) -> Source:
    return CsvSource(base_dir / options.pop("path"), **options)


def _excel(options: dict[str, Any], base_dir: Path) -> Source:
    return ExcelSource(base_dir / options.pop("path"), **options)


def _http(options: dict[str, Any], base_dir: Path) -> Source:
    return HttpSource(**options)


_TYPES: dict[str, tuple[Callable[[dict[str, Any], Path], Source], set[str], set[str]]] = {
    # type: (opener, required options, optional options)
    "sql": (_sql, {"url", "query"}, {"connect_timeout"}),
    "csv": (_csv, {"path", "key_column"}, {"encoding", "delimiter", "dtypes"}),
    "excel": (_excel, {"path", "key_column"}, {"sheet", "dtypes"}),
    "http": (_http, {"url"}, {"timeout", "record_path", "headers"}),
}


def open_source(spec: AbstractMapping[str, Any] | str | Path, base_dir: str | Path) -> Source:
    """The source a spec describes (a parsed mapping, YAML text or a YAML file path)."""
    data = spec if isinstance(spec, AbstractMapping) else _load(spec)
    options = dict(data)
    kind = options.pop("type", None)
    if kind not in _TYPES:
        raise SourceSpecInvalid(f"a source spec needs a type, one of {sorted(_TYPES)}")
    opener, required, optional = _TYPES[kind]
    missing = sorted(required - set(options))
    unknown = sorted(set(options) - required - optional)
    if missing or unknown:
        raise SourceSpecInvalid(
            f"{kind} source spec: missing options {missing}, unknown options {unknown}"
        )
    return opener(options, Path(base_dir))


def _load(spec: str | Path) -> AbstractMapping[str, Any]:
    data = load_yaml(spec, what="source spec", error=SourceSpecInvalid)
    if not isinstance(data, AbstractMapping):
        raise SourceSpecInvalid("a source spec is a YAML table with a 'type'")
    return data
