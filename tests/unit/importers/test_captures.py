"""importers/captures.py: a variable one step sets from a command's output and later
steps read becomes a `capture:` of that command, read by the later steps — never an
input asked before the run, when nobody knows the value yet."""

from __future__ import annotations

import textwrap

import pytest

from runbookctl.importers.captures import capture_of, captures
from runbookctl.importers.code import RawStep
from runbookctl.importers.playbook import import_markdown


@pytest.mark.parametrize(("code", "found"), [
    ("POD=$(kubectl get pods -o name | head -1)", ("POD", "kubectl get pods -o name | head -1")),
    ("export LEADER=$(patronictl list -f json | jq -r .leader)",
     ("LEADER", "patronictl list -f json | jq -r .leader")),
    ("NODE=`hostname -f`;", ("NODE", "hostname -f")),
    ("# find it\nIP=$(dig +short db.internal)\n", ("IP", "dig +short db.internal")),
    ("POD=$(kubectl get pods -o name)\necho $POD", None),  # more than the assignment
    ("pod=$(kubectl get pods -o name)", None),  # a script's own lowercase name
    ("NAMESPACE=web", None),  # a constant, not a command's output
    ("POD=$()", None),
])
def test_a_step_sets_a_variable_from_a_command_only_as_its_one_line(
        code: str, found: tuple[str, str] | None) -> None:
    assert capture_of(code) == found


def run(code: str) -> RawStep:
    return RawStep("run", "step", code)


def test_only_a_variable_read_later_and_set_nowhere_else_is_captured() -> None:
    steps = [run("POD=$(kubectl get pods -o name)"), RawStep("message", "m", "$POD"),
             run("kubectl logs ${POD}"), run("LATE=$(date)"), run("OTHER=$(uptime)"),
             run("OTHER=$(hostname)"), run("echo $OTHER")]
    found = captures(steps, frozenset({"POD", "LATE", "OTHER"}))
    assert list(found) == [0]
    assert (found[0].shell_name, found[0].command, found[0].name) == (
        "POD", "kubectl get pods -o name", "pod")


def test_a_placeholder_of_the_same_name_met_first_keeps_its_input() -> None:
    steps = [run("kubectl describe <pod>"), run("POD=$(kubectl get pods -o name)"),
             run("kubectl logs $POD")]
    assert captures(steps, frozenset({"POD"})) == {}


def test_the_imported_runbook_captures_and_reads_the_value_without_an_input() -> None:
    md = textwrap.dedent("""\
        # Patroni leader stuck

        ## Which node leads

        ```
        export LEADER=`patronictl -c /etc/patroni.yml list -f json | jq -r .leader`
        ```

        ## Its replication slots

        ```
        psql -h ${LEADER} -c 'SELECT * FROM pg_replication_slots'
        ```
        """)
    (book,) = import_markdown(md, "playbook.md", "", split=False)
    find, logs = book.steps
    assert (find.text, find.capture) == (
        "patronictl -c /etc/patroni.yml list -f json | jq -r .leader", "leader")
    assert any("captured as {{ leader }}" in t for t in find.todos)
    assert logs.text == "psql -h {{ leader }} -c 'SELECT * FROM pg_replication_slots'"
    assert logs.capture is None
    assert book.inputs == ()
