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
      contributions:                   # an array of objects: a list of entries
        split: "|"                     # each field holds one part per entry
        entries:
          month: {from: AAE002, steps: [{month: "%Y%m"}]}    # "199004|199005" → 1990-04, …
          base: {from: AAE180, steps: [float]}
          amount: {from: AAE022, steps: [float]}

Steps: ``trim``, ``upper``; ``int``, ``float``, ``bool`` (1/0, true/false, yes/no, 是/否);
``date``, ``datetime`` and ``month``, bare (ISO 8601 input) or with a strptime format;
``code`` with its table and optional ``unknown``; ``join`` with its separator; ``split`` with
its separator and optional ``trim`` (one field holding several values → a list of texts, empty
parts dropped; it must be the last step). ``date`` gives ``YYYY-MM-DD``, ``month``
``YYYY-MM``, ``datetime`` RFC 3339 in Beijing time: a source time without a zone is taken as
+08:00 (department systems keep local time), one with a zone is converted to +08:00.
Database date and time values are accepted as they are.

A property that is an array of objects is mapped as a *list*: a table with ``entries`` (the
rules of each entry's properties, by their names inside the entry) and an optional ``split``.
Every field an entry rule reads holds one part per entry — a text cut at ``split``, or a list
when the source gives one (a JSON array) — and the n-th parts of all the fields make the n-th
entry; the steps apply to each part. Empty parts are kept so the positions stay aligned: an
empty part gives the rule's ``default``, or no value for that entry. A field that is empty as
a whole fills no entry (or gives its ``default`` to every entry); a ``const`` goes into every
entry; when every field is empty, the list is left out. Fields holding different numbers of
parts raise :class:`MappingFailed`. An entry rule reads one field and takes no ``split`` step.
The result holds one list of values per dotted property (``contributions.month``: one value
per entry), the shape an exchange carries for an element inside an array.

A source value that is missing, None or an empty string — also after any step, say ``trim``
of blanks — leaves the property out of the result, or gives its ``default`` when one is set
(the default is used as written, not passed through the steps). A property the schema
requires is then caught by the schema check. A value a step cannot convert raises
:class:`MappingFailed` naming the property and the step (and, in a list, the entry's
position), never the value.

:meth:`Mapping.check_covers` refuses, when the agent starts, a mapping that leaves a property
the schema requires without a rule; a property required only inside an optional object or
array entry (``contributions.amount``) is needed once the mapping fills anything of that
object or entry.
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

__all__ = ["ListRule", "Mapping", "MappingFailed", "MappingInvalid", "PropertyRule"]

_RULE_KEYS = frozenset({"from", "const", "steps", "default"})
_LIST_KEYS = frozenset({"entries", "split"})
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
        return self.convert(value)

    def convert(self, value: Any, *, entry: int | None = None) -> Any:
        """``value`` through the steps; the default (or ``_ABSENT``) when it is empty.
        ``entry`` is the 0-based position of the value in a list, named in errors."""
        for step_name, step in self.steps:
            if _empty(value):
                break
            try:
                value = step(value)
            except STEP_ERRORS as exc:
                why = str(exc) if isinstance(exc, StepError) else type(exc).__name__
                where = f" in entry {entry + 1}" if entry is not None else ""
                raise MappingFailed(
                    f"property {self.name!r}: step {step_name!r} cannot convert the value "
                    f"of {self._fields()}{where} ({why})"
                ) from exc
        return self.default if _empty(value) else value

    def _fields(self) -> str:
        fields = self.source if isinstance(self.source, tuple) else (self.source,)
        return ", ".join(str(field) for field in fields)


def _empty(value: Any) -> bool:
    return value is None or value is _ABSENT or (isinstance(value, str) and value == "")


@dataclass(frozen=True)
class ListRule:
    """An array of objects filled entry by entry: the n-th part of every field an entry rule
    reads goes into the n-th entry. The entry rules carry their full dotted names
    (``contributions.month``); ``split`` cuts a text field into its parts."""

    name: str
    entries: tuple[PropertyRule, ...]
    split: str | None = None

    @property
    def properties(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self.entries)

    def values(self, raw: AbstractMapping[str, Any]) -> dict[str, list[Any]]:
        """One list per entry property that has a value in some entry; empty without entries."""
        parts = {
            rule.name: self._parts(rule, raw.get(str(rule.source)))
            for rule in self.entries
            if rule.const is _ABSENT
        }
        counts = {name: len(found) for name, found in parts.items() if found is not None}
        if not counts:
            return {}
        if len(set(counts.values())) > 1:
            listed = ", ".join(
                f"{self._field(name)} {count}" for name, count in sorted(counts.items())
            )
            raise MappingFailed(
                f"list {self.name!r}: its fields hold different numbers of parts ({listed}); "
                "entries are joined by position, so every field needs one part per entry"
            )
        size = next(iter(counts.values()))
        result: dict[str, list[Any]] = {}
        for rule in self.entries:
            found = parts.get(rule.name)
            if rule.const is not _ABSENT or found is None:
                filler = rule.const if rule.const is not _ABSENT else rule.default
                if filler is not _ABSENT:
                    result[rule.name] = [filler] * size
                continue
            converted = [rule.convert(part, entry=i) for i, part in enumerate(found)]
            if any(value is not _ABSENT for value in converted):
                result[rule.name] = [None if v is _ABSENT else v for v in converted]
        return result

    def _parts(self, rule: PropertyRule, value: Any) -> list[Any] | None:
        """The field's parts, or None when it is empty as a whole."""
        if isinstance(value, list | tuple):
            return list(value) if value else None
        if _empty(value):
            return None
        if self.split is None:
            raise MappingFailed(
                f"list {self.name!r}: field {rule.source} holds one value, not a list; "
                "give the list a 'split' separator"
            )
        if not isinstance(value, str):
            raise MappingFailed(
                f"list {self.name!r}: field {rule.source} needs text to split, "
                f"not {type(value).__name__}"
            )
        return value.split(self.split)

    def _field(self, name: str) -> str:
        return next(str(rule.source) for rule in self.entries if rule.name == name)


class Mapping:
    """A parsed mapping document; build with :meth:`from_yaml` or :meth:`from_dict`."""

    def __init__(
        self,
        rules: Iterable[PropertyRule],
        *,
        resource: str | None = None,
        lists: Iterable[ListRule] = (),
    ) -> None:
        self.rules = tuple(rules)
        self.lists = tuple(lists)
        self.resource = resource
        own = [rule.name for rule in self.rules]
        for listed in self.lists:
            clash = next((n for n in own if n == listed.name or _within(n, listed.name)), None)
            if clash is not None:
                raise MappingInvalid(
                    f"property {clash!r} is mapped on its own and in the list {listed.name!r}"
                )
        names = own + [name for rule in self.lists for name in rule.properties]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise MappingInvalid(f"a property is mapped twice: {', '.join(twice)}")

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
        rules: list[PropertyRule] = []
        lists: list[ListRule] = []
        for name, spec in data["properties"].items():
            if isinstance(spec, AbstractMapping) and "entries" in spec:
                lists.append(_parse_list(str(name), spec))
            else:
                rules.append(_parse_rule(str(name), spec))
        resource = data.get("resource")
        return cls(rules, resource=str(resource) if resource is not None else None, lists=lists)

    @property
    def properties(self) -> frozenset[str]:
        """Every property this mapping fills, by dotted key (a list's by its entries' keys)."""
        names = {rule.name for rule in self.rules}
        return frozenset(names.union(*(rule.properties for rule in self.lists)))

    def apply(self, raw: AbstractMapping[str, Any]) -> dict[str, Any]:
        """The mapped record: only the properties this mapping fills and that have a value.
        A list gives one list of values per entry property, one value per entry."""
        record: dict[str, Any] = {}
        for rule in self.rules:
            value = rule.value(raw)
            if value is not _ABSENT:
                record[rule.name] = value
        for listed in self.lists:
            record.update(listed.values(raw))
        return record

    def check_covers(self, required: Iterable[str], *, within: Iterable[str] = ()) -> None:
        """Refuse a mapping that leaves a required schema property without a rule.

        ``required`` holds the properties every record must have. ``within`` holds those its
        own object or array entry requires (``contributions.amount``): each is needed once the
        mapping fills any property of that object or entry.
        """
        filled = self.properties
        needed = set(required)
        for key in within:
            parent = key.rpartition(".")[0]
            if not parent or any(_within(name, parent) for name in filled):
                needed.add(key)
        missing = sorted(needed - filled)
        if missing:
            where = f" for resource {self.resource}" if self.resource else ""
            raise MappingInvalid(
                f"the mapping{where} does not fill the required properties: {', '.join(missing)}",
                missing=missing,
            )


def _within(name: str, parent: str) -> bool:
    """Whether the dotted property ``name`` lies inside the object or array ``parent``."""
    return name.startswith(parent + ".")


def _parse_list(name: str, spec: AbstractMapping[str, Any]) -> ListRule:
    unknown = set(spec) - _LIST_KEYS
    if unknown:
        raise MappingInvalid(f"list {name!r}: unknown keys {sorted(unknown)}")
    entries = spec["entries"]
    if not isinstance(entries, AbstractMapping) or not entries:
        raise MappingInvalid(f"list {name!r}: 'entries' is a table of the entries' properties")
    split = spec.get("split")
    if split is not None and (not isinstance(split, str) or not split):
        raise MappingInvalid(f"list {name!r}: 'split' is a non-empty text separator")
    rules = tuple(_parse_rule(f"{name}.{key}", rule) for key, rule in entries.items())
    for rule in rules:
        if isinstance(rule.source, tuple):
            raise MappingInvalid(f"property {rule.name!r}: an entry rule reads one field")
        if any(step_name == "split" for step_name, _ in rule.steps):
            raise MappingInvalid(
                f"property {rule.name!r}: the list's own 'split' cuts its fields; "
                "an entry rule takes no 'split' step"
            )
    if all(rule.const is not _ABSENT for rule in rules):
        raise MappingInvalid(f"list {name!r}: at least one entry property needs 'from'")
    return ListRule(name=name, entries=rules, split=split)


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
