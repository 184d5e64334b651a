"""Killing a command-line process with SIGKILL at a chosen point of its work."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable

from commands.application import LedgerApplication

DEADLINE = 120.0
"""Seconds a process may take to reach the point the test waits for (a hang, not a measure)."""


def kill_when(run: subprocess.Popen[str], reached: Callable[[], bool], what: str) -> None:
    """SIGKILL ``run`` as soon as ``reached()`` holds (polled); fail if it ends first."""
    give_up = time.monotonic() + DEADLINE
    while not reached():
        if run.poll() is not None:
            _, errors = run.communicate()
            raise AssertionError(f"the process ended before {what}: {errors}")
        assert time.monotonic() < give_up, f"gave up waiting for {what}"
        time.sleep(0.005)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL


def log_position(app: LedgerApplication) -> int:
    """The last position of the event log (0 when empty)."""
    return app.recorder.max_notification_id() or 0
