"""The value steps a field mapping applies, each built once from its YAML options.

A step is a function from one value to the next. It raises :data:`STEP_ERRORS` when the value
does not fit; the mapping reports that without the value itself, which may be personal data,
so only a :class:`StepError` (whose text never holds the value) is reported with its text.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

__all__ = ["CHINA_TIME", "STEP_ERRORS", "STEP_NAMES", "Step", "StepError", "build_step"]

Step = Callable[[Any], Any]

#: Beijing time; China has kept UTC+08:00 all year since 1991.
CHINA_TIME = timezone(timedelta(hours=8))


class StepError(ValueError):
    """A value does not fit a step; the text says why without quoting the value."""


STEP_ERRORS = (ValueError, TypeError, ArithmeticError)

_TRUE = frozenset({"1", "true", "t", "yes", "y", "是"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "否"})
_NO_DEFAULT = object()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _trim(value: Any) -> str:
    return _text(value).strip()


def _upper(value: Any) -> str:
    return _text(value).upper()


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise StepError("a boolean is not an integer")
    number = Decimal(_trim(value))
    if number != number.to_integral_value():
        raise StepError("not a whole number")
    return int(number)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise StepError("a boolean is not a number")
    number = float(value) if isinstance(value, int | float | Decimal) else float(_trim(value))
    if not math.isfinite(number):
        raise StepError("not a finite number")
    return number


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _trim(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise StepError("not a yes/no value")


def _date_step(fmt: str | None) -> Step:
    def to_date(value: Any) -> str:
        if isinstance(value, datetime):
            moment = value.astimezone(CHINA_TIME) if value.tzinfo else value
            return moment.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        text = _trim(value)
        parsed = datetime.strptime(text, fmt).date() if fmt else date.fromisoformat(text)
        return parsed.isoformat()

    return to_date


def _datetime_step(fmt: str | None) -> Step:
    def to_datetime(value: Any) -> str:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        else:
            text = _trim(value)
            moment = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=CHINA_TIME)
        return moment.astimezone(CHINA_TIME).isoformat()

    return to_datetime


def _month_step(fmt: str | None) -> Step:
    def to_month(value: Any) -> str:
        if isinstance(value, datetime):
            moment = value.astimezone(CHINA_TIME) if value.tzinfo else value
            return f"{moment:%Y-%m}"
        if isinstance(value, date):
            return f"{value:%Y-%m}"
        text = _trim(value)
        if fmt:
            return f"{datetime.strptime(text, fmt):%Y-%m}"
        year, dash, month = text.partition("-")
        if dash and len(year) == 4 and len(month) == 2:
            return f"{date(int(year), int(month), 1):%Y-%m}"
        return f"{date.fromisoformat(text):%Y-%m}"

    return to_month


def _code_step(table: Any, unknown: Any = _NO_DEFAULT) -> Step:
    if not isinstance(table, Mapping) or not table:
        raise ValueError("code needs a non-empty table of source value: code")
    codes = {str(source): code for source, code in table.items()}

    def to_code(value: Any) -> Any:
        found = codes.get(_text(value), unknown)
        if found is _NO_DEFAULT:
            raise StepError(f"value not in the code table ({len(codes)} entries)")
        return found

    return to_code


def _join_step(separator: Any) -> Step:
    if not isinstance(separator, str):
        raise ValueError("join needs a text separator")

    def join(value: Any) -> str:
        parts = value if isinstance(value, list | tuple) else [value]
        return separator.join(_text(part) for part in parts if part not in (None, ""))

    return join


def _split_step(separator: Any, trim: Any = False) -> Step:
    if not isinstance(separator, str) or not separator:
        raise ValueError("split needs a non-empty text separator")
    if not isinstance(trim, bool):
        raise ValueError("split's 'trim' is true or false")

    def split(value: Any) -> list[str]:
        if not isinstance(value, str):
            raise StepError(f"split needs text, not {type(value).__name__}")
        parts = value.split(separator)
        if trim:
            parts = [part.strip() for part in parts]
        return [part for part in parts if part != ""]

    return split


def _optional_format(option: Any) -> str | None:
    if option is None or isinstance(option, str):
        return option
    raise ValueError("a format must be a strftime text such as '%Y%m%d'")


_PLAIN: dict[str, Step] = {
    "trim": _trim,
    "upper": _upper,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "date": _date_step(None),
    "datetime": _datetime_step(None),
    "month": _month_step(None),
}
_WITH_OPTION: dict[str, Callable[..., Step]] = {
    "date": lambda fmt: _date_step(_optional_format(fmt)),
    "datetime": lambda fmt: _datetime_step(_optional_format(fmt)),
    "month": lambda fmt: _month_step(_optional_format(fmt)),
    "code": _code_step,
    "join": _join_step,
    "split": _split_step,
}
_EXTRA_OPTIONS = {"code": {"unknown"}, "split": {"trim"}}

STEP_NAMES = frozenset(_PLAIN) | frozenset(_WITH_OPTION)


def build_step(spec: Any) -> tuple[str, Step]:
    """A step from its YAML form: a bare name (``trim``) or a mapping whose one step key holds
    the argument (``{date: "%Y%m%d"}``), plus that step's extra options (``unknown``)."""
    if isinstance(spec, str):
        if spec not in _PLAIN:
            raise ValueError(f"unknown step {spec!r} (known: {sorted(STEP_NAMES)})")
        return spec, _PLAIN[spec]
    if not isinstance(spec, Mapping):
        raise ValueError(f"a step is a name or a mapping, not {spec!r}")
    names = [key for key in spec if key in _WITH_OPTION]
    if len(names) != 1:
        raise ValueError(f"a step mapping names exactly one of {sorted(_WITH_OPTION)}")
    name = names[0]
    extra = set(spec) - {name}
    if not extra <= _EXTRA_OPTIONS.get(name, set()):
        raise ValueError(f"step {name!r} does not take options {sorted(extra)}")
    return name, _WITH_OPTION[name](spec[name], **{key: spec[key] for key in extra})
