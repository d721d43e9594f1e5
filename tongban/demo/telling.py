"""``tongban demo`` (= ``make demo``): tell the four stories against the hub ``make run``
started, then export the audit log and verify the export offline.

The hub is found at ``http://<TONGBAN_HOST>:<TONGBAN_PORT>`` (127.0.0.1:8000 by default) and
the world at ``<data_dir>/demo/world.json``. The export is written by the operator's side
(the same database ``tongban audit export`` reads) and verified with the log's key as the
API publishes it (``GET /v1/audit/key``), the way an auditor would.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from audit import Leaf, Report, export_log, verify_export
from kit.crypto import load_private_key
from kit.db import transaction, utcnow
from kit.errors import NotFound, TongbanError
from tongban.audit_worker import checkpoint_once, checkpointer_for
from tongban.cli.citizen import idp_key_path
from tongban.client import HubClient, HubError
from tongban.demo.forms import Told
from tongban.demo.stories import Citizens, Stories
from tongban.demo.world import demo_dir, read_world
from tongban.settings import Settings
from tongban.wiring import build_hub


@dataclass(frozen=True)
class Audited:
    directory: Path
    report: Report
    actions: Counter[str]


def hub_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}"


def citizens_of(settings: Settings) -> Citizens:
    path = idp_key_path(settings)
    if not path.is_file():
        raise NotFound(f"no demo identity provider key at {path}: start the hub with make run")
    return Citizens(load_private_key(path), settings.idp_issuer, settings.hub_id)


def export_and_verify(settings: Settings, client: HubClient) -> Audited:
    """Sign a checkpoint, export the log, and verify the export with the published key."""
    hub = build_hub(settings, connect_bus=False)
    directory = demo_dir(settings) / "audit" / utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    try:
        checkpoint_once(hub)
        checkpointer = checkpointer_for(hub)
        with transaction(hub.factory) as session:
            export_log(
                session, directory, public_key=checkpointer.public_key, name=checkpointer.origin
            )
    finally:
        hub.close()
    key = client.get("/v1/audit/key")["verifier_key"]
    report = verify_export(directory, public_key=str(key))
    return Audited(directory, report, _actions(directory))


def _actions(directory: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    with (directory / "leaves.jsonl").open("rb") as lines:
        for line in lines:
            data = base64.b64decode(json.loads(line)["leaf"])
            counts[Leaf.from_bytes(data).action] += 1
    return counts


def show_audit(audited: Audited, out: Callable[[str], None]) -> None:
    report, actions = audited.report, audited.actions
    out("")
    out("══ 审计 the audit log, exported and verified offline ══")
    out(f"exported {report.leaves} leaves and {report.checkpoints} checkpoints to")
    out(f"   {audited.directory}")
    verdict = "OK: every leaf and checkpoint verifies" if report.ok else "TAMPERED"
    out(f"verified with the key of GET /v1/audit/key: {verdict}")
    shown = ("prefill:run", "exchange:request", "exchange:fulfil", "consent:give")
    out("   " + ", ".join(f"{actions[a]} {a}" for a in shown))


def run_stories(
    settings: Settings,
    *,
    out: Callable[[str], None] = print,
    api: str | None = None,
    http: Any = None,
) -> tuple[list[Told], Audited]:
    """Tell the four stories and check the audit log; raise if the world is missing."""
    world = read_world(settings)
    if world is None:
        raise NotFound(
            f"no demo world at {demo_dir(settings) / 'world.json'}: start the hub with make run "
            "(or run tongban demo seed)"
        )
    base = hub_url(settings) if api is None else api
    stories = Stories(base, world, citizens_of(settings), out=out, http=http)
    out(f"Tongban 通办 — the one-thing stories against {base or 'the hub'}")
    told = stories.tell_all()
    first = next(iter(world["systems"]))
    audited = export_and_verify(settings, stories.system(first))
    show_audit(audited, out)
    return told, audited


def tell_stories(settings: Settings, out: Callable[[str], None] = print) -> int:
    """``tongban demo``: the stories and the audit check; the exit status (0 when every
    signature and the audit export verify, 1 when something did not, 2 when the hub or the
    world is missing)."""
    try:
        _, audited = run_stories(settings, out=out)
    except httpx.TransportError as exc:
        out(f"error: cannot reach the hub at {hub_url(settings)} ({exc}); start it with make run")
        return 2
    except (TongbanError, HubError) as exc:
        detail = exc.detail if isinstance(exc, TongbanError) else str(exc)
        out(f"error: {detail}")
        return 2
    except ValueError as exc:  # a signature or a signed value that does not verify
        out(f"error: {exc}")
        return 1
    return 0 if audited.report.ok else 1
