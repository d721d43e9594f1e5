"""Wiring the audit log into a hub process: its checkpointer, proof cache and worker thread.

One checkpointer and one proof cache per hub (kept in ``hub.extras``), shared by the API's
routes and the background worker, which signs a checkpoint at start (rebuilding the frontier
from the stored leaf hashes) and then every ``checkpoint_interval_s`` while leaves arrive
(nothing when the log has not grown).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from audit import CHECKPOINT_TOPIC, Checkpointer, ProofCache, install_audit
from kit.db import transaction
from tongban.settings import Settings
from tongban.wiring import Hub

log = logging.getLogger(__name__)

_CHECKPOINTER = "audit.checkpointer"
_PROOFS = "audit.proofs"


def audit_origin(settings: Settings) -> str:
    """The checkpoint origin line and key name: ``TONGBAN_AUDIT_ORIGIN``, or by default
    ``tongban/<hub id>`` (production sets a name under its own domain)."""
    return settings.audit_origin or f"tongban/{settings.hub_id}"


def checkpointer_for(hub: Hub) -> Checkpointer:
    made = hub.extras.get(_CHECKPOINTER)
    if not isinstance(made, Checkpointer):
        made = Checkpointer(
            key=hub.hub_key.private,
            origin=audit_origin(hub.settings),
            topic=hub.settings.topic(CHECKPOINT_TOPIC),
        )
        hub.extras[_CHECKPOINTER] = made
    return made


def proofs_for(hub: Hub) -> ProofCache:
    made = hub.extras.get(_PROOFS)
    if not isinstance(made, ProofCache):
        made = hub.extras[_PROOFS] = ProofCache()
    return made


def install(state: Any, hub: Hub) -> None:
    """Give the API's routes this hub's checkpointer and proof cache (``app.state``)."""
    install_audit(state, checkpointer=checkpointer_for(hub), proofs=proofs_for(hub))


def checkpoint_once(hub: Hub) -> bool:
    """One tick of the worker: sign a checkpoint if the log grew; whether one was made."""
    with transaction(hub.factory) as session:
        _, created = checkpointer_for(hub).checkpoint(session)
    return created


def start_checkpointer(hub: Hub, stop: threading.Event) -> list[threading.Thread]:
    """Run the checkpointer until ``stop`` is set."""
    interval = hub.settings.checkpoint_interval_s

    def run() -> None:
        while not stop.is_set():  # the first tick rebuilds the frontier at start
            try:
                checkpoint_once(hub)
            except Exception:
                log.exception("audit checkpointer: signing failed; retrying")
            stop.wait(interval)

    thread = threading.Thread(target=run, name="audit-checkpointer", daemon=True)
    thread.start()
    return [thread]
