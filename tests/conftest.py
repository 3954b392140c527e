"""Fixtures shared by every test: real services the tests start and stop themselves."""

pytest_plugins = ["tests.sshd"]
