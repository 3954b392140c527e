"""Malformed journals × the commands that read them (#12.9): truncated, flipped bytes, every
field wrongly typed, deep nesting, huge lines — `runs`, `stats`, `verify`, `report` and
`resume` never end in an internal error (exit 3) nor a traceback, and name the file.

The whole corpus runs in-process through the CLI app (the same handler and exit codes as
`python -m runbookctl`; a subprocess per case would take minutes); a sample runs as real
subprocesses too.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from runbookctl.cli.app import app
from runbookctl.record.journal import GENESIS, event_hash
from tests.helpers import only_run_dir, run_cli

pytestmark = pytest.mark.integration

RUNBOOK = """\
id: corpus
title: Journal corpus
inputs:
  who: {default: world}
steps:
  - id: hello
    run: echo hello {{ who }}
    capture: greeting
  - id: gate
    confirm: Go on?
  - id: bye
    run: echo bye
"""
COMMANDS = ("runs", "stats", "verify", "report", "resume")
WRONG_VALUES = (None, 7, 2.5, True, "text", [], {}, [1, "x"], {"k": [1]})


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run stopped at its confirmation (resumable): its run dir."""
    work = tmp_path_factory.mktemp("corpus")
    (work / "corpus.yaml").write_text(RUNBOOK)
    result = run_cli(["run", str(work / "corpus.yaml"), "--no-input", "--report-dir",
                      str(work / "reports")], cwd=work, state=work / "state")
    assert result.code == 2, result.output
    return only_run_dir(work / "state")


def _rehash(lines: list[str]) -> list[str]:
    """Recompute the hash chain, so the damage is not caught by the hash check alone."""
    out, prev = [], GENESIS
    for line in lines:
        try:
            obj = json.loads(line)
            obj["hash"] = prev = event_hash(prev, obj)
        except (ValueError, TypeError, AttributeError):
            out.append(line)
            continue
        out.append(json.dumps(obj, sort_keys=True, separators=(",", ":")))
    return out


def _install(base: Path, where: Path, text: bytes) -> Path:
    """A state dir holding a copy of the run whose journal is `text`."""
    run_dir = where / "state" / "runs" / base.name
    shutil.copytree(base, run_dir)
    (run_dir / "journal.jsonl").write_bytes(text)
    return run_dir


def _args(command: str, run_dir: Path) -> list[str]:
    return {"runs": ["runs"], "stats": ["stats"], "verify": ["verify", str(run_dir / "journal.jsonl")],
            "report": ["report", run_dir.name],
            "resume": ["resume", run_dir.name, "--no-input"]}[command]


def _invoke(command: str, run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(run_dir.parent.parent.parent)  # a relative report_dir lands here
    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(run_dir.parent.parent))
    monkeypatch.setenv("RUNBOOKCTL_OPERATOR", "tester")
    result = CliRunner().invoke(app, _args(command, run_dir))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{command}: escaped the handler: {result.exception!r}")
    return result.exit_code, result.output


def _check_all(base: Path, where: Path, text: bytes,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[int, str]]:
    """Every command on one damaged journal: never exit 3, never a traceback; a failing
    command names the journal (or its run)."""
    outcomes = {}
    for command in COMMANDS:
        run_dir = _install(base, where / command, text)
        code, out = _invoke(command, run_dir, monkeypatch)
        assert code != 3 and "Traceback" not in out and "internal error" not in out, (command, out)
        if code not in (0, 130) or "skipped a damaged journal" in out:
            assert base.name in out, (command, code, out)
        outcomes[command] = (code, out)
    return outcomes


def _lines(base: Path) -> list[str]:
    return (base / "journal.jsonl").read_text().splitlines()


def _join(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


# --- every data field and every top-level field, wrongly typed --------------------------


def _field_cases(base: Path) -> list[tuple[int, str]]:
    cases = []
    for index, line in enumerate(_lines(base)):
        obj = json.loads(line)
        cases += [(index, key) for key in obj if key != "hash"]
        cases += [(index, f"data.{key}") for key in obj["data"]]
    return cases


def _get_field(lines: list[str], index: int, field: str) -> object:
    obj = json.loads(lines[index])
    return obj["data"].get(field[5:]) if field.startswith("data.") else obj[field]


def _set_field(lines: list[str], index: int, field: str, value: object) -> list[str]:
    obj = json.loads(lines[index])
    if field.startswith("data."):
        obj["data"][field[5:]] = value
    else:
        obj[field] = value
    return [*lines[:index], json.dumps(obj), *lines[index + 1:]]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_wrongly_typed_fields_never_crash_any_command(
    data: st.DataObject, base: Path, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index, field = data.draw(st.sampled_from(_field_cases(base)), label="field")
    value = data.draw(st.sampled_from(WRONG_VALUES), label="value")
    old = _get_field(_lines(base), index, field)
    assume(type(value) is not type(old) and not {type(value), type(old)} <= {int, float})
    lines = _rehash(_set_field(_lines(base), index, field, value))
    _check_all(base, tmp_path_factory.mktemp("typed"), _join(lines), monkeypatch)


def test_a_wrongly_typed_run_started_is_named_by_runs_and_stats_which_list_the_others(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _rehash(_set_field(_lines(base), 0, "data.runbook", 5))
    bad = _install(base, tmp_path, _join(lines))
    good = bad.parent / (base.name[:-4] + "good")
    shutil.copytree(base, good)
    for command in ("runs", "stats"):
        code, out = _invoke(command, bad, monkeypatch)
        assert code == 0, out
        assert f"skipped a damaged journal: {bad / 'journal.jsonl'}:1: run_started event: " \
               "data.runbook is int, not str" in out
        assert "corpus" in out  # the good run is still listed


# --- bytes: truncation, flips, deep nesting, huge lines ----------------------------------


def _truncations(raw: bytes) -> list[bytes]:
    return [raw[:n] for n in (0, 1, len(raw) // 3, len(raw) // 2, len(raw) - 2)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_flipped_bytes_never_crash_any_command(
    data: st.DataObject, base: Path, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = bytearray((base / "journal.jsonl").read_bytes())
    for _ in range(data.draw(st.integers(1, 3), label="flips")):
        at = data.draw(st.integers(0, len(raw) - 1), label="offset")
        raw[at] = data.draw(st.integers(0, 255).filter(lambda b, old=raw[at]: b != old), label="byte")
    outcomes = _check_all(base, tmp_path_factory.mktemp("flip"), bytes(raw), monkeypatch)
    assert outcomes["verify"][0] == 1  # any changed byte breaks the record


@pytest.mark.parametrize("cut", range(5))
def test_truncated_journals_never_crash_any_command(
    cut: int, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = _truncations((base / "journal.jsonl").read_bytes())[cut]
    _check_all(base, tmp_path, raw, monkeypatch)


def _nest(depth: int) -> Callable[[list[str]], list[str]]:
    def mutate(lines: list[str]) -> list[str]:
        deep = "[" * depth + "]" * depth
        lines = list(lines)
        lines[1] = lines[1].replace('"data":{', f'"data":{{"deep":{deep},', 1)
        return lines
    return mutate


def _huge(lines: list[str]) -> list[str]:
    return _set_field(lines, 1, "data.value", "x" * 5_000_000)


BYTE_DAMAGE: dict[str, Callable[[list[str]], list[str]]] = {
    "nested 100 000 deep": _nest(100_000),
    "nested 5 000 deep": _nest(5_000),
    "nested 40 deep, re-hashed": lambda ls: _rehash(_nest(40)(ls)),
    "not JSON": lambda ls: [ls[0], "{not json", *ls[1:]],
    "a JSON array": lambda ls: [ls[0], "[1, 2]", *ls[1:]],
    "binary garbage": lambda ls: [ls[0], "\x00\x01\x02", *ls[2:]],
}


@pytest.mark.parametrize("kind", sorted(BYTE_DAMAGE))
def test_damaged_lines_are_named_file_line_by_every_command(
    kind: str, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _join(BYTE_DAMAGE[kind](_lines(base)))
    outcomes = _check_all(base, tmp_path, text, monkeypatch)
    for command in ("runs", "stats"):
        assert outcomes[command][0] == 0
        assert "journal.jsonl:2: " in outcomes[command][1], outcomes[command]
    assert outcomes["verify"][0] == 1
    for command in ("resume", "report"):
        assert outcomes[command][0] == 2, outcomes[command]
        assert f"{base.name}/journal.jsonl:2: " in outcomes[command][1]


def test_a_huge_line_is_read_like_any_other(base: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    outcomes = _check_all(base, tmp_path, _join(_rehash(_huge(_lines(base)))), monkeypatch)
    assert outcomes["verify"][0] == 0 and outcomes["runs"][0] == 0


# --- resume of a byte-corrupted journal -----------------------------------------------


def _edit_command(lines: list[str]) -> list[str]:
    """A byte of an event changed on disk; the JSON and its types stay valid."""
    at = next(i for i, line in enumerate(lines) if '"command":"echo hello' in line)
    return [*lines[:at], lines[at].replace("echo hello", "echo HELLO", 1), *lines[at + 1:]]


def test_resume_refuses_a_corrupted_journal_naming_the_line_unless_forced(
    base: Path, tmp_path: Path,
) -> None:
    lines = _lines(base)
    at = next(i for i, line in enumerate(lines) if '"command":"echo hello' in line) + 1
    run_dir = _install(base, tmp_path, _join(_edit_command(lines)))
    state = tmp_path / "state"
    refused = run_cli(["resume", run_dir.name, "--no-input"], cwd=tmp_path, state=state)
    assert refused.code == 2, refused.output
    assert f"{run_dir / 'journal.jsonl'}:{at} (seq {at}): hash mismatch" in refused.stderr
    assert "resume --force" in refused.stderr
    assert len(_lines(run_dir)) == len(lines)  # nothing was appended

    forced = run_cli(["resume", run_dir.name, "--no-input", "--force", "--yes"], cwd=tmp_path,
                     state=state)
    assert forced.code == 0, forced.output
    assert "resuming a damaged journal (--force)" in forced.output
    assert f"journal.jsonl:{at} (seq {at}): hash mismatch" in forced.output
    verified = run_cli(["verify", run_dir.name], cwd=tmp_path, state=state)
    assert verified.code == 1 and "hash mismatch" in verified.stderr


def test_through_real_subprocesses_a_deep_journal_is_reported_not_crashed(
    base: Path, tmp_path: Path,
) -> None:
    run_dir = _install(base, tmp_path, _join(_nest(100_000)(_lines(base))))
    journal = run_dir / "journal.jsonl"
    for command in COMMANDS:
        result = run_cli(_args(command, run_dir), cwd=tmp_path, state=tmp_path / "state")
        assert result.code != 3 and "Traceback" not in result.output, (command, result.output)
        assert f"{journal}:2: " in result.output or "line 2: " in result.output, (command, result.output)


@pytest.mark.parametrize("pgid", [0, 1, -1, 2**40, True])
def test_a_journaled_process_group_that_is_not_one_is_never_signalled(
    pgid: int, base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """resume signals a journaled process group: 0, 1 or -1 there would hit this process
    group, init or everything; such a journal is refused, named at its line."""
    lines = _lines(base)
    at = next(i for i, line in enumerate(lines) if '"type":"command_process"' in line)
    run_dir = _install(base, tmp_path, _join(_rehash(_set_field(lines, at, "data.pgid", pgid))))
    code, out = _invoke("resume", run_dir, monkeypatch)
    assert code == 2, out
    assert f"journal.jsonl:{at + 1}: command_process event: data.pgid" in out
