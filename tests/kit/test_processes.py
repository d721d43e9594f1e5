"""A child started with ``die_with_parent`` ends when its parent is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

PARENT = """
import subprocess, sys, time
from kit.processes import die_with_parent
arrange = die_with_parent() if sys.argv[1] == "yes" else None
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], preexec_fn=arrange)
print(child.pid, flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (ended, not yet reaped by init) counts as gone
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


def _orphan_after_sigkill(arrange: str, patience: float) -> tuple[int, bool]:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, arrange], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + patience
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    return child, _alive(child)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_ends_with_its_killed_parent_only_when_it_asked_to() -> None:
    _, survived = _orphan_after_sigkill("yes", patience=10)
    assert not survived
    orphan, survived = _orphan_after_sigkill("no", patience=1)
    try:
        assert survived  # the control: without the request the child lives on
    finally:
        if _alive(orphan):
            os.kill(orphan, signal.SIGKILL)
