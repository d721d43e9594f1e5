"""`tongban broker` (the embedded broker as a command) takes its broker down with it, even
when it is killed outright."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from connectors.embedded import answers, free_port


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_the_broker_command_outright_stops_the_broker_too() -> None:
    port = free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "tongban", "broker", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as command:
        assert command.stdout is not None
        line = command.stdout.readline()
        assert f"127.0.0.1:{port}" in line, line
        assert answers(port)
        command.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 15
    while answers(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    still = answers(port)
    if still:  # leave nothing behind, then fail
        subprocess.run(["pkill", "-9", "-f", f"tcp://127.0.0.1:{port}"], check=False)
    assert not still, "the broker outlived the command that started it"
