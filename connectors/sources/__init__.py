"""Read-only provider data sources (SQL, CSV/Excel, HTTP JSON) and the field mapping that turns
a source record into the resource's unified schema."""

from connectors.sources.base import MemorySource, Source, SourceFailed, SourceUnavailable
from connectors.sources.config import SourceSpecInvalid, open_source
from connectors.sources.files import CsvSource, ExcelSource
from connectors.sources.http import HttpSource
from connectors.sources.mapping import (
    ListRule,
    Mapping,
    MappingFailed,
    MappingInvalid,
    PropertyRule,
)
from connectors.sources.sql import SqlSource
from connectors.sources.transforms import CHINA_TIME

__all__ = [
    "CHINA_TIME",
    "CsvSource",
    "ExcelSource",
    "HttpSource",
    "ListRule",
    "Mapping",
    "MappingFailed",
    "MappingInvalid",
    "MemorySource",
    "PropertyRule",
    "Source",
    "SourceFailed",
    "SourceSpecInvalid",
    "SourceUnavailable",
    "SqlSource",
    "open_source",
]
