"""统一数据标准 (standard data elements): JSON Schemas, format checkers and their registry.

Enter through this module only::

    from schemas import validate, ensure_valid, properties, is_resident_id
"""

from schemas.builtin import (
    builtin_documents,
    default_registry,
    ensure_valid,
    get_schema,
    list_schemas,
    load_builtin,
    properties,
    resolve_element,
    validate,
)
from schemas.compat import BreakingChange, ChangeKind, compare, compare_definitions
from schemas.divisions import DIVISIONS, PROVINCES, division_full_name, division_name
from schemas.errors import (
    ElementNotFound,
    IncompatibleSchemaChange,
    InvalidSchema,
    SchemaNotFound,
    SchemaVersionConflict,
    SchemaViolation,
)
from schemas.formats import (
    FORMATS,
    USCC_CHARSET,
    is_date,
    is_date_time,
    is_division_code,
    is_mobile_phone,
    is_resident_id,
    is_uscc,
    make_resident_id,
    make_uscc,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_sex,
    uscc_check_char,
)
from schemas.partial import validate_partial
from schemas.properties import TYPE_CODES, PropertyInfo
from schemas.registry import (
    SCHEMA_BASE,
    SchemaInfo,
    SchemaRegistry,
    make_format_checker,
    parse_version,
    schema_uri,
)
from schemas.validation import Violation

__all__ = [
    "DIVISIONS",
    "FORMATS",
    "PROVINCES",
    "SCHEMA_BASE",
    "TYPE_CODES",
    "USCC_CHARSET",
    "BreakingChange",
    "ChangeKind",
    "ElementNotFound",
    "IncompatibleSchemaChange",
    "InvalidSchema",
    "PropertyInfo",
    "SchemaInfo",
    "SchemaNotFound",
    "SchemaRegistry",
    "SchemaVersionConflict",
    "SchemaViolation",
    "Violation",
    "builtin_documents",
    "compare",
    "compare_definitions",
    "default_registry",
    "division_full_name",
    "division_name",
    "ensure_valid",
    "get_schema",
    "is_date",
    "is_date_time",
    "is_division_code",
    "is_mobile_phone",
    "is_resident_id",
    "is_uscc",
    "list_schemas",
    "load_builtin",
    "make_format_checker",
    "make_resident_id",
    "make_uscc",
    "parse_version",
    "properties",
    "resident_id_birth_date",
    "resident_id_check_char",
    "resident_id_sex",
    "resolve_element",
    "schema_uri",
    "uscc_check_char",
    "validate",
    "validate_partial",
]
