"""Judging a command step: exit codes, the `expect`/`until` exit-code rule, and the
failure reasons of many hosts said once each (engine/verdict.py)."""

from __future__ import annotations

from runbookctl.engine.verdict import exit_gate, reasons_text
from runbookctl.executors.base import HostResult


def test_failure_reasons_on_many_hosts_name_each_reason_once_with_its_hosts_folded() -> None:
    many = [(f"web{n}", "exit code 1") for n in range(1, 8)] + [("db1", "timed out after 5s")]
    assert reasons_text(many, 200) == "web[1-7]: exit code 1; db1: timed out after 5s"
    assert reasons_text(many[:2], 3) == "web1: exit code 1; web2: exit code 1"
    assert reasons_text(many[:1], 1) == "exit code 1"


def test_exit_code_must_be_zero_unless_the_expression_decides_on_it_alone() -> None:
    failed = HostResult("local", 3, 0.1)
    assert exit_gate(None, failed) == "exit code 3"
    assert exit_gate("'x' in stdout", failed) == "exit code 3"
    assert exit_gate("exit_code == 3", failed) is None
    assert exit_gate(None, HostResult("local", 0, 0.1)) is None
