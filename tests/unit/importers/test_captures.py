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
    ("A=$(kubectl get pods -o name | head -1); B=$(kubectl get nodes -o name | head -1)", None),
    ("POD=$(kubectl get pods | head -1) # the first pod (any)", None),
    ("POD=$(kubectl get pods -o name) && echo found", None),
    ("POD=$(kubectl get pods -o jsonpath='{.items[0].metadata.name}' | sed 's/)//')",
     ("POD", "kubectl get pods -o jsonpath='{.items[0].metadata.name}' | sed 's/)//'")),
    ("POD=$(kubectl get pods -l \"app=$(cat app)\" -o name);",
     ("POD", "kubectl get pods -l \"app=$(cat app)\" -o name")),
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


@pytest.mark.parametrize("later", [
    ["kubectl describe <pod>"], ["kubectl delete pod <pod>"],  # another input of that name
    ["kubectl delete pod ${POD:-my-default-pod}"], ["echo ${#POD}"],  # not a plain read
])
def test_a_later_read_the_capture_cannot_stand_for_keeps_the_note(later: list[str]) -> None:
    steps = [run("POD=$(kubectl get pods -o name | head -1)"), run("kubectl logs $POD"),
             *map(run, later)]
    assert captures(steps, frozenset({"POD"})) == {}
    assert captures(list(reversed(steps)), frozenset({"POD"})) == {}


@pytest.mark.parametrize("steps", [
    [run('echo "before: $NAME1"'), run("NAME1=$(hostname)"), run("echo $NAME1")],  # read before
    [run("export KUBECONFIG=`ls ~/.kube/prod-*.yaml`"), run("kubectl --kubeconfig $KUBECONFIG get ns")],
    [run("TMPDIR=$(mktemp -d)"), run("rm -rf $TMPDIR")],  # the environment's own names
    [run("NODE=$(kubectl get nodes -o name | head -1)"),  # set again in a session
     RawStep("run", "ssh", "ssh bastion", interactive=True, inside="NODE=$(hostname)"),
     run("kubectl drain $NODE")],
    [run("NODE=$(kubectl get nodes -o name | head -1)"), RawStep("message", "m", "NODE=$(hostname)"),
     run("kubectl drain $NODE")],
])
def test_a_variable_read_before_set_elsewhere_or_the_environments_is_not_captured(
        steps: list[RawStep]) -> None:
    assert captures(steps, frozenset({"NAME1", "KUBECONFIG", "TMPDIR", "NODE"})) == {}


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
    assert find.expect == 'result.stdout.strip() != "" and "\\n" not in result.stdout.strip()'
    assert logs.text == "psql -h {{ leader }} -c 'SELECT * FROM pg_replication_slots'"
    assert logs.capture is None
    assert book.inputs == ()
