"""Errors of the schemas package, each under its branch of :mod:`kit.errors`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kit.errors import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from schemas.compat import BreakingChange
    from schemas.validation import Violation


class SchemaNotFound(NotFound):
    """No schema with this id (and version) is registered."""


class ElementNotFound(NotFound):
    """The schema exists but has no property at the element path asked for."""


class InvalidSchema(Invalid):
    """A schema document breaks the rules for unified schemas (metaschema, id, annotations)."""


class SchemaVersionConflict(Conflict):
    """The version is already registered with other content, or is not above the latest."""


class SchemaViolation(Invalid):
    """A record does not conform to its unified schema; ``violations`` lists every problem."""

    def __init__(self, schema_id: str, version: str, violations: Sequence[Violation]) -> None:
        listed = "; ".join(f"{v.path or '/'}: {v.message}" for v in violations)
        super().__init__(
            f"数据不符合标准 {schema_id} {version}: {listed}",
            schema_id=schema_id,
            version=version,
            violations=[{"path": v.path, "message": v.message} for v in violations],
        )
        self.schema_id = schema_id
        self.version = version
        self.violations = tuple(violations)


class IncompatibleSchemaChange(Invalid):
    """A new version breaks records or consumers of the previous one without a major bump."""

    def __init__(self, schema_id: str, version: str, changes: Sequence[BreakingChange]) -> None:
        listed = "; ".join(f"{c.pointer}: {c.message}" for c in changes)
        super().__init__(
            f"{schema_id} {version} 与上一版本不兼容, 须升级主版本号: {listed}",
            schema_id=schema_id,
            version=version,
            changes=[
                {"kind": str(c.kind), "pointer": c.pointer, "message": c.message} for c in changes
            ],
        )
        self.schema_id = schema_id
        self.version = version
        self.changes = tuple(changes)
