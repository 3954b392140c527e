"""Bad data is never an internal error (#12.9): an undefined attribute in a command, an
over-long id, an unwritable state folder, an invalid host spec — each a clear message and
exit code through the real CLI, never exit 3 nor a traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import journal_events, only_run_dir, run_cli

pytestmark = pytest.mark.integration


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def _clean(result_output: str) -> None:
    assert "Traceback" not in result_output and "internal error" not in result_output, result_output


# --- an undefined attribute fails the step; its on_failure applies ----------------------

UNDEFINED = """\
id: undefined
title: Undefined attribute
steps:
  - id: check
    run: echo checked
  - id: use
    {field}
    on_failure: {policy}
  - id: last
    run: echo reached-last
"""
FIELDS = {
    "command": "run: echo {{ steps.check.nope }}",
    "command filtered": "run: echo {{ steps.check.nope | upper }}",
    "ssh-free expect": "run: echo x\n    expect: steps.check.nope",
    "until": "run: echo x\n    until: steps.check.nope",
    "env": "run: echo x\n    env: {A: '{{ steps.check.nope }}'}",
}


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_an_undefined_attribute_fails_the_step_and_continue_goes_on(field: str, tmp_path: Path) -> None:
    rb = _write(tmp_path, "undefined.yaml",
                UNDEFINED.format(field=FIELDS[field], policy="continue"))
    result = run_cli(["run", str(rb), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    _clean(result.output)
    assert result.code in (0, 1), result.output
    assert "has no attribute 'nope'" in result.output
    assert "reached-last" in result.stdout
    finished = {e["step"]: e["data"]["status"] for e in journal_events(only_run_dir(tmp_path / "state"))
                if e["type"] == "step_finished"}
    assert finished == {"check": "ok", "use": "failed", "last": "ok"}


def test_an_undefined_attribute_with_on_failure_abort_ends_the_run_failed(tmp_path: Path) -> None:
    rb = _write(tmp_path, "undefined.yaml", UNDEFINED.format(field=FIELDS["command"], policy="abort"))
    result = run_cli(["run", str(rb), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    _clean(result.output)
    assert result.code == 1, result.output
    assert "reached-last" not in result.stdout
    assert "cannot render command 'echo {{ steps.check.nope }}': 'dict object' has no attribute " \
           "'nope'" in result.output


def test_an_undefined_attribute_in_when_skips_with_the_reason(tmp_path: Path) -> None:
    rb = _write(tmp_path, "undefined.yaml",
                UNDEFINED.format(field="run: echo x\n    when: steps.check.nope", policy="continue"))
    result = run_cli(["run", str(rb), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    _clean(result.output)
    assert result.code == 0, result.output
    assert "could not be evaluated" in result.output and "reached-last" in result.stdout


# --- ids: at most 64 characters, checked by validate --------------------------------------


def test_a_240_character_id_is_refused_by_validate_and_run_at_its_line(tmp_path: Path) -> None:
    long_id = "a" * 240
    rb = _write(tmp_path, "long.yaml", f"id: {long_id}\ntitle: L\nsteps:\n  - id: {'s' * 65}\n"
                "    run: echo hi\n")
    for args in (["validate", str(rb)], ["run", str(rb), "--no-input"]):
        result = run_cli(args, cwd=tmp_path, state=tmp_path / "state")
        _clean(result.output)
        assert result.code == 2, result.output
        assert f"{rb}:1:5: id: '{long_id}' is not a valid id: is 240 characters long; an id has " \
               "at most 64" in result.stderr
        assert f"{rb}:4:9: bad step id '{'s' * 65}': is 65 characters long" in result.stderr
    assert not (tmp_path / "state" / "runs").exists()


def test_a_64_character_id_runs(tmp_path: Path) -> None:
    rb = _write(tmp_path, "ok.yaml", f"id: {'a' * 64}\ntitle: L\nsteps:\n  - id: {'s' * 64}\n"
                "    run: echo hi\n")
    result = run_cli(["run", str(rb), "--no-input", "--report-dir", str(tmp_path / "r")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output


# --- an unwritable state folder --------------------------------------------------------

OK_RUNBOOK = "id: ok\ntitle: OK\nsteps:\n  - id: a\n    run: echo hi\n"


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """A folder nobody may write to: chmod for users, the immutable flag for root (whom
    permissions do not stop)."""
    folder.mkdir()
    folder.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable and (shutil.which("chattr") is None or subprocess.run(
            ["chattr", "+i", str(folder)], capture_output=True, check=False).returncode):
        folder.chmod(0o755)
        pytest.skip("root without chattr +i: cannot make a read-only folder")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
        folder.chmod(0o755)


def test_a_read_only_state_folder_is_a_clear_exit_2(tmp_path: Path) -> None:
    rb = _write(tmp_path, "ok.yaml", OK_RUNBOOK)
    state = tmp_path / "state"
    with _read_only(state):
        result = run_cli(["run", str(rb), "--no-input", "--report-dir", str(tmp_path / "r")],
                         cwd=tmp_path, state=state)
    _clean(result.output)
    assert result.code == 2, result.output
    assert f"runbookctl: cannot write to the state folder {state}: " in result.stderr
    assert "RUNBOOKCTL_STATE_DIR" in result.stderr
    assert "hi" not in result.stdout  # refused before any step ran


def test_a_state_folder_under_a_file_is_a_clear_exit_2(tmp_path: Path) -> None:
    rb = _write(tmp_path, "ok.yaml", OK_RUNBOOK)
    (tmp_path / "file").write_text("x")
    state = tmp_path / "file" / "state"
    result = run_cli(["run", str(rb), "--no-input"], cwd=tmp_path, state=state)
    _clean(result.output)
    assert result.code == 2, result.output
    assert f"cannot write to the state folder {state}: Not a directory" in result.stderr


def test_the_crash_log_falls_back_to_the_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runbookctl.cli.error_handler import write_crash_log

    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(tmp_path / "file" / "state"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        where = write_crash_log()
    assert where.startswith(str(tmp_path / "tmp" / "runbookctl-crash-")), where
    assert "RuntimeError: boom" in Path(where).read_text()


# --- host specs: validate parses them as the run does -----------------------------------

HOSTS = """\
id: hosts
title: Hosts
hosts:
  web: ["deploy@web1:2222", "{bad}"]
steps:
  - id: one
    ssh: echo hi
    hosts: web
"""


@pytest.mark.parametrize("bad", ["user@[::1:22", "web1:99999", "@web1", "web1:", "[::1]x",
                                 "a b", "-oProxyCommand=x", "web$(id)"])
def test_an_invalid_host_spec_is_refused_by_validate_at_its_position(bad: str, tmp_path: Path) -> None:
    rb = _write(tmp_path, "hosts.yaml", HOSTS.format(bad=bad))
    for args in (["validate", str(rb)], ["run", str(rb), "--no-input"]):
        result = run_cli(args, cwd=tmp_path, state=tmp_path / "state")
        _clean(result.output)
        assert result.code == 2, result.output
        assert f"{rb}:4:29: web[1]: bad " in result.stderr, result.stderr
    assert not (tmp_path / "state" / "runs").exists()  # refused before the run began


def test_an_invalid_host_in_a_step_list_is_located(tmp_path: Path) -> None:
    rb = _write(tmp_path, "hosts.yaml", "id: hosts\ntitle: H\nsteps:\n  - id: one\n    ssh: echo\n"
                "    hosts: [web1, 'bob@[::1']\n")
    result = run_cli(["validate", str(rb)], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2
    assert f"{rb}:6:19: hosts[1]: bad host 'bob@[::1': expected [address]:port" in result.stderr


def test_an_invalid_host_in_inventory_yaml_is_refused_by_validate_and_before_the_run(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "rb"
    folder.mkdir()
    (folder / "inventory.yaml").write_text('web:\n  - "user@[::1:22"\n')
    _write(folder, "x.yaml", "id: x\ntitle: X\nsteps:\n  - id: s\n    ssh: echo hi\n    hosts: web\n")
    for args in (["validate", "x"], ["run", "x", "--no-input"]):
        result = run_cli(["--runbooks", str(folder), *args], cwd=tmp_path, state=tmp_path / "state")
        _clean(result.output)
        assert result.code == 2, result.output
        assert f"{folder / 'inventory.yaml'}:2:5: bad host 'user@[::1:22': expected " \
               "[address]:port" in result.stderr
    assert not (tmp_path / "state").exists()  # refused before a run began
