"""A group member knows whether it holds every partition of its topics (the hub's waiters
read their rows sooner while another hub process may record the replies)."""

from __future__ import annotations

import time

from connectors.embedded import EmbeddedBroker
from connectors.kafka import KafkaBus
from kit.db import new_id

JOIN_S = 30.0


def test_a_member_holds_all_once_it_has_every_partition_and_not_before(
    broker: EmbeddedBroker,
) -> None:
    bus = KafkaBus(broker.bootstrap, client_id="test-holds")
    topics = [f"test.holds.{new_id()[:8]}", f"test.holds.{new_id()[:8]}"]
    bus.ensure_topics(topics[:1], partitions=2)
    bus.ensure_topics(topics[1:], partitions=1)
    group = f"test-holds-{new_id()[:8]}"
    member = bus.consumer(topics, group_id=group)
    member.check_every_s = 0.05
    try:
        assert not member.holds_all  # not checked yet
        member.poll(timeout_ms=0)  # a check, with the metadata known and nothing assigned
        assert {t: member.partitions_for_topic(t) for t in topics} == {
            topics[0]: {0, 1},
            topics[1]: {0},
        }
        deadline = time.monotonic() + JOIN_S
        while not member.assignment() and time.monotonic() < deadline:
            assert not member.holds_all
            member.poll(timeout_ms=50)
        assert len(member.assignment()) == 3
        time.sleep(member.check_every_s)
        member.poll(timeout_ms=0)
        assert member.holds_all
    finally:
        member.close()
        bus.close()
