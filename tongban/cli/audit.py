"""The audit log at the command line: sign a checkpoint, export the log, verify an export.

``verify`` needs no database, no network and no settings: only the export directory and,
ideally, the log's public key and a checkpoint the auditor kept from earlier.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from audit import Report, export_log, verify_export
from kit.actors import operator
from kit.db import transaction
from kit.errors import TongbanError
from tongban.audit_worker import checkpoint_once, checkpointer_for
from tongban.cli.common import emit, fail, hub_session, settings
from tongban.wiring import build_hub

audit = typer.Typer(help="The verifiable audit log (审计日志).", no_args_is_help=True)

EXIT_TAMPERED = 1


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


@audit.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint of the log now (if it grew since the newest one) and print it."""
    with hub_session() as (hub, session):
        made, created = checkpointer_for(hub).checkpoint(session, actor=operator())
        assert made is not None
        emit({"created": created, "size": made.size, "root": _b64(made.root), "note": made.note})


@audit.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="where to write the export")],
) -> None:
    """Write leaves.jsonl, checkpoints.jsonl and the public key files into DIRECTORY,
    signing a checkpoint first so that the export covers every committed leaf."""
    hub = build_hub(settings(), connect_bus=False)
    try:
        checkpoint_once(hub)
        checkpointer = checkpointer_for(hub)
        with transaction(hub.factory) as session:
            summary = export_log(
                session, directory, public_key=checkpointer.public_key, name=checkpointer.origin
            )
    except TongbanError as exc:
        fail(f"{exc.code}: {exc.detail}")
        return
    finally:
        hub.close()
    emit(
        {
            "directory": str(summary.directory),
            "leaves": summary.leaves,
            "checkpoints": summary.checkpoints,
            "root": _b64(summary.root) if summary.root else None,
            "verifier_key": checkpointer.verifier_key,
        }
    )


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the {what} {path}: {exc}")
        return None


def _describe(report: Report, seconds: float) -> list[str]:
    lines = [
        f"leaves       {report.leaves}",
        f"root         {_b64(report.root)}",
        f"checkpoints  {report.checkpoints}, signed roots verified up to size "
        f"{report.verified_size}",
        f"time         {seconds:.2f} s",
    ]
    if report.ok:
        return [*lines, "OK: every leaf and every checkpoint verifies; no tampering found"]
    first = report.findings[0]
    where = f" at leaf index {first.index}" if first.index is not None else ""
    lines.append(f"TAMPERED: {first.kind}{where}")
    for finding in report.findings:
        at = "" if finding.index is None else f" [index {finding.index}]"
        lines.append(f"  - {finding.kind}{at}: {finding.detail}")
    return lines


def _as_json(report: Report) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "leaves": report.leaves,
        "root": _b64(report.root),
        "checkpoints": report.checkpoints,
        "verified_size": report.verified_size,
        "first_bad_index": report.first_bad_index,
        "findings": [
            {"kind": str(f.kind), "index": f.index, "end": f.end, "detail": f.detail}
            for f in report.findings
        ],
    }


@audit.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help="an export directory")],
    key: Annotated[
        Path | None,
        typer.Option(help="the log's public key as you know it (PEM or verifier key)"),
    ] = None,
    checkpoint: Annotated[
        Path | None, typer.Option(help="a signed checkpoint you kept from earlier")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Verify an export offline; exit 1 when tampering is found, 2 on unusable input."""
    if not directory.is_dir():
        fail(f"{directory} is not a directory")
    public_key, witnessed = _read(key, "key"), _read(checkpoint, "checkpoint")
    started = time.perf_counter()
    try:
        report = verify_export(directory, public_key=public_key, witnessed_checkpoint=witnessed)
    except TongbanError as exc:
        fail(exc.detail)
        return
    seconds = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps(_as_json(report), ensure_ascii=False, indent=2))
    else:
        typer.echo("\n".join(_describe(report, seconds)))
    if key is None:
        typer.echo(
            "note: checked against the key the export ships; pass --key with the log's key "
            "obtained independently (GET /v1/audit/key, a witness) to rule out re-signing",
            err=True,
        )
    if not report.ok:
        raise typer.Exit(EXIT_TAMPERED)


def register(app: typer.Typer) -> None:
    app.add_typer(audit, name="audit")
