"""Test-only fault injection, loaded by Python at start-up when this folder is on
PYTHONPATH (tests put it there; nothing in runbookctl knows about it).

RUNBOOKCTL_TEST_SLOW_FSYNC=<seconds>: every os.fsync sleeps that long first, so
that a signal lands during the fsync. RUNBOOKCTL_TEST_FSYNC_MARK=<file>: each
fsync appends "<pid> <n>" to that file when it begins, for the test to wait on.
"""

from __future__ import annotations

import os
import time

_delay = float(os.environ.get("RUNBOOKCTL_TEST_SLOW_FSYNC") or 0)
_mark = os.environ.get("RUNBOOKCTL_TEST_FSYNC_MARK")

if _delay or _mark:
    _real_fsync = os.fsync
    _count = [0]

    def _slow_fsync(fd: int) -> None:
        _count[0] += 1
        if _mark:
            with open(_mark, "a", encoding="utf-8") as fh:
                fh.write(f"{os.getpid()} {_count[0]}\n")
        if _delay:
            time.sleep(_delay)
        _real_fsync(fd)

    os.fsync = _slow_fsync
