"""list, show and schema as a user runs them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.helpers import run_cli


def test_list_show_and_graph_of_the_bundled_runbooks(tmp_path: Path) -> None:
    listed = run_cli(["list", "--json"], cwd=tmp_path, state=tmp_path / "s")
    assert listed.code == 0
    ids = {r["id"] for r in json.loads(listed.stdout)}
    assert {"outage", "db-overload", "stripe-webhooks", "ml-model-failure", "backup-restore",
            "weekly-monday", "weekly-wednesday", "weekly-friday"} <= ids
    tagged = json.loads(run_cli(["list", "--json", "--tag", "weekly"], cwd=tmp_path,
                                state=tmp_path / "s").stdout)
    assert tagged and all("weekly" in r["tags"] for r in tagged)
    shown = run_cli(["show", "db-overload"], cwd=tmp_path, state=tmp_path / "s")
    assert shown.code == 0
    assert "Inputs" in shown.stdout and "pg_host" in shown.stdout and "Steps" in shown.stdout
    graph = run_cli(["show", "db-overload", "--graph"], cwd=tmp_path, state=tmp_path / "s")
    assert graph.code == 0 and graph.stdout.startswith("flowchart TD")
    schema = json.loads(run_cli(["schema"], cwd=tmp_path, state=tmp_path / "s").stdout)
    assert "steps" in schema["properties"]


def test_list_and_runs_never_cut_a_long_id_at_80_columns(tmp_path: Path) -> None:
    long_id = "database-primary-failover-with-replica-promotion-dns-cutover"
    books = tmp_path / "books"
    books.mkdir()
    (books / f"{long_id}.yaml").write_text(
        f"id: {long_id}\ntitle: A title long enough to need wrapping at eighty columns for sure\n"
        "steps:\n  - {id: a, run: 'true'}\n")
    state = tmp_path / "s"
    listed = run_cli(["--runbooks", str(books), "list"], cwd=tmp_path, state=state, COLUMNS="80")
    assert listed.code == 0
    assert any(line.split()[:1] == [long_id] for line in listed.stdout.splitlines()), listed.stdout
    ran = run_cli(["--runbooks", str(books), "run", long_id, "--report-dir", str(tmp_path / "r")],
                  cwd=tmp_path, state=state)
    assert ran.code == 0, ran.output
    run_id = json.loads(run_cli(["runs", "--json"], cwd=tmp_path, state=state).stdout)[0]["id"]
    assert len(run_id) > 80 - 40  # long enough that a fitted table would fold it
    runs = run_cli(["runs"], cwd=tmp_path, state=state, COLUMNS="80")
    assert runs.code == 0
    assert any(line.split()[:1] == [run_id] for line in runs.stdout.splitlines()), runs.stdout


def test_list_from_its_index_says_what_a_first_listing_says(tmp_path: Path) -> None:
    """A state folder that keeps the listing's index (runbook/index.py) across edits, a
    rename, a removal and a second file declaring the same id lists what a new state
    folder, with no index yet, lists."""
    books = tmp_path / "books"
    books.mkdir()

    def write(name: str, rb_id: str, title: str) -> None:
        (books / name).write_text(f"id: {rb_id}\ntitle: {title}\nsteps:\n  - {{id: a, run: 'true'}}\n")
        old = time.time() - 60 - len(list(books.iterdir()))  # indexed, not too recent
        os.utime(books / name, (old, old))

    write("alpha.yaml", "alpha", "Alpha")
    write("beta.yaml", "beta", "Beta")
    kept = tmp_path / "kept-state"

    def listing(state: Path) -> str:
        out = run_cli(["--runbooks", str(books), "list"], cwd=tmp_path, state=state)
        assert out.code == 0, out.output
        return out.stdout

    changes = [lambda: write("beta.yaml", "beta", "Beta, edited"),
               lambda: write("aaa.yaml", "alpha", "Alpha, declared first"),
               lambda: os.rename(books / "beta.yaml", books / "gamma.yaml"),
               lambda: (books / "aaa.yaml").unlink()]
    listing(kept)
    for n, change in enumerate(changes):
        change()
        assert listing(kept) == listing(tmp_path / f"fresh-{n}"), n
    assert "Alpha, declared first" not in listing(kept)
    assert "gamma.yaml" in listing(kept) and "Beta, edited" in listing(kept)


ESCAPES = ("\x1b", "\x07", "\u202e")  # ESC, BEL, the right-to-left override


def test_a_runbooks_terminal_escapes_are_shown_inert_by_list_show_and_validate(
        tmp_path: Path) -> None:
    """A title may carry `\\e]0;…\\a` (retitle the window), `\\e[2J` (clear the screen),
    an OSC 8 link or U+202E: shown visible, as a run shows them, never acted on."""
    books = tmp_path / "rb"
    books.mkdir()
    (books / "esc.yaml").write_text(
        'id: esc\ntitle: "Disk \\e]0;owned\\a\\e[2J\\e]8;;https://evil.example\\e\\\\docs '
        '\\u202eevil"\nsummary: "sum \\e[8mhidden\\e[0m"\ninputs:\n  v: {default: "\\e[31mred",'
        ' help: "h \\e]0;x\\a"}\nsteps:\n  - {id: s1, title: "step \\e[8mhidden", run: "true",'
        ' next: [{if: "v == \'\\e[2J\'", goto: s2}, {goto: end}]}\n  - {id: s2, run: "true"}\n')
    for args in (["list"], ["show", "esc"]):
        result = run_cli(["--runbooks", str(books), *args], cwd=tmp_path, state=tmp_path / "s")
        assert result.code == 0, result.output
        assert "␛]0;owned" in result.stdout and "␛[2J" in result.stdout, result.stdout
        assert not any(c in result.output for c in ESCAPES), ascii(result.output)
    (books / "bad.yaml").write_text('id: bad\ntitle: t\nsteps:\n  - {id: s1, run: "true",'
                                    ' next: "nowhere\\e]0;pwn\\a"}\n')
    checked = run_cli(["--runbooks", str(books), "validate", "bad"], cwd=tmp_path,
                      state=tmp_path / "s")
    assert checked.code == 2 and "␛]0;pwn" in checked.stderr, checked.output
    assert not any(c in checked.output for c in ESCAPES), ascii(checked.output)


def test_two_runbooks_of_one_folder_with_one_id_are_never_picked_silently(tmp_path: Path) -> None:
    (tmp_path / "dup").mkdir()
    for name, title in (("a", "A"), ("b", "B")):
        (tmp_path / "dup" / f"{name}.yaml").write_text(
            f"id: same\ntitle: {title}\nsteps:\n  - {{id: a, run: echo {title}}}\n")
    said = "runbook id 'same' is already the id of dup/a.yaml in this folder: one of them could " \
           "never be run by id; give each its own id"
    validated = run_cli(["validate", "dup"], cwd=tmp_path, state=tmp_path / "s")
    assert validated.code == 2
    assert validated.stderr.startswith(f"dup/b.yaml:1:5: {said}\n    id: same\n        ^\n")
    listed = run_cli(["--runbooks", "dup", "list", "--json"], cwd=tmp_path, state=tmp_path / "s")
    assert listed.code == 0
    assert listed.stderr == f"warning: dup/b.yaml: {said} (listed: dup/a.yaml)\n"
    ran = run_cli(["--runbooks", "dup", "run", "same", "--no-input"], cwd=tmp_path,
                  state=tmp_path / "s")
    assert (ran.code, ran.stderr) == (2, (
        "runbookctl: runbook id 'same' is declared by two files of one folder, dup/a.yaml and "
        "dup/b.yaml: give one another id, or name the file (runbookctl validate shows where)\n"))
    assert not (tmp_path / "s" / "runs").exists()
