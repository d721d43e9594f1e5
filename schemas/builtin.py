"""The unified schemas shipped with the hub under ``schemas/data``, and the shared registry.

The registry is built on first use, not at import. Definition files (no ``properties``) are
registered before the record schemas that refer to them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from schemas.properties import PropertyInfo
from schemas.registry import SchemaInfo, SchemaRegistry
from schemas.validation import Violation


def builtin_documents() -> list[dict[str, Any]]:
    """The JSON documents in ``schemas/data``, definition files first."""
    folder = resources.files("schemas").joinpath("data")
    documents = [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda item: item.name)
        if entry.name.endswith(".json")
    ]
    return sorted(documents, key=lambda document: "properties" in document)


def load_builtin() -> SchemaRegistry:
    """A new registry holding every shipped schema."""
    registry = SchemaRegistry()
    for document in builtin_documents():
        registry.register(document)
    return registry


@functools.cache
def default_registry() -> SchemaRegistry:
    """The process-wide registry, loaded with the shipped schemas on first call."""
    return load_builtin()


def list_schemas(*, all_versions: bool = False) -> list[SchemaInfo]:
    """Registered record schemas (latest version of each unless ``all_versions``)."""
    return default_registry().list_schemas(all_versions=all_versions)


def get_schema(schema_id: str, version: str | None = None) -> dict[str, Any]:
    """A copy of a schema document; the latest version when ``version`` is omitted."""
    return default_registry().get(schema_id, version)


def validate(schema_id: str, record: Any, version: str | None = None) -> list[Violation]:
    """Every violation of ``record`` against a schema; empty when it conforms."""
    return default_registry().validate(schema_id, record, version)


def ensure_valid(schema_id: str, record: Any, version: str | None = None) -> None:
    """Raise :class:`schemas.SchemaViolation` listing every violation, if there is any."""
    default_registry().ensure_valid(schema_id, record, version)


def properties(schema_id: str, version: str | None = None) -> Mapping[str, PropertyInfo]:
    """The data elements of a schema by dotted key."""
    return default_registry().properties(schema_id, version)


def resolve_element(element: str) -> PropertyInfo:
    """The property named by ``person.identity#name`` or ``person.identity@1.0.0#name``."""
    return default_registry().element(element)
