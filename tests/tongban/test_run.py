"""`tongban run` (what `make run` starts): everything comes up, and Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from connectors.embedded import free_port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_ready(url: str, proc: subprocess.Popen[str], timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "tongban run exited early"
        try:
            response = httpx.get(url, timeout=1.0)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became ready")


def test_run_serves_readyz_with_database_and_kafka_and_ctrl_c_stops_every_child(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TONGBAN_DATA_DIR": str(tmp_path / "var"),
        "TONGBAN_DATABASE_URL": database_url,
        "TONGBAN_PORT": str(port),
        "TONGBAN_KAFKA_BOOTSTRAP": "",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "tongban", "run", "--no-seed"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = _wait_ready(f"http://127.0.0.1:{port}/readyz", proc)
        checks = ready.json()["checks"]
        assert checks["database"]["ok"]
        assert checks["kafka"]["ok"]
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    pids = [int(p) for p in re.findall(r"pid (\d+)", output)]
    assert len(pids) >= 2, output  # the broker and the API at least
    assert [p for p in pids if _alive(p)] == []
    assert "stopped." in output
