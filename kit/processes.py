"""Child processes that end with the process that started them.

A supervisor stops its children on a signal it can catch. SIGKILL (an out-of-memory kill, a
test runner's timeout) leaves no chance to, and the children (an API server, agents, a broker
holding its port) would live on. On Linux a child can ask the kernel for a signal when its
parent dies (``PR_SET_PDEATHSIG``); elsewhere this does nothing.

The kernel sends that signal when the *thread* that started the child exits, so start such
children from a thread that lives as long as they should: the main thread.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` that has the child sent ``sig`` when its
    parent dies; None where the platform cannot."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()

    def arrange() -> None:  # runs in the child, between fork and exec
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
            return
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), sig)

    return arrange
