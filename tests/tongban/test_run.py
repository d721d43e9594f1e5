"""`tongban run` (what `make run` starts): everything comes up, and Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from connectors.embedded import free_port
from tongban.cli.runtime import Supervisor


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_ready(url: str, proc: subprocess.Popen[str], timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout is not None else ""
            raise AssertionError(f"tongban run exited early with {proc.returncode}:\n{output}")
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
        if proc.stdout is not None and not proc.stdout.closed:
            proc.communicate()  # closes the pipe, whichever way the test went
    assert proc.returncode == 0, output
    pids = [int(p) for p in re.findall(r"pid (\d+)", output)]
    assert len(pids) >= 2, output  # the broker and the API at least
    assert [p for p in pids if _alive(p)] == []
    assert "stopped." in output


def test_run_stops_everything_and_exits_1_naming_the_child_that_died(
    tmp_path: Path, database_url: str
) -> None:
    with socket.socket() as taken:  # the API cannot bind its port: its process exits
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            **os.environ,
            "TONGBAN_DATA_DIR": str(tmp_path / "var"),
            "TONGBAN_DATABASE_URL": database_url,
            "TONGBAN_PORT": str(taken.getsockname()[1]),
            "TONGBAN_KAFKA_BOOTSTRAP": "",
        }
        done = subprocess.run(
            [sys.executable, "-m", "tongban", "run", "--no-seed"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "stopping: api exited with" in done.stderr
    assert "address already in use" in done.stderr.lower()  # the end of the API's log
    pids = [int(p) for p in re.findall(r"pid (\d+)", done.stdout)]
    assert len(pids) >= 2, done.stdout
    assert [p for p in pids if _alive(p)] == []


def test_the_supervisor_names_a_dead_child_with_the_end_of_its_log(tmp_path: Path) -> None:
    sup = Supervisor()
    code = "print('\\n'.join(f'line {n}' for n in range(30))); raise SystemExit(3)"
    sup.spawn("worker", [sys.executable, "-c", code], dict(os.environ), tmp_path / "w.log")
    sup.children[0][1].wait(30)
    problem = sup.dead()
    assert problem is not None
    assert problem.startswith("worker exited with 3")
    assert "line 29" in problem
    assert "line 9\n" not in problem  # only the end of the log
    sup.stop()
