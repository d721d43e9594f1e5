"""A source behind a department's HTTP JSON interface, read with httpx.

``url`` is a template with ``{key}`` where the subject goes; the key is percent-encoded, so a
``/`` or ``?`` in it cannot change the path or add a query. Answers:

* 2xx with a JSON body: the record, or the part of the body at ``record_path``;
* 404: not found (None);
* connection failure, timeout, 5xx, 429: :class:`SourceUnavailable`;
* any other status, or a body that is not JSON: :class:`SourceFailed`.

``record_path`` is dotted: ``data.record`` takes ``body["data"]["record"]``, a number indexes a
list (``data.items.0``). A missing step or a null gives None (many interfaces answer 200 with an
empty ``data`` for an unknown subject); a list at the end gives its first element, like the
first row of a query. Error details name the host, never the URL (it holds the key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from connectors.sources.base import SourceFailed, SourceUnavailable
from kit.errors import Invalid

__all__ = ["HttpSource"]


class HttpSource:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        record_path: str | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if "{key}" not in url:
            raise Invalid("an HTTP source URL needs a {key} placeholder for the subject")
        self._url = url
        self._path = [step for step in (record_path or "").split(".") if step]
        self._host = httpx.URL(url.replace("{key}", "k")).host
        self._client = httpx.Client(
            timeout=timeout, headers=dict(headers or {}), transport=transport
        )
        self._closed = False

    def fetch(self, key: str) -> dict[str, Any] | None:
        if self._closed:
            raise SourceUnavailable(f"HTTP source {self._host} is closed")
        url = self._url.replace("{key}", quote(key, safe=""))
        try:
            response = self._client.get(url, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise SourceUnavailable(
                f"HTTP source {self._host} cannot be reached: {type(exc).__name__}"
            ) from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 500 or response.status_code == 429:
            raise SourceUnavailable(f"HTTP source {self._host} answered {response.status_code}")
        if not response.is_success:
            raise SourceFailed(f"HTTP source {self._host} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise SourceFailed(
                f"HTTP source {self._host} answered a body that is not JSON"
            ) from exc
        return self._record(body)

    def close(self) -> None:
        self._closed = True
        self._client.close()

    def _record(self, body: Any) -> dict[str, Any] | None:
        node = body
        for step in self._path:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and step.isdigit():
                node = node[int(step)] if int(step) < len(node) else None
            else:
                node = None
            if node is None:
                return None
        if isinstance(node, list):
            node = node[0] if node else None
        if node is None:
            return None
        if not isinstance(node, dict):
            raise SourceFailed(f"HTTP source {self._host} answered a record that is not an object")
        return node
