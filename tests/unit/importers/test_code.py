"""Code blocks of a playbook -> steps: shell runs, transcripts lose their output, text is shown."""

from __future__ import annotations

import pytest

from runbookctl.importers.code import (
    arithmetic_names,
    code_step,
    is_command,
    looks_like_shell,
    loosely_assigned,
    shell_names,
)


def test_a_shell_block_is_a_run_step_and_a_transcript_keeps_only_its_commands() -> None:
    step = code_step("$ kubectl get pods \\\n  -n web\nNAME  READY\nweb-1 1/1\n", "console", "Pods")
    assert step is not None
    assert (step.action, step.title, step.text) == ("run", "Pods", "kubectl get pods \\\n  -n web")


def test_text_is_a_message_other_code_a_manual_step_comments_alone_a_note() -> None:
    message = code_step("Status: investigating\n", "text", "Status page")
    sql = code_step("SELECT 1;\n", "sql", "")
    note = code_step("# open the dashboard\n", "bash", "")
    assert message is not None and (message.action, message.origin) == ("message", "example")
    assert sql is not None and (sql.action, sql.title) == ("manual", "SQL snippet")
    assert note is not None and (note.action, note.text) == ("manual", "open the dashboard")
    assert code_step("\n\n", "bash", "x") is None


def test_what_looks_like_a_command() -> None:
    assert is_command("sudo systemctl restart api") and is_command("NS=web")
    assert not is_command("Status: ok") and not is_command("(etcd_db_size / quota) * 100")
    assert looks_like_shell("kubectl get pods\nkubectl describe pod x")
    assert not looks_like_shell("rate(http_requests_total[5m])")


def test_the_variables_a_command_sets_and_reads() -> None:
    assigned, used = shell_names("NS=$(kubectl get ns -o name)\nfor p in $PODS; do echo $p; done\n"
                                 "echo '$NOT_READ'\n# $COMMENT")
    assert assigned == {"NS", "p"}
    assert used == {"PODS", "p"}


@pytest.mark.parametrize(("code", "names"), [
    ("kubectl scale deploy web --replicas=$((COUNT+1))", {"COUNT"}),
    ("echo $(( $(date +%s) - START ))", {"START"}),  # a command inside is not a name
    ("echo $(( $N * 2 )) $((${#ARR} - 1)) $((16#ff + 0x1F))", set()),  # $N is a plain read
    ("for i in 1 2; do echo $((i + 1)); done", {"i"}),
    ("echo 'not $((SHOWN))' # nor $((COMMENT))\ncat <<'EOF'\n$((BODY))\nEOF", set()),
    ("echo $(( $(date -d \"$(cat /tmp/t)\" +%s) - $(( A + 1 )) ))", {"A"}),
])
def test_a_bare_name_in_arithmetic_is_read(code: str, names: set[str]) -> None:
    assert arithmetic_names(code) == names
    assert names <= shell_names(code)[1]


def test_a_name_set_anywhere_in_a_block_counts_as_set() -> None:
    code = ("for f in *; do\n  n=0; n+=1; m++\ndone\n{ local l=1; }\ndeclare -i D=3\n"
            "let L=2\necho $(( X = 5 ))\nread -r R\n")
    assert {"f", "n", "m", "l", "D", "L", "X", "R"} <= loosely_assigned(code)
    assert loosely_assigned("kubectl scale --replicas=$((COUNT+1)) # COUNT=3") == set()
