"""One object of a kind per hub process, kept in the hub's ``extras`` mapping and made on
first use, so that the routes and the workers of one process share it."""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

T = TypeVar("T")

_MAKING = threading.Lock()


def shared(extras: MutableMapping[str, Any], key: str, kind: type[T], make: Callable[[], T]) -> T:
    """The ``kind`` object under ``key`` in ``extras``, made with ``make`` (once, whichever
    thread asks first) if there is none yet."""
    with _MAKING:
        found = extras.get(key)
        if not isinstance(found, kind):
            found = make()
            extras[key] = found
        return found
