"""Malformed runbooks (#12.9): a valid runbook that uses every key, mutated by hypothesis
(values replaced by hostile tokens, lines deleted, duplicated, swapped, re-indented, the
file cut) — `validate` and `run --dry-run` never end in an internal error (exit 3) nor a
traceback: exit 0, 1 or 2 with a message.

In-process through the CLI app (same handler, same exit codes as `python -m runbookctl`):
a subprocess per example would take minutes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from runbookctl.cli.app import app
from tests.helpers import FIXTURES

pytestmark = pytest.mark.integration

BASE = (FIXTURES / "good" / "everything.yaml").read_text()
LINES = BASE.splitlines()
VALUE_LINES = [i for i, line in enumerate(LINES) if re.match(r"\s*-?\s*[\w-]+: \S", line)]
TOKENS = ["", "null", "~", "[", "]", "{", "}", "{{", "}}", "{{ steps.health.nope }}", "{% if %}",
          "a" * 240, "-1", "0", "1e999", "99999999999999999999", "true", "no", "&a", "*a",
          "!!python/object/apply:os.system ['true']", "\x00", "\u202e", "\x1b[2J", "'", '"', "`",
          "a: b", "[1, [2, [3]]]", "{a: {b: 1}}", "- x", "|", ">", "%", "@", ":", "1m30s", "1x",
          "user@[::1:22", "Big Id", "end", "abort", "$(touch /tmp/rbk-canary)", "é" * 3, "\t"]


def _replace_value(lines: list[str], index: int, token: str) -> list[str]:
    key, _, _old = lines[index].partition(": ")
    return [*lines[:index], f"{key}: {token}", *lines[index + 1:]]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "value", "delete", "duplicate", "swap", "indent"]))
        if kind == "value":
            lines = _replace_value(lines, draw(st.sampled_from(VALUE_LINES)), draw(st.sampled_from(TOKENS)))
            continue
        at = draw(st.integers(0, len(lines) - 2))
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
        else:
            lines[at] = " " * draw(st.sampled_from([0, 1, 3, 6])) + lines[at].lstrip()
    text = "\n".join(lines) + "\n"
    cut = draw(st.one_of(st.none(), st.integers(0, len(text))))
    return text if cut is None else text[:cut]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("rbcorpus")
    shutil.copytree(FIXTURES / "good", root / "runbooks")
    shutil.copytree(FIXTURES / "templates", root / "templates")
    return root


def _invoke(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"escaped the handler: {result.exception!r}")
    return result.exit_code, result.output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_mutated_runbooks_never_crash_validate_or_dry_run(
    text: str, work: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(work)
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(work / "state"))
    monkeypatch.setenv("API_TOKEN", "token-1234")
    monkeypatch.setenv("DB_PASSWORD", "password-1234")
    path = work / "runbooks" / "everything.yaml"
    path.write_text(text)
    code, out = _invoke(["validate", str(path)])
    assert code in (0, 2), out
    assert "Traceback" not in out and "internal error" not in out, out
    if code == 2:
        assert "everything.yaml:" in out, out  # located: file:line:col
    code, out = _invoke(["--runbooks", str(work / "runbooks"), "run", str(path), "--dry-run",
                         "--no-input", "--report-dir", str(work / "reports")])
    assert code in (0, 1, 2), out
    assert "Traceback" not in out and "internal error" not in out, out
    assert not Path("/tmp/rbk-canary").exists()
