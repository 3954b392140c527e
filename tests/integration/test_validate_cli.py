"""`runbookctl validate` as a user runs it: every malformed runbook gives path:line:col and
exit 2, never a traceback; valid ones exit 0; run refuses an invalid runbook the same way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, run_cli

pytestmark = pytest.mark.integration

BAD = sorted((FIXTURES / "bad").glob("*.yaml"))


def _expectation(path: Path) -> tuple[str, str]:
    match = re.match(r"# expect: (\d+:\d+) (.+)", path.read_text().splitlines()[0])
    assert match, f"{path} has no '# expect: L:C fragment' header"
    return match.group(1), match.group(2).strip()


def test_every_malformed_runbook_is_reported_at_its_place(tmp_path: Path) -> None:
    assert len(BAD) >= 20
    result = run_cli(["--runbooks", str(FIXTURES / "good"), "validate", *map(str, BAD)],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2
    assert "Traceback" not in result.output
    for path in BAD:
        where, fragment = _expectation(path)
        line = next((ln for ln in result.stderr.splitlines()
                     if ln.startswith(f"{path}:{where}: ")), None)
        assert line is not None, (path.name, where, result.stderr[-2000:])
        assert fragment in line, (path.name, line)


@pytest.mark.parametrize("path", BAD[:25], ids=[p.stem for p in BAD[:25]])
def test_run_refuses_an_invalid_runbook_before_doing_anything(tmp_path: Path, path: Path) -> None:
    result = run_cli(["run", str(path), "--no-input"], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: ", result.stderr)
    assert not (tmp_path / "state" / "runs").exists()


def test_valid_runbooks_pass(tmp_path: Path) -> None:
    result = run_cli(["--runbooks", str(FIXTURES / "good"), "validate", str(FIXTURES / "good")],
                     cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    assert "0 error(s)" in result.output


def test_many_files_checked_in_parallel_report_exactly_what_one_process_reports(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    from runbookctl.cli.commands.validate import PARALLEL_FROM
    from tests.helpers import cli_env

    folder = tmp_path / "runbooks"
    folder.mkdir()
    for path in [*BAD, *sorted((FIXTURES / "good").glob("*.yaml"))]:
        shutil.copy(path, folder / path.name)
    assert len(list(folder.iterdir())) > PARALLEL_FROM
    parallel = run_cli(["validate", str(folder)], cwd=tmp_path, state=tmp_path / "state")
    one_process = subprocess.run(
        [sys.executable, "-c", "import sys\nimport runbookctl.cli.commands.validate as v\n"
         "v.PARALLEL_FROM = 10**9\nfrom runbookctl.cli.app import main\n"
         "sys.argv = ['runbookctl', 'validate', sys.argv[1]]\nmain()", str(folder)],
        cwd=tmp_path, env=cli_env(tmp_path / "state"), capture_output=True, text=True, timeout=120)
    assert parallel.code == one_process.returncode == 2
    assert parallel.stderr == one_process.stderr
    files = len(list(folder.iterdir()))
    assert parallel.stderr.splitlines()[-1].startswith(f"{files} runbook(s) checked: ")
    for path in BAD:  # every bad file is named (the order is checked by the equality above)
        assert f"{folder / path.name}:" in parallel.stderr
    assert "Traceback" not in parallel.output


def test_a_post_to_a_webhook_nobody_declared_is_a_warning_at_its_place(tmp_path: Path) -> None:
    """A message's `post:` must name a `notify:` webhook of the runbook or of the config,
    else it would be sent nowhere: validate says so where it is, and still exits 0."""
    (tmp_path / "runbookctl.yaml").write_text(
        'notify:\n  - name: team-pager\n    url: "${PAGER_HOOK}"\n')
    book = tmp_path / "posts.yaml"
    book.write_text("""\
id: posts
title: Posts
notify:
  - name: war-room
    url: "${WAR_ROOM_HOOK}"
steps:
  - id: tell
    message: Failing over
    post: warroom
  - id: page
    message: Paging
    post: team-pager
  - id: room
    message: Done
    post: war-room
""")
    result = run_cli(["validate", str(book)], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert warnings == [
        f"{book}:9:11: warning: post: no webhook 'warroom' in this runbook's or the config's "
        "notify: (the message would be sent nowhere) (did you mean 'war-room'?); known: "
        "team-pager, war-room (steps[0].post)"]


def test_an_include_with_errors_of_its_own_stops_validate_and_run_before_any_step(
        tmp_path: Path) -> None:
    """The run used to start, run the included steps, then die at the child's bad jump
    (internal error, and the same at every resume)."""
    books = tmp_path / "books"
    books.mkdir()
    (books / "parent.yaml").write_text(
        "id: parent\ntitle: p\nsteps:\n  - {id: first, run: touch ran}\n"
        "  - {id: a, include: child}\n")
    (books / "child.yaml").write_text(
        "id: child\ntitle: c\nsteps:\n  - {id: s, run: echo hi, next: nowhere}\n")
    expected = (f"{books}/parent.yaml:5:22: include: runbook 'child' has problems of its own: "
                f"{books}/child.yaml:4:33: next: no step 'nowhere'")
    for command in (["validate", "parent"], ["run", "parent", "--no-input"]):
        result = run_cli(["--runbooks", str(books), *command], cwd=tmp_path,
                         state=tmp_path / "state")
        assert result.code == 2, result.output
        assert expected in result.output and "internal error" not in result.output
    assert not (tmp_path / "ran").exists() and not (tmp_path / "state").exists()


def test_an_inventory_not_in_utf8_is_named_at_its_byte_by_validate_and_run(tmp_path: Path) -> None:
    (tmp_path / "iv").mkdir()
    (tmp_path / "iv" / "s.yaml").write_text(
        "id: s\ntitle: s\nsteps:\n  - {id: a, ssh: uptime, hosts: web}\n")
    (tmp_path / "iv" / "inventory.yaml").write_bytes(b"web: caf\xe9.internal\n")
    for args in (["validate"], ["run", "s", "--no-input"]):
        result = run_cli(["--runbooks", "iv", *args], cwd=tmp_path, state=tmp_path / "state")
        assert result.code == 2, result.output
        assert result.stderr.startswith("iv/inventory.yaml:1:9: not UTF-8 text (byte 0xe9)\n")
    assert not (tmp_path / "state" / "runs").exists()


def test_answers_are_checked_against_one_runbook_never_skipped(tmp_path: Path) -> None:
    (tmp_path / "rb").mkdir()
    (tmp_path / "rb" / "g.yaml").write_text("id: g\ntitle: g\nsteps:\n  - {id: gate, confirm: go?}\n")
    (tmp_path / "rb" / "ok.yaml").write_text("id: ok\ntitle: t\nsteps:\n  - {id: a, run: echo}\n")
    (tmp_path / "bad.yaml").write_text("gate: maybe\n")
    one = run_cli(["validate", "rb/g.yaml", "--answers", "bad.yaml"], cwd=tmp_path,
                  state=tmp_path / "state")
    assert one.code == 2 and "bad.yaml:1:7: gate: a confirmation is answered yes or no" in one.stderr
    for names, what in ([["rb/g.yaml", "rb/ok.yaml"], "2 runbooks were given"],
                        [[], r"\d+ runbooks were found"]):  # every one on the search path
        result = run_cli(["--runbooks", "rb", "validate", *names, "--answers",
                          "/does/not/exist.yaml"], cwd=tmp_path, state=tmp_path / "state")
        assert result.code == 2, result.output
        assert re.fullmatch(
            f"runbookctl: --answers checks an answers file against one runbook; {what}: name one "
            r"\(runbookctl validate RUNBOOK --answers FILE\)\n", result.stderr), result.stderr
