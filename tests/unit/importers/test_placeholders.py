"""Placeholders in imported commands become inputs (issue 16.3)."""

from __future__ import annotations

import pytest

from runbookctl.importers.placeholders import DraftInput, command_template
from runbookctl.safety.templating import render_command


def template(code: str, assigned: frozenset[str] | None = frozenset()) -> tuple[str, dict[str, DraftInput]]:
    inputs: dict[str, DraftInput] = {}
    return command_template(code, inputs, assigned), inputs


def test_free_text_placeholders_with_spaces_become_inputs_prompted_with_their_text() -> None:
    text, inputs = template("kubectl logs <pod name from alert> --context {cluster id} -n [ns]")
    assert text == "kubectl logs {{ pod_name_from_alert }} --context {{ cluster_id }} -n {{ ns }}"
    assert [i.prompt for i in inputs.values()] == ["Pod name from alert", "Cluster id", "Ns"]
    assert render_command(text, {"pod_name_from_alert": "api 1; rm -rf ~", "cluster_id": "c",
                                 "ns": "web"}) == "kubectl logs 'api 1; rm -rf ~' --context c -n web"


def test_alternatives_become_a_choice_input() -> None:
    text, inputs = template("deploy.sh [staging|production]")
    assert text == "deploy.sh {{ staging_or_production }}"
    assert inputs["staging_or_production"].choices == ("staging", "production")


def test_variables_the_document_never_sets_become_inputs() -> None:
    text, inputs = template('kubectl -n $NAMESPACE delete pod "${POD}" $SET ${X:-d} $HOME',
                            frozenset({"SET"}))
    assert text == 'kubectl -n {{ namespace_value }} delete pod "{{ pod }}" $SET ${X:-d} $HOME'
    assert inputs["pod"].prompt == "Value for $POD"
    assert template("echo $FOO", None)[0] == "echo $FOO"  # without the document's names: left alone


@pytest.mark.parametrize("code", [
    "[ -f /x ] && [[ -n $y ]]", "ls /dev/sd[a-z]", "awk '{print $1}' f", "grep '[Ee]rror' log",
    "sort <in >out", "cat <<EOF", "mv a{,.bak}", "{ echo a; echo b; }", "echo '$QUOTED'",
    "echo [INFO] done", "# see <the wiki> and $NOTE",
])
def test_shell_syntax_is_not_taken_for_a_placeholder(code: str) -> None:
    assert template(code) == (code, {})


def test_a_heredoc_body_is_filled_in_like_the_command() -> None:
    code = "cat > x <<EOF\n{\"q\": [QUERY STATS]}\nEOF\necho <done marker>"
    text, inputs = template(code)
    assert list(inputs) == ["query_stats", "done_marker"]
    assert text == "cat > x <<EOF\n{\"q\": {{ query_stats }}}\nEOF\necho {{ done_marker }}"
    assert render_command(text, {"query_stats": "a $b", "done_marker": "ok"}) == \
        "cat > x <<EOF\n{\"q\": a \\$b}\nEOF\necho ok"  # the shell would expand $b: escaped


def test_a_quoted_heredoc_s_variables_are_the_program_s_own() -> None:
    text, inputs = template("psql <<'SQL'\nSELECT '$NAME' FROM <table name>;\nSQL\necho $NAME")
    assert list(inputs) == ["table_name", "name"]
    assert text == "psql <<'SQL'\nSELECT '$NAME' FROM {{ table_name }};\nSQL\necho {{ name }}"
