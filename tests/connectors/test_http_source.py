"""The HTTP JSON source against a real local server: encoding, statuses, record paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from connectors.sources import HttpSource, SourceFailed, SourceUnavailable
from kit.errors import Invalid
from tests.connectors.source_helpers import RECORDS, UNKNOWN_KEY, X_KEY, JsonServer, json_server

MakeSource = Callable[..., HttpSource]


@pytest.fixture(scope="module")
def server() -> Iterator[JsonServer]:
    with json_server() as running:
        yield running


@pytest.fixture
def opened() -> Iterator[list[HttpSource]]:
    sources: list[HttpSource] = []
    yield sources
    for source in sources:
        source.close()


@pytest.fixture
def source_at(server: JsonServer, opened: list[HttpSource]) -> MakeSource:
    def make(route: str, *, record_path: str | None = None, timeout: float = 5.0) -> HttpSource:
        source = HttpSource(
            server.base + f"/{route}/{{key}}", record_path=record_path, timeout=timeout
        )
        opened.append(source)
        return source

    return make


def test_a_url_without_a_key_placeholder_is_refused(server: JsonServer) -> None:
    with pytest.raises(Invalid, match=r"\{key\}"):
        HttpSource(server.base + "/people")


def test_reserved_characters_in_the_key_are_percent_encoded(
    server: JsonServer, source_at: MakeSource
) -> None:
    source = source_at("people", record_path="data")
    assert source.fetch("a/b?c=1 #") is None
    assert server.paths[-1] == "/people/a%2Fb%3Fc%3D1%20%23"


def test_a_record_without_a_path_is_the_whole_body(source_at: MakeSource) -> None:
    assert source_at("bare").fetch(X_KEY) == RECORDS[X_KEY]


def test_a_record_path_may_index_into_a_list(source_at: MakeSource) -> None:
    source = source_at("wrapped", record_path="data.items.0")
    assert source.fetch(X_KEY) == RECORDS[X_KEY]


def test_a_record_path_ending_at_a_list_takes_its_first_element(
    source_at: MakeSource,
) -> None:
    source = source_at("wrapped", record_path="data.items")
    assert source.fetch(X_KEY) == RECORDS[X_KEY]


def test_an_empty_list_at_the_record_path_is_not_found(
    source_at: MakeSource,
) -> None:
    assert source_at("wrapped", record_path="data.items").fetch(UNKNOWN_KEY) is None


def test_a_null_at_the_record_path_is_not_found(source_at: MakeSource) -> None:
    assert source_at("maybe", record_path="data").fetch(UNKNOWN_KEY) is None


def test_a_server_error_makes_the_source_unavailable(source_at: MakeSource) -> None:
    with pytest.raises(SourceUnavailable, match="503"):
        source_at("503").fetch(X_KEY)


def test_too_many_requests_makes_the_source_unavailable(
    source_at: MakeSource,
) -> None:
    with pytest.raises(SourceUnavailable, match="429"):
        source_at("429").fetch(X_KEY)


def test_a_timeout_makes_the_source_unavailable(source_at: MakeSource) -> None:
    with pytest.raises(SourceUnavailable, match="Timeout"):
        source_at("slow", timeout=0.2).fetch(X_KEY)


def test_a_refusal_is_a_source_failure(source_at: MakeSource) -> None:
    with pytest.raises(SourceFailed, match="403"):
        source_at("403").fetch(X_KEY)


def test_a_body_that_is_not_json_is_a_source_failure(source_at: MakeSource) -> None:
    with pytest.raises(SourceFailed, match="not JSON"):
        source_at("text").fetch(X_KEY)


def test_a_record_that_is_not_an_object_is_a_source_failure(
    source_at: MakeSource,
) -> None:
    with pytest.raises(SourceFailed, match="not an object"):
        source_at("bare", record_path="name").fetch(X_KEY)


def test_an_error_names_the_host_but_not_the_key(source_at: MakeSource) -> None:
    with pytest.raises(SourceUnavailable) as caught:
        source_at("500").fetch(X_KEY)
    assert "127.0.0.1" in caught.value.detail
    assert X_KEY not in caught.value.detail
