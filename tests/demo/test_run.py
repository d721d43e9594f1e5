"""`tongban run` with the demo (what `make run` starts): the seed, one agent per department
and the market regulation interface come up, exchanges are answered from the departments'
own sources, and Ctrl-C leaves nothing running."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.embedded import free_port
from kit.crypto import load_private_key
from kit.db import new_id
from tongban.auth import system_token

DEPARTMENTS = ("police", "health", "civil", "hrss", "medical", "market", "nature", "fund")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_ready(url: str, proc: subprocess.Popen[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "tongban run exited early"
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} never became ready")


def _headers(world: dict[str, Any], system_id: str) -> dict[str, str]:
    key = load_private_key(Path(world["systems"][system_id]["key_file"]))
    return {"Authorization": f"Bearer {system_token(system_id, key, audience=world['hub'])}"}


def _exchange(
    api: str,
    world: dict[str, Any],
    scenario: str,
    resource: str,
    subject: dict[str, str],
    items: list[str],
) -> dict[str, Any]:
    """Ask for ``items`` under the scenario's grant for the resource, and poll until it is
    answered."""
    grant = next(
        g
        for g in world["grants"]
        if g["scenario"] == scenario and g["resource"] == resource and set(items) <= set(g["items"])
    )
    system = grant["system"]
    body = {
        "grant_id": grant["grant"],
        "subject": subject,
        "items": items,
        "purpose": scenario,
        "idempotency_key": new_id(),
    }
    answer = httpx.post(
        f"{api}/v1/exchanges", json=body, headers=_headers(world, system), timeout=30
    )
    assert answer.status_code in (200, 202), answer.text
    view: dict[str, Any] = answer.json()
    deadline = time.monotonic() + 60
    while view["result"] is None and time.monotonic() < deadline:
        time.sleep(0.5)
        polled = httpx.get(f"{api}{view['url']}", headers=_headers(world, system), timeout=30)
        assert polled.status_code == 200, polled.text
        view = polled.json()
    assert view["result"] is not None, view
    return view


@pytest.mark.slow
def test_run_seeds_the_demo_starts_every_agent_answers_and_stops_on_ctrl_c(
    tmp_path: Path, database_url: str
) -> None:
    port, market = free_port(), free_port()
    data_dir = tmp_path / "var"
    env = {
        **os.environ,
        "TONGBAN_DATA_DIR": str(data_dir),
        "TONGBAN_DATABASE_URL": database_url,
        "TONGBAN_PORT": str(port),
        "TONGBAN_DEMO_MARKET_PORT": str(market),
        "TONGBAN_KAFKA_BOOTSTRAP": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tongban", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    api = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{api}/readyz", proc)
        world = json.loads((data_dir / "demo" / "world.json").read_text("utf-8"))
        retiree = world["roles"]["retiree"]
        identity = _exchange(
            api,
            world,
            "retirement",
            "101001/000001",
            {"type": "person", "id": retiree["id_number"]},
            ["name", "sex"],
        )
        detail = _exchange(  # a list of monthly entries, one value per entry and item
            api,
            world,
            "retirement",
            "201001/000003",
            {"type": "person", "id": retiree["id_number"]},
            ["name", "contributions.month", "contributions.employer_uscc"],
        )
        company = world["roles"]["company"]
        licence = _exchange(
            api,
            world,
            "open-restaurant",
            "102001/000001",
            {"type": "company", "id": company["uscc"]},
            ["uscc", "name"],
        )
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert identity["result"]["outcome"] == "found", identity
    assert identity["result"]["data"]["name"] == retiree["name"]
    assert detail["result"]["outcome"] == "found", detail
    months = detail["result"]["data"]["contributions.month"]
    assert len(months) >= 360  # the retiree's thirty years and more
    assert len(detail["result"]["data"]["contributions.employer_uscc"]) == len(months)
    assert licence["result"]["outcome"] == "found", licence
    assert licence["result"]["data"]["uscc"] == company["uscc"]
    processes = re.search(r"processes +(.*)", output)
    assert processes is not None, output
    names = set(re.findall(r"([a-z-]+) \(pid \d+\)", processes.group(1)))
    assert {f"agent-{d}" for d in DEPARTMENTS} | {"market-service", "api"} <= names
    pids = [int(p) for p in re.findall(r"pid (\d+)", output)]
    assert len(pids) >= 12, output  # the broker, the API, the deadline job, 8 agents, market
    assert [p for p in pids if _alive(p)] == []
    assert "stopped." in output
