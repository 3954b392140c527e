"""Import measured on public on-call runbooks (issue 16.6): tests/fixtures/import/public/,
17 files from openshift/runbooks, prometheus-operator/runbooks, kubevirt/monitoring and
GitLab's runbooks (sources and licences: tests/fixtures/import/SOURCES.md), imported in ONE
`runbookctl import` (ids never collide across files), then, through the real CLI:

- no command that changes anything runs without a typed confirmation: each runbook is run
  with --yes --no-input and an answers file answering everything but dangerous steps, in a
  PATH where no real program exists; the journal shows that no dangerous step started;
  and every command a reader knows changes something is marked dangerous;
- no placeholder is left in a command;
- every WARNING / CAUTION / "do not" line of the source is in a step shown at run time,
  and every paragraph of the source is (the whole document, not only its warnings);
- the result validates, and --dry-run stops only to ask for its inputs.

The per-file figures are in docs/import.md (test_the_figures_in_the_docs_are_current).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import FIXTURES, journal_events, run_cli

pytestmark = pytest.mark.integration

PUBLIC = sorted((FIXTURES / "import" / "public").glob("*.md"))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "import.md"
# What changes a system, as a reader of these runbooks knows it (independent of readonly.py).
CHANGES = re.compile(
    r"\b(?:delete|remove|rm|restart|stop|disable|enable|scale|patch|apply|edit|annotate|label|drain|"
    r"cordon|uncordon|defrag|kill|reboot|create|replace|rollout|set|exec|rsh|debug|knife|chef-client|"
    r"gitlab-ctl|gitlab-rake|mv|cp|tee|truncate|psql|redis-cli|curl\s+-X\s*(?:POST|PUT|DELETE))\b"
    r"|>\s*[\w/]", re.IGNORECASE)
PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]*>|(?<![\w\]\[])\[[A-Za-z][^\]\n]*\](?![\w\[])"
                         r"|(?<![$\w{])\{[A-Za-z][\w -]*\}|\$\{?([A-Z][A-Z0-9_]*)")
WARNING = re.compile(r"\bWARNING\b|\bCAUTION\b|\bDANGER\b|\b[Dd]o not\b|\bDO NOT\b|\bdon't\b"
                     r"|\bnever\b|\bNEVER\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """All files imported at once; {source name: runbook dict}, and where they are."""
    tmp = tmp_path_factory.mktemp("corpus")
    out, review = tmp / "out", tmp / "review.md"
    result = run_cli(["import", *map(str, PUBLIC), "--output", str(out), "--review", str(review)],
                     cwd=tmp, state=tmp / "s")
    assert result.code == 0, result.output[-3000:]
    books: dict[str, dict[str, Any]] = {}
    for path in sorted(out.glob("*.yaml")):
        source = re.search(r"^# Imported from (\S+) by", path.read_text(), re.MULTILINE)
        assert source is not None
        books[source.group(1)] = yaml.safe_load(path.read_text())
    return {"tmp": tmp, "out": out, "books": books, "review": review.read_text(),
            "listing": result.stdout}


def book(corpus: dict[str, Any], playbook: Path) -> dict[str, Any]:
    found: dict[str, Any] = corpus["books"][playbook.name]
    return found


def runs(rb: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in rb["steps"] if "run" in s]


def values(rb: dict[str, Any]) -> list[str]:
    return [f"--var={name}={(spec.get('choices') or ['web-1'])[0]}"
            for name, spec in (rb.get("inputs") or {}).items()]


def test_one_import_of_every_file_gives_one_runbook_each_with_unique_ids(corpus: dict[str, Any]) -> None:
    assert len(PUBLIC) >= 12
    assert sorted(corpus["books"]) == sorted(p.name for p in PUBLIC)
    ids = [rb["id"] for rb in corpus["books"].values()]
    assert len(set(ids)) == len(ids)
    # two runbooks titled alike (openshift's and kubevirt's...) never stop the import
    assert "## openshift-etcd-database-quota-low-space.md -> runbook" in corpus["review"]


@pytest.mark.parametrize("playbook", PUBLIC, ids=[p.stem for p in PUBLIC])
def test_a_command_that_changes_anything_never_runs_without_a_typed_confirmation(
        playbook: Path, corpus: dict[str, Any]) -> None:
    rb = book(corpus, playbook)
    changing = [s["id"] for s in runs(rb) if CHANGES.search(_unquoted(_commands(s["run"])))]
    assert [i for i in changing if not _dangerous(rb, i)] == []
    answers: dict[str, Any] = {}
    for step in rb["steps"]:
        if "manual" in step:
            answers[step["id"]] = "done"
        elif step.get("interactive"):
            answers[step["id"]] = {"session": "skip"}
        elif "run" in step and not step.get("dangerous"):
            answers[step["id"]] = {"on_failure": "skip"}
    tmp, state = corpus["tmp"], corpus["tmp"] / f"s-{playbook.stem}"
    file = tmp / f"{playbook.stem}-answers.yaml"
    file.write_text(yaml.safe_dump(answers))
    bin_dir = _bare_path(tmp)  # no program exists: a read-only step that runs reads nothing here
    ran = run_cli(["--runbooks", str(corpus["out"]), "run", rb["id"], "--yes", "--no-input",
                   "--answers", str(file), "--report-dir", str(tmp / "reports"), *values(rb)],
                  cwd=tmp, state=state, PATH=str(bin_dir))
    started = {e["step"] for e in journal_events(_run_dir(state)) if e["type"] == "command_started"}
    assert [i for i in started if _dangerous(rb, i)] == []
    if any(s.get("dangerous") and not s.get("interactive") for s in runs(rb)):  # sessions: skipped
        assert ran.code == 2 and "--yes does not answer dangerous steps" in ran.output, ran.output[-2000:]
    else:
        assert ran.code == 0, ran.output[-2000:]


@pytest.mark.parametrize("playbook", PUBLIC, ids=[p.stem for p in PUBLIC])
def test_no_placeholder_is_left_in_a_command(playbook: Path, corpus: dict[str, Any]) -> None:
    left = []
    for step in runs(book(corpus, playbook)):
        code = _commands(step["run"])
        assigned = set(re.findall(r"(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_]\w*)=", code))
        left += [(step["id"], m.group(0)) for m in PLACEHOLDER.finditer(code)
                 if not (m.group(1) and m.group(1) in assigned)]
    assert left == []


@pytest.mark.parametrize("playbook", PUBLIC, ids=[p.stem for p in PUBLIC])
def test_every_warning_line_and_every_paragraph_is_shown_at_run_time(playbook: Path,
                                                                      corpus: dict[str, Any]) -> None:
    text = shown(book(corpus, playbook))
    lines = _prose_lines(playbook.read_text())
    warnings = [line for line in lines if WARNING.search(line)]
    assert [line for line in warnings if words(line) not in text] == []
    # commands in `code` are shown as the commands of run steps (placeholders filled in): each
    # part of a line around them is shown
    assert [line for line in lines if any(words(part) not in text
                                          for part in re.split(r"`[^`]*`", line))] == []


@pytest.mark.parametrize("playbook", PUBLIC, ids=[p.stem for p in PUBLIC])
def test_it_validates_and_a_dry_run_stops_only_to_ask_for_its_inputs(playbook: Path,
                                                                    corpus: dict[str, Any]) -> None:
    rb, tmp = book(corpus, playbook), corpus["tmp"]
    checked = run_cli(["--runbooks", str(corpus["out"]), "validate", str(corpus["out"] / f"{rb['id']}.yaml")],
                      cwd=tmp, state=tmp / "s")
    assert checked.code == 0 and "0 error(s)" in checked.stderr, checked.stderr[-2000:]
    base = ["--runbooks", str(corpus["out"]), "run", rb["id"], "--dry-run", "--no-input",
            "--report-dir", str(tmp / "reports")]
    state = tmp / f"dry-{playbook.stem}"
    if rb.get("inputs"):
        asked = run_cli(base, cwd=tmp, state=state / "a")
        assert asked.code == 2 and next(iter(rb["inputs"])) in asked.output, asked.output[-2000:]
    ran = run_cli([*base, *values(rb)], cwd=tmp, state=state / "b")
    assert ran.code == 0, ran.output[-2000:]


def test_the_figures_in_the_docs_are_current(corpus: dict[str, Any]) -> None:
    """docs/import.md carries the per-file figures of this corpus; they must match."""
    table = figures_table(corpus)
    assert table in DOCS.read_text(), f"update the table in docs/import.md:\n{table}"


def figures_table(corpus: dict[str, Any]) -> str:
    from runbookctl.importers.playbook import import_markdown
    from runbookctl.importers.review import figures

    rows = ["| file | steps | run | dangerous | inputs | messages | conditions | review items |",
            "|---|---|---|---|---|---|---|---|"]
    total = dict.fromkeys(["steps", "run", "dangerous", "inputs", "messages", "conditions", "review"], 0)
    taken: set[str] = set()
    for playbook in PUBLIC:
        (rb,) = import_markdown(playbook.read_text(), playbook.name, taken=taken)
        n = figures(rb)
        total = {k: total[k] + n[k] for k in total}
        rows.append(f"| {playbook.stem} | " + " | ".join(str(n[k]) for k in total) + " |")
    rows.append("| **all 17** | " + " | ".join(f"**{total[k]}**" for k in total) + " |")
    return "\n".join(rows)


# --- helpers -------------------------------------------------------------------------


def _commands(run: str) -> str:
    """A command without its comment lines (text for the operator, never run)."""
    return "\n".join(line for line in run.splitlines() if not line.lstrip().startswith("#"))


def _unquoted(code: str) -> str:
    return re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "''", code)


def _dangerous(rb: dict[str, Any], step_id: str) -> bool:
    return any(s["id"] == step_id and s.get("dangerous") is True for s in rb["steps"])


def _bare_path(tmp: Path) -> Path:
    """A PATH holding only the shells runbookctl starts commands with."""
    bin_dir = tmp / "bare-bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        for shell in ("sh", "bash"):
            target = next(Path(d) / shell for d in os.environ["PATH"].split(os.pathsep)
                          if (Path(d) / shell).exists())
            (bin_dir / shell).symlink_to(target)
    return bin_dir


def _run_dir(state: Path) -> Path:
    (run,) = sorted((state / "runs").iterdir())
    return run


def shown(rb: dict[str, Any]) -> str:
    """Every text a run shows: titles, messages, manual instructions, questions."""
    parts = [rb.get("title", ""), rb.get("summary", "")]
    for step in rb["steps"]:
        parts += [str(step.get(k, "")) for k in ("title", "message", "manual", "confirm", "ask")]
    return words("\n".join(parts))


def words(text: str) -> str:
    """Text as its words only: Markdown marks, link targets and punctuation gone."""
    text = re.sub(r"\]\[[^\]]*\]|\]\([^)]*\)", "]", text)  # [text][ref], [text](url) -> text
    text = re.sub(r"\([^()\s]*[/#.][^()\s]*\)|https?://\S+", " ", text)  # (url), as plain text shows it
    text = re.sub(r"^\s*(?:>\s*)*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?", "", text, flags=re.MULTILINE)
    return " ".join(re.findall(r"[A-Za-z0-9]+", text)).lower()


def _prose_lines(markdown: str) -> list[str]:
    """The source's lines outside code, front matter, link definitions and HTML comments."""
    out, fenced = [], False
    body = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.DOTALL)
    body = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL)
    for line in body.splitlines():
        if re.match(r"^\s*(```|~~~)", line):
            fenced = not fenced
            continue
        if fenced or re.match(r"^\s*\[[^\]]+\]:\s", line) or \
                re.match(r"^\s*#{1,6}\s", line) or not words(line):
            continue
        out.append(line.strip())
    return out
