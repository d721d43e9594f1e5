"""How a source's raw record becomes a record of the resource's unified schema.

One YAML document per resource names, for every schema property it fills, where the value
comes from and the steps that turn it into the schema's form::

    resource: 101001/000123            # optional: the catalog code this mapping serves
    properties:
      id_number:
        from: SFZH                     # the source field
        steps: [trim, upper]           # applied in order
      name:
        from: XM
        steps: [trim]
      sex:                             # GB/T 2261.1
        from: XB
        steps:
          - code: {男: "1", 女: "2", 未知的性别: "0", 未说明的性别: "9"}
            unknown: "9"               # without it a value outside the table is an error
      birth_date:
        from: CSRQ
        steps: [{date: "%Y%m%d"}]      # → "1949-12-31"
      registered_at:
        from: DJSJ
        steps: [{datetime: "%Y-%m-%d %H:%M:%S"}]   # → "2025-09-26T10:30:00+08:00"
      address:
        from: [SHENG, SHI, XIANG, XXDZ]            # several fields: join must come first
        steps: [{join: ""}]
      former_names:
        from: CYM                      # "张三; 张山" → ["张三", "张山"]
        steps: [{split: ";", trim: true}]
      nationality:
        const: CHN                     # a fixed value, no source field
      household_size:
        from: HRS
        steps: [int]
        default: 1                     # used when the source value is empty

Steps: ``trim``, ``upper``; ``int``, ``float``, ``bool`` (1/0, true/false, yes/no, 是/否);
``date`` and ``datetime``, bare (ISO 8601 input) or with a strptime format; ``code`` with its
table and optional ``unknown``; ``join`` with its separator; ``split`` with its separator and
optional ``trim`` (one field holding several values → a list of texts, empty parts dropped;
it must be the last step). ``date`` gives ``YYYY-MM-DD``.
``datetime`` gives RFC 3339 in Beijing time: a source time without a zone is taken as
+08:00 (department systems keep local time), one with a zone is converted to +08:00.
Database date and time values are accepted as they are.

A source value that is missing, None or an empty string — also after any step, say ``trim``
of blanks — leaves the property out of the result, or gives its ``default`` when one is set
(the default is used as written, not passed through the steps). A property the schema
requires is then caught by the schema check. A value a step cannot convert raises
:class:`MappingFailed` naming the property and the step, never the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping as AbstractMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.sources._yaml import load_yaml
from connectors.sources.transforms import STEP_ERRORS, Step, StepError, build_step
from kit.errors import Invalid, UpstreamFailed

__all__ = ["Mapping", "MappingFailed", "MappingInvalid", "PropertyRule"]

_RULE_KEYS = frozenset({"from", "const", "steps", "default"})
_ABSENT = object()


class MappingInvalid(Invalid):
    """A mapping document is malformed, or does not cover the schema's required properties."""


class MappingFailed(UpstreamFailed):
    """A source record holds a value the mapping cannot convert."""


@dataclass(frozen=True)
class PropertyRule:
    """How one schema property is filled: from one field, several joined fields or a const."""

    name: str
    source: str | tuple[str, ...] | None
    steps: tuple[tuple[str, Step], ...] = ()
    const: Any = _ABSENT
    default: Any = _ABSENT

    def value(self, raw: AbstractMapping[str, Any]) -> Any:
        """The property's value, or ``_ABSENT`` when it stays out of the result."""
        if self.const is not _ABSENT:
            return self.const
        if isinstance(self.source, tuple):
            value: Any = [raw.get(field) for field in self.source]
        else:
            value = raw.get(self.source) if self.source is not None else None
        for step_name, step in self.steps:
            if _empty(value):
                break
            try:
                value = step(value)
            except STEP_ERRORS as exc:
                why = str(exc) if isinstance(exc, StepError) else type(exc).__name__
                raise MappingFailed(
                    f"property {self.name!r}: step {step_name!r} cannot convert the value "
                    f"of {self._fields()} ({why})"
                ) from exc
        return self.default if _empty(value) else value

    def _fields(self) -> str:
        fields = self.source if isinstance(self.source, tuple) else (self.source,)
        return ", ".join(str(field) for field in fields)


def _empty(value: Any) -> bool:
    return value is None or value is _ABSENT or (isinstance(value, str) and value == "")


class Mapping:
    """A parsed mapping document; build with :meth:`from_yaml` or :meth:`from_dict`."""

    def __init__(self, rules: Iterable[PropertyRule], *, resource: str | None = None) -> None:
        self.rules = tuple(rules)
        self.resource = resource
        names = [rule.name for rule in self.rules]
        if len(set(names)) != len(names):
            raise MappingInvalid("a property is mapped twice")

    @classmethod
    def from_yaml(cls, text_or_path: str | Path) -> Mapping:
        """From YAML text, or from a file given as a :class:`Path` or a ``.yaml``/``.yml`` name."""
        data = load_yaml(text_or_path, what="mapping", error=MappingInvalid)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> Mapping:
        if not isinstance(data, AbstractMapping) or not isinstance(data.get("properties"), dict):
            raise MappingInvalid("a mapping needs a 'properties' table")
        unknown = set(data) - {"resource", "properties"}
        if unknown:
            raise MappingInvalid(f"unknown mapping keys {sorted(unknown)}")
        rules = [_parse_rule(str(name), spec) for name, spec in data["properties"].items()]
        resource = data.get("resource")
        return cls(rules, resource=str(resource) if resource is not None else None)

    @property
    def properties(self) -> frozenset[str]:
        return frozenset(rule.name for rule in self.rules)

    def apply(self, raw: AbstractMapping[str, Any]) -> dict[str, Any]:
        """The mapped record: only the properties this mapping fills and that have a value."""
        record: dict[str, Any] = {}
        for rule in self.rules:
            value = rule.value(raw)
            if value is not _ABSENT:
                record[rule.name] = value
        return record

    def check_covers(self, required: Iterable[str]) -> None:
        """Refuse a mapping that leaves a required schema property without a rule."""
        missing = sorted(set(required) - self.properties)
        if missing:
            where = f" for resource {self.resource}" if self.resource else ""
            raise MappingInvalid(
                f"the mapping{where} does not fill the required properties: {', '.join(missing)}",
                missing=missing,
            )


def _parse_rule(name: str, spec: Any) -> PropertyRule:
    if not isinstance(spec, AbstractMapping):
        raise MappingInvalid(f"property {name!r}: expected a table with 'from' or 'const'")
    unknown = set(spec) - _RULE_KEYS
    if unknown:
        raise MappingInvalid(f"property {name!r}: unknown keys {sorted(unknown)}")
    if ("from" in spec) == ("const" in spec):
        raise MappingInvalid(f"property {name!r}: give exactly one of 'from' and 'const'")
    if "const" in spec:
        if "steps" in spec or "default" in spec:
            raise MappingInvalid(f"property {name!r}: a const takes no steps or default")
        return PropertyRule(name=name, source=None, const=spec["const"])
    source = _parse_source(name, spec["from"])
    try:
        steps = tuple(build_step(step) for step in spec.get("steps") or [])
    except (ValueError, TypeError) as exc:
        raise MappingInvalid(f"property {name!r}: {exc}") from exc
    if any(step_name == "split" for step_name, _ in steps[:-1]):
        raise MappingInvalid(f"property {name!r}: 'split' gives a list and must be the last step")
    if isinstance(source, tuple) and (not steps or steps[0][0] != "join"):
        raise MappingInvalid(f"property {name!r}: several source fields need 'join' first")
    default = spec.get("default", _ABSENT)
    return PropertyRule(name=name, source=source, steps=steps, default=default)


def _parse_source(name: str, value: Any) -> str | tuple[str, ...]:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MappingInvalid(f"property {name!r}: 'from' is a field name or a list of names")
