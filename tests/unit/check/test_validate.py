"""validate: every malformed fixture gives one problem at the exact file:line:col;
semantic checks (graph, names, includes) and the answers-file check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from runbookctl.check.validate import check_runbook
from runbookctl.errors import Problem, ValidationError
from runbookctl.runbook.loader import load_runbook, load_runbook_text
from runbookctl.runbook.model import Runbook
from tests.helpers import FIXTURES

BAD = sorted((FIXTURES / "bad").glob("*.yaml"))
GOOD = sorted((FIXTURES / "good").glob("*.yaml"))
TEMPLATES = FIXTURES / "templates"  # where `runbookctl --runbooks tests/fixtures/...` looks too


def template_source(name: str) -> str | None:
    path = TEMPLATES / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def good_runbooks() -> dict[str, Runbook]:
    return {rb.id: rb for rb in map(load_runbook, GOOD)}


def check(path: Path, library: dict[str, Runbook] | None = None) -> list[Problem]:
    """Load then check, as `runbookctl validate` does: the problems of one file."""
    try:
        rb = load_runbook(path)
    except ValidationError as exc:
        return exc.problems
    books = {**(library if library is not None else good_runbooks()), rb.id: rb}
    return check_runbook(rb, path.read_text(encoding="utf-8"), resolve_runbook=books.get,
                         template_source=template_source, known_runbooks=list(books))


def check_text(text: str, tmp_path: Path, name: str = "rb.yaml",
               library: dict[str, Runbook] | None = None) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [p.format().splitlines()[0] for p in check(path, library or {})]


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_fixture_reports_its_one_problem_at_file_line_col(path: Path) -> None:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    expect = re.fullmatch(r"# expect: (\d+):(\d+) (.+)", header)
    assert expect, f"{path.name}: first line must be `# expect: LINE:COL fragment`"
    line, col, fragment = expect.groups()
    errors = [p for p in check(path) if p.severity == "error"]
    assert len(errors) == 1, "\n".join(p.format() for p in errors)
    first = errors[0].format().splitlines()[0]
    assert first.startswith(f"{path}:{line}:{col}: "), first
    assert fragment in first


def test_there_are_enough_bad_fixtures() -> None:
    assert len(BAD) >= 25


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_fixture_checks_clean(path: Path) -> None:
    assert [p.format() for p in check(path)] == []


def test_three_semantic_problems_are_all_reported(tmp_path: Path) -> None:
    text = ("title: t\n"
            "steps:\n"
            "  - id: a\n"
            "    run: echo {{ nme }}\n"
            "  - id: b\n"
            "    message: comms/missing.md.j2\n"
            "  - id: c\n"
            "    include: elsewhere\n")
    assert check_text(text, tmp_path) == [
        f"{tmp_path}/rb.yaml:4:18: run: undefined name 'nme' (steps[0].run)",
        f"{tmp_path}/rb.yaml:6:14: message: no template 'comms/missing.md.j2' under templates/ "
        f"(steps[1].message)",
        f"{tmp_path}/rb.yaml:8:14: include: no runbook 'elsewhere' on the search path "
        f"(steps[2].include)",
    ]


# --- the step graph ----------------------------------------------------------


def test_self_loop_without_exit(tmp_path: Path) -> None:
    found = check_text("title: t\nsteps:\n  - id: spin\n    run: echo\n    next: spin\n", tmp_path)
    assert found == [f"{tmp_path}/rb.yaml:5:11: step 'spin' loops to itself with no way out (add a "
                     f"condition to `next`, or a step outside the loop or `end` to go to) "
                     f"(steps[0].next)"]


def test_poll_loop_with_a_conditional_exit_is_fine(tmp_path: Path) -> None:
    text = ("title: t\nsteps:\n"
            "  - id: check\n    run: curl -fsS localhost\n    on_failure: continue\n"
            "    next: [{if: 'result.exit_code != 0', goto: wait}]\n"
            "  - id: done\n    run: echo ok\n    next: end\n"
            "  - id: wait\n    run: sleep 1\n    next: check\n")
    assert check_text(text, tmp_path) == []


def test_loop_left_only_by_aborting_has_no_way_out(tmp_path: Path) -> None:
    text = ("title: t\nsteps:\n"
            "  - id: again\n    confirm: Once more?\n    on_no: abort\n"
            "  - id: work\n    run: echo work\n    on_failure: abort\n    next: again\n")
    found = check_text(text, tmp_path)
    assert len(found) == 1 and "loop with no way out: steps again, work" in found[0]


def test_jump_words_are_suggested(tmp_path: Path) -> None:
    found = check_text("title: t\nsteps:\n  - id: a\n    run: x\n    on_failure: contnue\n", tmp_path)
    assert found == [f"{tmp_path}/rb.yaml:5:17: on_failure: no step 'contnue' in this runbook "
                     f"(did you mean 'continue'?) (steps[0].on_failure)"]


# --- names -------------------------------------------------------------------


@pytest.mark.parametrize("step", [
    "    ssh: echo {{ host }}\n    hosts: web\n",
    "    run: echo\n    until: result.stdout == 'ok'\n    every: 1s\n",
    "    run: echo\n    next: [{if: result.exit_code == 0, goto: end}]\n",
    "    run: echo {% set n = 3 %}{{ n }}{% for i in range(n) %}{{ i }}{% endfor %}\n",
    "    run: echo {{ steps.long_queries.stdout }} {{ steps.a.exit_code }} {{ run.id }} {{ now() }}\n",
    "    manual: '{% if x is defined %}{{ x }}{% endif %}'\n",
])
def test_names_in_scope_are_not_reported(step: str, tmp_path: Path) -> None:
    text = f"title: t\nsteps:\n  - id: long-queries\n    run: echo\n  - id: a\n{step}"
    found = check_text(text, tmp_path)
    assert [f for f in found if "undefined name 'x'" not in f] == []


def test_host_is_only_known_in_ssh_commands(tmp_path: Path) -> None:
    found = check_text("title: t\nsteps:\n  - id: a\n    run: echo {{ host }}\n", tmp_path)
    assert found == [f"{tmp_path}/rb.yaml:4:18: run: undefined name 'host' (`host` is only known "
                     f"in ssh commands) (steps[0].run)"]


def test_expression_written_with_braces_gets_a_hint(tmp_path: Path) -> None:
    found = check_text("title: t\nsteps:\n  - id: a\n    run: x\n    when: '{{ ok }}'\n", tmp_path)
    assert len(found) == 1 and "(expressions are written without {{ }})" in found[0]


def test_names_of_included_runbooks_are_in_scope(tmp_path: Path) -> None:
    text = ("title: t\nsteps:\n  - id: common\n    include: common-checks\n"
            "  - id: a\n    run: echo {{ disk_free }} {{ steps.disk_ok.answer }}\n")
    assert check_text(text, tmp_path, library=good_runbooks()) == []


def test_unquoted_filter_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "rb.yaml"
    path.write_text("title: t\ninputs: {flags: -v}\nsteps:\n  - id: a\n"
                    "    run: ls {{ flags | unquoted }}\n", encoding="utf-8")
    found = check(path, {})
    assert [(p.severity, p.pos.line, p.pos.col) for p in found] == [("warning", 5, 24)]
    assert found[0].message == ("run: `unquoted` turns off shell quoting for this value: make sure "
                                "it cannot come from an answer or command output")


def test_template_file_syntax_error_names_the_template_line(tmp_path: Path) -> None:
    path = tmp_path / "rb.yaml"
    path.write_text("title: t\nsteps:\n  - id: a\n    message: comms/x.md.j2\n", encoding="utf-8")
    rb = load_runbook(path)
    found = check_runbook(rb, path.read_text(), resolve_runbook=lambda _: None,
                          template_source={"comms/x.md.j2": "ok\n{% if %}\n"}.get)
    assert [p.format().splitlines()[0] for p in found] == [
        f"{path}:4:14: in template comms/x.md.j2 line 2: template syntax error: Expected an "
        f"expression, got 'end of statement block' (steps[0].message)"]


# --- includes ----------------------------------------------------------------


def test_include_cycle_through_another_runbook(tmp_path: Path) -> None:
    a = load_runbook_text("id: a\ntitle: A\nsteps:\n  - {id: to-b, include: b}\n", "a.yaml")
    b = load_runbook_text("id: b\ntitle: B\nsteps:\n  - {id: to-a, include: a}\n", "b.yaml")
    books = {"a": a, "b": b}
    found = check_runbook(a, "id: a\ntitle: A\nsteps:\n  - {id: to-b, include: b}\n",
                          resolve_runbook=books.get, template_source=lambda _: None)
    assert [p.format().splitlines()[0] for p in found] == [
        "a.yaml:4:25: include cycle: a → b → a (steps[0].include)"]


def test_include_of_a_broken_runbook_says_so(tmp_path: Path) -> None:
    found = check_runbook(
        load_runbook_text("title: t\nsteps:\n  - {id: x, include: broken}\n", "rb.yaml"),
        "title: t\nsteps:\n  - {id: x, include: broken}\n",
        resolve_runbook=lambda _: None, template_source=lambda _: None, known_runbooks=["broken"])
    assert "runbook 'broken' has problems of its own" in found[0].message


def test_an_included_runbook_with_errors_of_its_own_is_an_error_where_it_is_included(
        tmp_path: Path) -> None:
    """A bad jump or an undefined name in an included runbook stopped the run midway
    (a KeyError at the jump); it is found before, at the include, with where it is."""
    child = tmp_path / "child.yaml"
    child.write_text("id: child\ntitle: c\nsteps:\n  - {id: s, run: echo hi, next: nowhere}\n"
                     "  - {id: t, run: 'echo {{ nope }}'}\n")
    parent = tmp_path / "parent.yaml"
    parent.write_text("id: parent\ntitle: p\nsteps:\n  - {id: a, include: child}\n")
    books = {"child": load_runbook(child)}
    found = check_runbook(load_runbook(parent), parent.read_text(), resolve_runbook=books.get,
                          template_source=lambda _: None)
    assert [p.format().splitlines()[0] for p in found] == [
        f"{parent}:4:22: include: runbook 'child' has problems of its own: {child}:4:33: next: "
        "no step 'nowhere' in this runbook; use a step id or end and 1 more (runbookctl "
        "validate child) (steps[0].include)"]
    grand = tmp_path / "grand.yaml"
    grand.write_text("id: grand\ntitle: g\nsteps:\n  - {id: b, include: parent}\n")
    books["parent"] = load_runbook(parent)
    [nested] = check_runbook(load_runbook(grand), grand.read_text(), resolve_runbook=books.get,
                             template_source=lambda _: None)
    assert nested.message.startswith(f"include: runbook 'parent' has problems of its own: "
                                     f"{parent}:4:22: include: runbook 'child'")


def test_each_included_runbook_is_checked_once_however_many_ways_include_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain where each runbook includes the next twice: 2^N ways to the last one.
    Checked once each, validate stays linear (it took 33 s at depth 16)."""
    from runbookctl.check import validate

    depth, books = 16, {}
    for i in range(depth):
        nxt = f"  - {{id: a, include: l{i + 1}}}\n  - {{id: b, include: l{i + 1}}}\n"
        text = f"id: l{i}\ntitle: t\nsteps:\n" + (nxt if i < depth - 1 else "  - {id: a, run: 'true'}\n")
        (tmp_path / f"l{i}.yaml").write_text(text)
        books[f"l{i}"] = load_runbook(tmp_path / f"l{i}.yaml")
    calls: list[str] = []
    real = validate.check_runbook

    def counted(rb: Runbook, *args: object, **kw: object) -> list[Problem]:
        calls.append(rb.id)
        return real(rb, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(validate, "check_runbook", counted)
    found = validate.check_runbook(books["l0"], (tmp_path / "l0.yaml").read_text(),
                                   resolve_runbook=books.get, template_source=lambda _: None)
    assert found == [] and sorted(calls) == sorted(books)
