"""What applications and objections read from the catalog: published resources and items."""

from __future__ import annotations

from collections.abc import Iterable

from catalog import Resource, ResourceItem, ShareType, published_resource

__all__ = [
    "GROUP_ORDER",
    "Resource",
    "ResourceItem",
    "ShareType",
    "any_personal",
    "conditions_of",
    "legal_bases_of",
    "published_resource",
    "share_groups",
]

# the order in which a split application's children are created
GROUP_ORDER = (ShareType.UNCONDITIONAL, ShareType.CONDITIONAL, ShareType.NOT_SHARED)


def share_groups(resource: Resource, items: Iterable[str]) -> dict[ShareType, list[str]]:
    """The items grouped by their own sharing attribute, in :data:`GROUP_ORDER`."""
    groups: dict[ShareType, list[str]] = {t: [] for t in GROUP_ORDER}
    for key in items:
        item = resource.item(key)
        if item is not None:
            groups[ShareType(item.share_type)].append(key)
    return {t: keys for t, keys in groups.items() if keys}


def conditions_of(resource: Resource, items: Iterable[str]) -> list[str]:
    """Every condition the catalog published for ``items`` (the only ones a grant may carry)."""
    found: dict[str, None] = {}
    for key in items:
        item = resource.item(key)
        for condition in item.conditions if item is not None else []:
            found[str(condition)] = None
    return list(found)


def legal_bases_of(resource: Resource, items: Iterable[str]) -> list[str]:
    """The legal bases the catalog gives for not sharing ``items``."""
    found: dict[str, None] = {}
    for key in items:
        item = resource.item(key)
        if item is not None and item.legal_basis:
            found[item.legal_basis] = None
    return list(found) or ([resource.share_condition] if resource.share_condition else [])


def any_personal(resource: Resource, items: Iterable[str]) -> bool:
    keys = set(items)
    return any(item.personal for item in resource.items if item.key in keys)
