"""The cyclic garbage collector of the console script (cli/app.py:entry turns it off
at start-up): a command that lasts (a run, watch, serve) turns it back on once it has
loaded what it needs, with what start-up made frozen out of its passes. A short
command ends with it off: what it leaves is freed with the process."""

from __future__ import annotations

import gc


def lasting() -> None:
    """From here on the process may run for hours: collect its cycles again, but never
    walk what start-up made (modules, the runbook: it lives as long as the process)."""
    gc.freeze()
    gc.enable()
