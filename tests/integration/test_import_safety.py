"""Import that an SRE would keep (issue 16), through the CLI on on-call-runbook-shaped
Markdown (tests/fixtures/import/): nothing that changes a system runs without a typed
confirmation, no placeholder is left in a run step, every warning is shown at run time,
and each result validates and dry-runs with answers for its inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.helpers import FIXTURES, run_cli

pytestmark = pytest.mark.integration

CORPUS = sorted(p for p in (FIXTURES / "import").glob("*.md") if p.name != "SOURCES.md")
# What a reader of these fixtures knows changes a system (independent of the allow-list).
CHANGES = re.compile(r"\b(?:delete|stop|scale|restart|promote|reinit|set env|exec -it|check-env)\b"
                     r"|psql\s*$|psql\n", re.MULTILINE)
PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]*>|\[[A-Za-z][^\]\n]*\]|(?<![$\w{])\{[A-Za-z][^{}\n]*\}"
                         r"|\$\{?[A-Z][A-Z0-9_]*")
WARNING = re.compile(r"\b(?:WARNING|CAUTION|IMPORTANT|NOTE)\b|\b[Dd]o not\b|\bDO NOT\b")


def imported(playbook: Path, tmp_path: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    out = tmp_path / "out"
    result = run_cli(["import", str(playbook), "--output", str(out)], cwd=tmp_path, state=tmp_path / "s")
    assert result.code == 0, result.stderr
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted(out.glob("*.yaml"))}


def run_steps(books: dict[str, dict]) -> list[dict]:  # type: ignore[type-arg]
    return [s for rb in books.values() for s in rb["steps"] if "run" in s]


@pytest.mark.parametrize("playbook", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_command_that_changes_something_needs_a_typed_confirmation(playbook: Path,
                                                                          tmp_path: Path) -> None:
    steps = run_steps(imported(playbook, tmp_path))
    changing = [s for s in steps if CHANGES.search(s["run"])]
    assert changing, "the fixture has commands that change things"
    assert [s["id"] for s in changing if s.get("dangerous") is not True] == []


@pytest.mark.parametrize("playbook", CORPUS, ids=[p.stem for p in CORPUS])
def test_no_placeholder_is_left_in_a_run_step(playbook: Path, tmp_path: Path) -> None:
    books = imported(playbook, tmp_path)
    left = [(s["id"], m.group(0)) for s in run_steps(books) for m in PLACEHOLDER.finditer(s["run"])]
    assert left == []
    assert any(rb.get("inputs") for rb in books.values())


@pytest.mark.parametrize("playbook", CORPUS, ids=[p.stem for p in CORPUS])
def test_the_runbooks_validate_and_dry_run_with_answers_for_their_inputs(playbook: Path,
                                                                        tmp_path: Path) -> None:
    books = imported(playbook, tmp_path)
    out, state = tmp_path / "out", tmp_path / "s"
    checked = run_cli(["--runbooks", str(out), "validate", str(out)], cwd=tmp_path, state=state)
    assert checked.code == 0 and "0 error(s)" in checked.stderr, checked.stderr[-2000:]
    for rb_id, rb in books.items():
        answers = tmp_path / f"{rb_id}-answers.yaml"
        answers.write_text(yaml.safe_dump({s["id"]: "done" for s in rb["steps"] if "manual" in s}))
        values = [f"--var={name}={(spec.get('choices') or ['web 1'])[0]}"
                  for name, spec in (rb.get("inputs") or {}).items()]
        ran = run_cli(["--runbooks", str(out), "run", rb_id, "--dry-run", "--no-input",
                       "--answers", str(answers), *values], cwd=tmp_path, state=state)
        assert ran.code == 0, (rb_id, ran.stdout[-2000:], ran.stderr[-2000:])


def test_yes_never_runs_an_imported_command_that_may_change_something(tmp_path: Path) -> None:
    playbook = tmp_path / "touch.md"
    playbook.write_text("# Touch\n\n```bash\ntouch marker\n```\n\n```bash\nls\n```\n")
    imported(playbook, tmp_path)
    ran = run_cli(["--runbooks", str(tmp_path / "out"), "run", "touch", "--yes", "--no-input"],
                  cwd=tmp_path, state=tmp_path / "s")
    assert ran.code == 2 and "--yes does not answer dangerous steps" in ran.stdout + ran.stderr
    assert not (tmp_path / "marker").exists()


def shown(books: dict[str, dict]) -> str:  # type: ignore[type-arg]
    """The text of every message and manual step, flattened as an operator reads it."""
    texts = [s.get("message") or s.get("manual") or "" for rb in books.values() for s in rb["steps"]]
    return flat("\n".join(texts))


def flat(text: str) -> str:
    return " ".join(re.sub(r"[*`>]|\[!|\]", " ", text).split())


def warning_lines(playbook: Path) -> list[str]:
    lines, fenced = [], False
    for line in playbook.read_text().splitlines():
        fenced ^= line.strip().startswith("```")
        if not fenced and not line.strip().startswith("```") and WARNING.search(line):
            lines.append(flat(re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line)))
    return lines


@pytest.mark.parametrize("playbook", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_warning_line_is_in_a_step_shown_at_run_time(playbook: Path, tmp_path: Path) -> None:
    lines = warning_lines(playbook)
    assert lines, "the fixture has warnings"
    text = shown(imported(playbook, tmp_path))
    assert [line for line in lines if line not in text] == []


def test_a_session_becomes_an_interactive_step_and_what_to_type_there_is_shown(tmp_path: Path) -> None:
    books = imported(FIXTURES / "import" / "k8s-pod-crashlooping.md", tmp_path)
    (session,) = [s for s in run_steps(books) if "exec -it" in s["run"]]
    assert session["interactive"] is True and session["dangerous"] is True
    assert session["run"] == "kubectl exec -it {{ pod }} -n {{ namespace_value }} -- /bin/sh"
    assert not [s for s in run_steps(books) if "/data" in s["run"]]  # typed in the pod, not run here
    assert "ls /data df -h /data" in shown(books)


def test_example_output_and_an_old_incident_s_command_are_shown_never_run(tmp_path: Path) -> None:
    books = imported(FIXTURES / "import" / "patroni-replica-lag.md", tmp_path)
    assert not [s for s in run_steps(books) if "42792" in s["run"] or "pg_is_in_recovery" in s["run"]]
    assert "sudo netstat -tp | grep 42792" in shown(books)
    psql = [s for s in run_steps(books) if s["run"] == "sudo -u postgres psql"]
    assert psql and psql[0]["interactive"] is True
    (tmp_path / "k").mkdir()
    k8s = imported(FIXTURES / "import" / "k8s-pod-crashlooping.md", tmp_path / "k")
    assert "CrashLoopBackOff" in shown(k8s)
    assert not [s for s in run_steps(k8s) if "CrashLoopBackOff" in s["run"]]
