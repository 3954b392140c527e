"""Fixtures shared by every test: real services the tests start and stop themselves."""

import os

from hypothesis import settings

# sshd_fleet (tests/sshd.py); operator: a real pty standing in for the operator's
# terminal (tests/pty_operator.py).
pytest_plugins = ["tests.sshd", "tests.pty_operator", "tests.receiver"]

# `make test` must give the same verdict every time: property tests walk a fixed
# sequence of examples, with no per-example time limit (a loaded CI machine made
# hypothesis's 200 ms deadline fail a correct test). RUNBOOKCTL_FUZZ=1 explores
# new random ones instead.
settings.register_profile("suite", derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", derandomize=False)
settings.load_profile("fuzz" if os.environ.get("RUNBOOKCTL_FUZZ") else "suite")
