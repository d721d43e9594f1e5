"""The registry of unified schemas (标准数据元): versions, validation, property metadata.

Schemas are JSON Schema Draft 2020-12 documents identified by
``https://schemas.tongban.gov.cn/<id>/<version>`` (for example ``person.identity/1.0.0``).
References between them resolve through a :class:`referencing.Registry` of registered schemas
only. A validator is built once per version when it is registered, from the schema with its
references inlined (:mod:`schemas.refs`), and reused for every record.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped, unused-ignore]
from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped, unused-ignore]
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from kit.canonical import canonical_json
from schemas.compat import compare, compare_definitions
from schemas.errors import (
    ElementNotFound,
    IncompatibleSchemaChange,
    InvalidSchema,
    SchemaNotFound,
    SchemaVersionConflict,
    SchemaViolation,
)
from schemas.formats import FORMATS
from schemas.properties import PropertyInfo, collect
from schemas.refs import inline
from schemas.validation import Violation, violations

SCHEMA_BASE: Final = "https://schemas.tongban.gov.cn/"
DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
_ID_PATTERN: Final = r"(?P<id>[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*)"
_VERSION_PATTERN: Final = r"(?P<version>(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*)){2})"
_URI: Final = re.compile(re.escape(SCHEMA_BASE) + _ID_PATTERN + "/" + _VERSION_PATTERN)
Version = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """A registered schema version: id, version, Chinese and English titles, ``$id`` URI."""

    id: str
    version: str
    title: str
    title_en: str
    uri: str
    is_definitions: bool = False


@dataclass(frozen=True, slots=True)
class _Entry:
    info: SchemaInfo
    document: Mapping[str, Any]
    flat: Mapping[str, Any]
    validator: Any
    properties: Mapping[str, PropertyInfo]


def schema_uri(schema_id: str, version: str) -> str:
    """The ``$id`` of a schema version."""
    return f"{SCHEMA_BASE}{schema_id}/{version}"


def parse_version(version: str) -> Version:
    """``"1.2.3"`` as ``(1, 2, 3)``; raises :class:`InvalidSchema` for anything else."""
    parts = version.split(".")
    if len(parts) != 3 or not all(part.isdigit() and part.isascii() for part in parts):
        raise InvalidSchema(f"版本号应为 主.次.修订 格式: {version}")
    return int(parts[0]), int(parts[1]), int(parts[2])


def make_format_checker() -> FormatChecker:
    """A format checker that asserts every format the unified schemas use."""
    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name)(_only_strings(check))
    return checker


def _only_strings(check: Any) -> Any:
    def checked(instance: object) -> bool:
        return not isinstance(instance, str) or bool(check(instance))

    return checked


class SchemaRegistry:
    """All registered schema versions; safe to share between threads."""

    def __init__(self) -> None:
        self._versions: dict[str, dict[Version, _Entry]] = {}
        self._latest: dict[str, _Entry] = {}
        self._resources: Registry[Any] = Registry()
        self._checker = make_format_checker()
        self._lock = threading.Lock()

    def register(self, document: Mapping[str, Any]) -> SchemaInfo:
        """Register a schema version and return what was registered.

        Registering identical content again is a no-op. Raises :class:`InvalidSchema` for a
        malformed document, :class:`SchemaVersionConflict` for a version already registered with
        other content or not above the latest, and :class:`IncompatibleSchemaChange` for a
        breaking change without a major version bump.
        """
        info = _describe(document)
        with self._lock:
            known = self._versions.get(info.id, {})
            version = parse_version(info.version)
            if version in known:
                return _same_or_conflict(known[version], document)
            latest = self._latest.get(info.id)
            if latest is not None and version <= parse_version(latest.info.version):
                message = f"{info.id} 的新版本 {info.version} 须高于 {latest.info.version}"
                raise SchemaVersionConflict(message)
            entry, resources = self._build(info, document)
            if latest is not None and version[0] == parse_version(latest.info.version)[0]:
                _ensure_compatible(latest, entry)
            self._resources = resources
            self._versions.setdefault(info.id, {})[version] = entry
            self._latest[info.id] = entry
        return info

    def _build(self, info: SchemaInfo, document: Mapping[str, Any]) -> tuple[_Entry, Registry[Any]]:
        owned: dict[str, Any] = copy.deepcopy(dict(document))
        resource = DRAFT202012.create_resource(owned)
        resources = self._resources.with_resource(info.uri, resource).crawl()
        views = inline(owned, resources, info.uri)
        props = {} if info.is_definitions else collect(views.merged)
        validator = Draft202012Validator(
            views.exact, registry=resources, format_checker=self._checker
        )
        entry = _Entry(info, owned, views.merged, validator, MappingProxyType(props))
        return entry, resources

    def list_schemas(self, *, all_versions: bool = False) -> list[SchemaInfo]:
        """Record schemas (not definition files), latest version of each unless asked for all."""
        if all_versions:
            entries = [entry for known in self._versions.values() for entry in known.values()]
        else:
            entries = list(self._latest.values())
        found = [entry.info for entry in entries if not entry.info.is_definitions]
        return sorted(found, key=lambda info: (info.id, parse_version(info.version)))

    def versions(self, schema_id: str) -> list[str]:
        """Registered versions of ``schema_id``, oldest first."""
        known = self._versions.get(schema_id, {})
        return [known[version].info.version for version in sorted(known)]

    def info(self, schema_id: str, version: str | None = None) -> SchemaInfo:
        return self._entry(schema_id, version).info

    def get(self, schema_id: str, version: str | None = None) -> dict[str, Any]:
        """A copy of the schema document (latest version when ``version`` is omitted)."""
        return copy.deepcopy(dict(self._entry(schema_id, version).document))

    def validate(self, schema_id: str, record: Any, version: str | None = None) -> list[Violation]:
        """Every violation of ``record`` against the schema; empty when it conforms."""
        entry = self._entry(schema_id, version)
        return violations(entry.validator.iter_errors(record), entry.flat)

    def ensure_valid(self, schema_id: str, record: Any, version: str | None = None) -> None:
        """Raise :class:`SchemaViolation` listing every violation, if there is any."""
        entry = self._entry(schema_id, version)
        found = violations(entry.validator.iter_errors(record), entry.flat)
        if found:
            raise SchemaViolation(schema_id, entry.info.version, found)

    def properties(self, schema_id: str, version: str | None = None) -> Mapping[str, PropertyInfo]:
        """The data elements of a schema by dotted key, in document order."""
        return self._entry(schema_id, version).properties

    def element(self, element: str) -> PropertyInfo:
        """The property an element path names: ``person.identity#name``, or with a version
        ``person.identity@1.0.0#name``; nested keys are dotted (``mother.id_number``)."""
        schema_part, separator, key = element.partition("#")
        schema_id, _, version = schema_part.partition("@")
        if not separator or not key:
            raise ElementNotFound(f"数据元路径应为 标准标识#字段: {element}")
        found = self._entry(schema_id, version or None).properties.get(key)
        if found is None:
            raise ElementNotFound(f"标准 {schema_part} 中没有字段 {key}")
        return found

    def _entry(self, schema_id: str, version: str | None) -> _Entry:
        if version is None:
            entry = self._latest.get(schema_id)
        else:
            known = self._versions.get(schema_id, {})
            entry = next((e for e in known.values() if e.info.version == version), None)
        if entry is None:
            shown = schema_id if version is None else f"{schema_id} {version}"
            raise SchemaNotFound(f"未注册的标准: {shown}")
        return entry


def _describe(document: Mapping[str, Any]) -> SchemaInfo:
    """Read and check the identifying keywords of a schema document."""
    if not isinstance(document, Mapping):
        raise InvalidSchema("标准文档应为 JSON 对象")
    uri = document.get("$id")
    match = _URI.fullmatch(uri) if isinstance(uri, str) else None
    if match is None or not isinstance(uri, str):
        raise InvalidSchema(f"$id 应为 {SCHEMA_BASE}<标识>/<主.次.修订>: {uri}")
    if document.get("$schema") != DIALECT:
        raise InvalidSchema(f"$schema 应为 {DIALECT}")
    if document.get("version") != match["version"]:
        raise InvalidSchema(f"version 应与 $id 中的版本 {match['version']} 一致")
    title, title_en = document.get("title"), document.get("x-title-en")
    if not isinstance(title, str) or not isinstance(title_en, str):
        raise InvalidSchema("标准须有中文 title 和英文 x-title-en")
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as error:
        raise InvalidSchema(f"不是有效的 JSON Schema: {error.message}") from error
    is_definitions = "properties" not in document
    return SchemaInfo(match["id"], match["version"], title, title_en, uri, is_definitions)


def _same_or_conflict(existing: _Entry, document: Mapping[str, Any]) -> SchemaInfo:
    if canonical_json(existing.document) != canonical_json(document):
        info = existing.info
        raise SchemaVersionConflict(f"{info.id} {info.version} 已注册且内容不同, 须使用新版本号")
    return existing.info


def _ensure_compatible(latest: _Entry, entry: _Entry) -> None:
    if entry.info.is_definitions:
        changes = compare_definitions(latest.flat, entry.flat)
    else:
        changes = compare(latest.flat, entry.flat)
    if changes:
        raise IncompatibleSchemaChange(entry.info.id, entry.info.version, changes)
