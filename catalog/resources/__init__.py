"""Data resources (政务数据目录): entries, their items, review, search, lookup, import/export."""

from catalog.resources.api import router
from catalog.resources.documents import Parsed, parse_entries
from catalog.resources.errors import (
    CodeTaken,
    ImportFailed,
    InvalidResource,
    NameTaken,
    NoAuthority,
    NotReviewer,
    NotSteward,
    Problem,
    ResourceImmutable,
    ResourceNotFound,
    ResourceNotPublished,
    SecretRefused,
    WrongStatus,
)
from catalog.resources.events import TOPIC
from catalog.resources.inputs import ItemInput, ResourceInput
from catalog.resources.lifecycle import publish, retire, return_resource, revise, submit
from catalog.resources.models import (
    Resource,
    ResourceCode,
    ResourceItem,
    ResourceTransition,
    ShareType,
    Status,
)
from catalog.resources.published import (
    PublishedItem,
    PublishedVersion,
    published_version,
    published_versions,
)
from catalog.resources.search import LookupHit, SearchHit, SearchPage, lookup, search
from catalog.resources.service import (
    create_resource,
    get_version,
    history,
    latest,
    next_code,
    published_resource,
    reindex,
    update_draft,
    versions,
)
from catalog.resources.transfer import export_workbook, import_resources, read_file

__all__ = [
    "TOPIC",
    "CodeTaken",
    "ImportFailed",
    "InvalidResource",
    "ItemInput",
    "LookupHit",
    "NameTaken",
    "NoAuthority",
    "NotReviewer",
    "NotSteward",
    "Parsed",
    "Problem",
    "PublishedItem",
    "PublishedVersion",
    "Resource",
    "ResourceCode",
    "ResourceImmutable",
    "ResourceInput",
    "ResourceItem",
    "ResourceNotFound",
    "ResourceNotPublished",
    "ResourceTransition",
    "SearchHit",
    "SearchPage",
    "SecretRefused",
    "ShareType",
    "Status",
    "WrongStatus",
    "create_resource",
    "export_workbook",
    "get_version",
    "history",
    "import_resources",
    "latest",
    "lookup",
    "next_code",
    "parse_entries",
    "publish",
    "published_resource",
    "published_version",
    "published_versions",
    "read_file",
    "reindex",
    "retire",
    "return_resource",
    "revise",
    "router",
    "search",
    "submit",
    "update_draft",
    "versions",
]
