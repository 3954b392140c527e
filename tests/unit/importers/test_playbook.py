"""import: Markdown playbook -> runbooks. Step shapes, ids, severities, TODO notes,
placeholders as inputs, Jinja escaping, and YAML text that loads back exactly."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from runbookctl.cli.commands.authoring import self_check
from runbookctl.importers.markdown import fix_mojibake
from runbookctl.importers.playbook import (
    DraftInput,
    DraftRunbook,
    command_template,
    escape_jinja,
    import_markdown,
)
from runbookctl.importers.yaml_text import render_runbook, scalar
from runbookctl.runbook.loader import load_runbook_text
from runbookctl.runbook.model import Runbook
from runbookctl.safety.templating import render_command, render_text


def books(md: str, prefix: str = "", split: bool = True) -> list[DraftRunbook]:
    """`--split` (a runbook per procedure heading) unless split=False (one per document)."""
    return import_markdown(textwrap.dedent(md), "playbook.md", prefix, split=split)


def loaded(md: str, split: bool = True) -> list[Runbook]:
    """Import, write the YAML text, load it with the real loader and check it as validate does."""
    out = []
    for rb in books(md, split=split):
        text = render_runbook(rb, "playbook.md")
        self_check(text, f"{rb.id}.yaml")  # raises on any validation error
        out.append(load_runbook_text(text, f"{rb.id}.yaml"))
    return out


OUTAGE = """\
    # Ops playbook

    ## P0 Alerts

    ### API down
    **Threshold:** 3 failed health checks

    **Response Procedure:**
    1. **Acknowledge alert** (Slack: "Investigating")
    2. **Check status:**
       ```bash
       curl -fsS https://api.example.com/health
       ```
    3. **Immediate action:**
       - Rollback (if a deploy caused it)
       - Restart crashed services
    4. If persistent, restart the database: `docker compose restart db`

    **Escalation:** If not resolved within 30 minutes, page the CTO.

    ## Weekly checklist

    - [ ] Review weekend alerts
    - [x] Check backups
"""


def test_each_heading_with_a_procedure_becomes_a_runbook_with_title_severity_and_tags() -> None:
    api, weekly = loaded(OUTAGE)
    assert (api.id, api.title, api.severity) == ("api-down", "API down", "P0")
    assert api.tags == ("p0-alerts", "imported")
    assert "Threshold: 3 failed health checks" in (api.summary or "")
    assert (weekly.id, weekly.severity) == ("weekly-checklist", None)


def test_numbered_items_become_manual_steps_with_nested_bullets_folded_in() -> None:
    api = loaded(OUTAGE)[0]
    ack = api.step("acknowledge-alert")
    assert (ack.action, ack.title) == ("manual", "Acknowledge alert")
    act = api.step("immediate-action")
    assert act.action == "manual"
    assert act.text == "Immediate action:\n- Rollback (if a deploy caused it)\n- Restart crashed services"


def test_shell_blocks_and_inline_commands_become_confirmed_run_steps_with_a_timeout() -> None:
    api = loaded(OUTAGE)[0]
    check = api.step("check-status")
    assert check.action == "run"
    assert check.text == "curl -fsS https://api.example.com/health"
    assert (check.confirm, check.timeout, check.shell) == ("Run this?", 300.0, "bash")
    restart = api.step("if-persistent-restart-the-database")
    assert (restart.action, restart.text) == ("run", "docker compose restart db")
    assert restart.confirm == "Run this?"


def test_checklist_items_become_manual_steps() -> None:
    weekly = loaded(OUTAGE)[1]
    assert [(s.id, s.action, s.text) for s in weekly.steps] == [
        ("review-weekend-alerts", "manual", "Review weekend alerts"),
        ("check-backups", "manual", "Check backups"),
    ]


def test_if_x_do_y_becomes_a_confirmation_whose_no_skips_y() -> None:
    api = loaded(OUTAGE)[0]
    ids = [s.id for s in api.steps]
    gate = api.step("persistent")
    assert (gate.action, gate.text) == ("confirm", "Persistent?")
    restart = ids.index("if-persistent-restart-the-database")
    assert ids.index("persistent") == restart - 1 and gate.on_no == ids[restart + 1]
    # a condition inside a sentence stays a note for the reviewer, the sentence stays shown
    lines = render_runbook(books(OUTAGE)[0], "playbook.md").splitlines()
    action = lines.index('  - id: "immediate-action"')
    assert "Rollback (if a deploy caused it)" in lines[action - 1]
    shown = [s.text for s in api.steps if s.action == "message"]
    assert "Escalation: If not resolved within 30 minutes, page the CTO." in shown


def test_a_condition_introducing_a_block_guards_all_its_steps_and_may_end_the_runbook() -> None:
    (rb,) = loaded("""\
        # Disk full
        Look at the disk:
        ```bash
        df -h /var
        ```
        If the disk is still full, free some space:
        1. Remove old logs: `rm -rf /var/log/old`
        2. Restart the collector: `systemctl restart collector`

        If the DB size exceeds the quota, no writes succeed.
    """, split=False)
    gate = rb.step("if-the-disk-is-still-full-free-some")
    assert (gate.action, gate.text) == ("confirm", "If the disk is still full, free some space\n"
                                                   "The disk is still full?")
    ids = [s.id for s in rb.steps]
    assert ids[ids.index(gate.id) + 1: ids.index(gate.id) + 3] == ["remove-old-logs",
                                                                     "restart-the-collector"]
    assert gate.on_no == ids[ids.index(gate.id) + 3]
    # an explanation is not an instruction: shown, not asked
    assert rb.steps[-1].action == "message" and "no writes succeed" in rb.steps[-1].text
    (end,) = loaded("# X\nIf it hangs:\n```bash\nkill -9 1234\n```\n", split=False)[0:1]
    assert end.steps[0].on_no == end.steps[-1].id == "end-of-procedure"


def test_step_ids_are_unique_slugs_and_long_titles_are_cut_at_a_word() -> None:
    long = "Check " + " ".join(["the replication lag on every replica"] * 4)
    (rb,) = loaded(f"""\
        # Checks
        1. Restart the worker
        2. Restart the worker
        3. {long}
        4. end
        5. 检查数据库
        6. ✅
    """)
    assert [s.id for s in rb.steps] == ["restart-the-worker", "restart-the-worker-2",
                                        "check-the-replication-lag-on-every", "end-step",
                                        "step-5", "checks"]
    assert rb.steps[5].action == "message" and "✅" in rb.steps[5].text  # no step, still shown
    title = rb.steps[2].title or ""
    assert title.endswith("…") and len(title) <= 70 and long.startswith(title[:-1])
    assert rb.steps[4].text == "检查数据库"  # no ASCII for an id; a symbol alone is no step
    assert rb.steps[2].text == long  # the full text stays in the instruction


def test_bullets_are_steps_only_under_a_procedure_like_heading_or_lead_in() -> None:
    (rb,) = loaded("""\
        # Database overload

        Contacts:
        - the DBA team
        - the platform on-call

        Steps:
        - Find the long-running queries
        - **Owner**: platform
    """)
    assert [s.text for s in rb.steps if s.action == "manual"] == ["Find the long-running queries"]
    assert "- the DBA team" in (rb.summary or "") and "- Owner: platform" in (rb.summary or "")
    shown = "\n".join(s.text for s in rb.steps if s.action == "message")
    assert "- the DBA team" in shown and "- Owner: platform" in shown  # and at run time


def test_small_sub_sections_merge_into_one_runbook_and_big_ones_stay_apart() -> None:
    md = """\
        # Ops
        ## Common commands
        ### Logs
        ```bash
        docker compose logs api
        ```
        ### Status
        ```bash
        docker compose ps
        ```
        ## Monday
        - [ ] Review alerts
        - [ ] Check backups
        - [ ] Check certificates
        - [ ] Plan patches
        ## Tuesday
        - [ ] Rotate keys
    """
    common, monday, tuesday = books(md)
    assert common.id == "common-commands"
    assert [(s.title, s.text) for s in common.steps] == [("Logs", "docker compose logs api"),
                                                         ("Status", "docker compose ps")]
    assert (monday.id, len(monday.steps), tuesday.id, len(tuesday.steps)) == ("monday", 4, "tuesday", 1)


@pytest.mark.parametrize(("heading", "parent", "severity"), [
    ("API down", "P0 Alerts (CRITICAL)", "P0"),
    ("Critical Alerts (P1)", "Alerts", "P1"),
    ("Severity 2 (High)", "Incidents", "P1"),
    ("SEV-1: Outage", "Incidents", "P0"),
    ("P4 cosmetic", "Incidents", "P3"),
    ("P95 latency over 500ms", "Latency", None),
])
def test_severity_comes_from_the_heading_or_its_parents(heading: str, parent: str,
                                                        severity: str | None) -> None:
    (rb,) = books(f"# Doc\n## {parent}\n### {heading}\n1. Look at the dashboard\n")
    assert rb.severity == severity


def test_code_without_a_language_is_a_command_only_when_it_looks_like_one() -> None:
    (rb,) = loaded("""\
        # Comms
        **Investigating:**
        ```
        Status: Investigating
        We are looking into [issue].
        ```
        ```
        $ kubectl get pods -n web
        NAME    READY
        web-1   1/1
        ```
        ```sql
        SELECT 1;
        ```
        ```bash
        # only a note: open the dashboard
        ```
    """)
    kinds = [(s.action, s.title) for s in rb.steps]
    assert kinds == [("message", "Investigating"), ("run", "kubectl get pods -n web"),
                     ("manual", "SQL snippet"), ("manual", "only a note")]
    assert rb.steps[0].text == "Status: Investigating\nWe are looking into [issue]."
    assert rb.steps[1].text == "kubectl get pods -n web"  # the transcript's output is dropped
    assert "  SELECT 1;" in rb.steps[2].text


def test_a_text_block_naming_a_file_is_not_taken_for_a_message_template() -> None:
    (rb,) = loaded("# Notes\n```\nrelease-notes.md\n```\n")
    assert (rb.steps[0].action, rb.steps[0].text) == ("manual", "release-notes.md")


def test_destructive_and_never_ending_commands_are_flagged() -> None:
    (rb,) = books("""\
        # Cleanup
        ```bash
        redis-cli FLUSHALL
        ```
        ```bash
        docker compose logs -f web
        ```
    """)
    flush, follow = rb.steps
    assert flush.dangerous and not follow.dangerous
    assert any("may not end by itself" in t for t in follow.todos)


def test_no_procedure_gives_no_runbook() -> None:
    assert books("# Philosophy\n\nWe are calm.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n") == []


def test_runbook_ids_are_unique_and_take_the_prefix() -> None:
    md = "# A\n## Restart\n1. do x\n## Other\n### Restart\n1. do y\n"
    assert [rb.id for rb in books(md, "Team Web")] == ["team-web-restart", "team-web-restart-2"]


def test_front_matter_is_dropped_and_gives_the_title() -> None:
    (rb,) = books("---\ntitle: Disk full\ntags: [x]\n---\n1. Free some space\n")
    assert (rb.title, [s.text for s in rb.steps]) == ("Disk full", ["Free some space"])


def test_mojibake_is_repaired_and_real_accents_kept() -> None:
    assert fix_mojibake("Playbook â€” ðŸ“Š café") == "Playbook — 📊 café"
    assert fix_mojibake("‚úÖ done; naïve — ok") == "✅ done; naïve — ok"  # Mac Roman
    (rb,) = books("# Checks â€” weekly\n- [ ] Review the alerts â€” all of them\n")
    assert rb.title == "Checks — weekly" and rb.steps[0].text == "Review the alerts — all of them"


# --- templates ---------------------------------------------------------------------

TRICKY = [
    "docker ps --format '{{.Names}} {{ .Status }}'",
    'echo "${#arr[@]} items" {# not a comment #}',
    "{% if x %}y{% endif %} and {% endraw %} and {%- raw -%}",
    "{{{ a }}} {%{ {#{ }}} %} #}",
    "a{\n{{b}}\n\tc }}",
]


@pytest.mark.parametrize("text", TRICKY)
def test_escaped_text_renders_to_itself(text: str) -> None:
    assert render_text(escape_jinja(text), {}) == text
    assert render_command(escape_jinja(text), {}) == text


def test_placeholders_in_commands_become_inputs_and_are_shell_quoted() -> None:
    inputs: dict[str, DraftInput] = {}
    code = ("pg_isready -h [postgres-host]\nssh <host> 'echo [INFO] ok'\n# see [Runbook Link]\n"
            "cat > x <<'EOF'\n{\"q\": \"[QUERY STATS]\"}\nEOF\ncurl \"https://[api-host]/x\"")
    template = command_template(code, inputs)
    assert list(inputs) == ["postgres_host", "host_value", "query_stats", "api_host"]
    assert inputs["postgres_host"].prompt == "Postgres host"
    values = {"postgres_host": "db 1", "host_value": "web1", "api_host": "a$(id)", "query_stats": "$x"}
    assert render_command(template, values) == (
        "pg_isready -h 'db 1'\nssh web1 'echo [INFO] ok'\n# see [Runbook Link]\n"
        "cat > x <<'EOF'\n{\"q\": \"$x\"}\nEOF\ncurl \"https://a\\$(id)/x\"")


def test_imported_runbook_with_placeholders_declares_its_inputs() -> None:
    (rb,) = loaded("# Db\n```bash\npg_isready -h [postgres-host] -p 5432\n```\n")
    assert [(i.name, i.prompt) for i in rb.inputs] == [("postgres_host", "Postgres host")]
    assert rb.steps[0].text == "pg_isready -h {{ postgres_host }} -p 5432"


@pytest.mark.parametrize("text", [
    "no", "123", "a: b", "# x", "- item", "  leading", "tab\there", "x\x85y", "x\u2028y",
    "emoji 🔥 and “quotes”", "back\\slash \"dq\"", "---", "multi\n  line\n\n\ttabbed\n",
    "\n  starts indented\nx", " - alertname = X\n...\n - node = n1",
    "trailing   \nspaces", "bell\x07", "\ufeffbom", "one line\n\t\n", "x\n\t",
])
def test_yaml_scalars_load_back_as_the_same_text(text: str) -> None:
    top = yaml.safe_load(f"key: {scalar(text, 2)}\nafter: 1\n")
    nested = yaml.safe_load(f"steps:\n  - id: x\n    key: {scalar(text, 6)}\n    after: 1\n")
    expected = text
    block = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    if "\n" in block and not any(c in text for c in "\x85\u2028\x07\ufeff"):
        expected = block  # a block scalar: trailing spaces and blank outer lines are not kept
    assert top == {"key": expected, "after": 1}
    assert nested == {"steps": [{"id": "x", "key": expected, "after": 1}]}


def test_warnings_become_messages_before_the_steps_they_guard_and_examples_are_never_run() -> None:
    (rb,) = books("""\
        # Restart
        > [!CAUTION]
        > Restarting drops every open connection.

        ```bash
        systemctl restart api
        ```

        Don't restart twice in a row.

        For example, on an old incident:

        ```bash
        sudo netstat -tp | grep 42792
        ```
    """)
    assert [(s.action, s.title) for s in rb.steps] == [
        ("message", "Caution"), ("run", "systemctl restart api"), ("message", "Warning"),
        ("message", "For example, on an old incident")]
    assert rb.steps[0].text == "[!CAUTION]\nRestarting drops every open connection."
    assert rb.steps[1].dangerous and rb.steps[3].text == "sudo netstat -tp | grep 42792"


# --- one document, one runbook (16.4) and nothing lost (16.2) -------------------------


def test_a_document_is_one_runbook_its_sections_consecutive_steps_titled_by_section() -> None:
    (rb,) = loaded("""\
        ---
        title: KubePodCrashLooping
        severity: critical
        ---
        # KubePodCrashLooping
        ## Meaning
        The pod restarts again and again.

        | pod | restarts |
        |---|---|
        | api-1 | 12 |
        ## Diagnosis
        ```bash
        kubectl describe pod <pod>
        ```
        ## Mitigation
        1. Roll back the last deploy
    """, split=False)
    assert (rb.id, rb.title, rb.severity) == ("kube-pod-crash-looping", "KubePodCrashLooping", "P1")
    assert [(s.action, s.title) for s in rb.steps] == [
        ("message", "Meaning"), ("run", "Diagnosis"), ("manual", "Mitigation: Roll back the last deploy")]
    assert "The pod restarts again and again.\n\n| pod | restarts |" in (rb.steps[0].text or "")


@pytest.mark.parametrize(("front", "line", "severity"), [
    ("severity: P0", "", "P0"), ("severity: P4", "", "P3"), ("severity: warning", "", "P2"),
    ("", "**Severity:** high", "P1"), ("", "Severity: SEV1", "P0"), ("owner: x", "", None),
])
def test_severity_from_front_matter_or_a_severity_line(front: str, line: str, severity: str | None) -> None:
    (rb,) = books(f"---\n{front or 'owner: x'}\n---\n# Disk\n{line}\n\n1. Look\n", split=False)
    assert rb.severity == severity


def test_reference_style_links_are_resolved_where_they_are_used() -> None:
    (rb,) = loaded("""\
        # Defrag
        Defragment as described [here][defrag] and in the [FAQ].

        1. Run the defrag

        [defrag]: https://etcd.io/docs/maintenance/
        [faq]: https://etcd.io/faq
    """, split=False)
    assert rb.steps[0].text == ("Defragment as described here (https://etcd.io/docs/maintenance/) "
                                "and in the FAQ (https://etcd.io/faq).")


def test_a_session_opened_under_one_heading_is_typed_into_under_the_next() -> None:
    (rb,) = loaded("""\
        # etcd
        ## Connect
        ```bash
        oc rsh -n openshift-etcd etcd-0
        ```
        ## Check
        WARNING: the defrag blocks writes for a moment.
        ```bash
        etcdctl defrag
        ```
        ## Afterwards
        ```bash
        oc get pods -n openshift-etcd
        ```
    """, split=False)
    runs = [s for s in rb.steps if s.action == "run"]
    assert [(s.text, s.interactive) for s in runs] == [("oc rsh -n openshift-etcd etcd-0", True),
                                                       ("oc get pods -n openshift-etcd", False)]
    note = next(s for s in rb.steps if s.title.startswith("In the session: oc rsh"))
    assert "etcdctl defrag" in (note.text or "")
    assert any(s.action == "message" and "defrag blocks writes" in (s.text or "") for s in rb.steps)


def test_ids_stay_unique_across_the_files_of_one_import() -> None:
    taken: set[str] = set()
    first = import_markdown("# Disk full\n1. Look\n", "a.md", taken=taken)
    second = import_markdown("# Disk full\n1. Look again\n", "b.md", taken=taken)
    assert [rb.id for rb in first + second] == ["disk-full", "disk-full-2"]


def test_commented_out_commands_are_shown_not_left_in_the_command() -> None:
    (rb,) = loaded("# Fix\n```bash\n# Explain this\nkubectl -n $NS delete pod x\n"
                   "# kubectl -n \"${NS}\" delete pod y\n```\n", split=False)
    shown, run = rb.steps
    assert (shown.action, shown.text) == ("message", 'kubectl -n "${NS}" delete pod y')
    assert run.text == "# Explain this\nkubectl -n {{ ns }} delete pod x" and run.dangerous


def test_a_placeholder_where_no_value_is_safe_leaves_the_command_to_run_by_hand() -> None:
    (rb,) = loaded("# Wait\n```bash\nwhile [[ $LIVE -ge 45 ]]; do sleep 5; done\n```\n"
                   "```bash\nkubectl get pods -n <ns>\n```\n", split=False)
    by_hand, get = rb.steps
    assert by_hand.action == "manual" and "shell arithmetic" in (by_hand.text or "")
    assert "while [[ $LIVE -ge 45 ]]" in (by_hand.text or "")
    assert [i.name for i in rb.inputs] == ["ns"]  # the refused command's $LIVE is no input
    assert get.text == "kubectl get pods -n {{ ns }}"


@pytest.mark.parametrize(("md", "title"), [
    ("## Disable Chef runs on a VM\n\nWhy.\n\n### Disable\n\n```\nchef-client-disable\n```\n",
     "Disable Chef runs on a VM"),  # a lone top heading, even an H2, names the document
    ("Why we do this.\n\n## Steps\n\n```\nuptime\n```\n", "Playbook"),  # a section
    ("## Steps\n\n```\nuptime\n```\n", "Playbook"),  # a phase, not a title
    ("## Table of contents\n\n### Check\n\n```\nuptime\n```\n", "Playbook"),
    ("## Step 1: drain the node\n\n```\nkubectl drain n1\n```\n", "Playbook"),
    ("## 1. Drain the node\n\n```\nkubectl drain n1\n```\n", "Playbook"),
    ("## 500 errors on checkout\n\n```\nuptime\n```\n", "500 errors on checkout"),
    ("## Check\n\n```\nuptime\n```\n\n## Fix\n\n```\nreboot\n```\n", "Playbook"),
    ("---\ntitle: From front matter\n---\n## Check\n\n```\nuptime\n```\n",
     "From front matter"),
])
def test_the_title_of_a_document_is_its_lone_top_heading_else_its_file_name(md: str,
                                                                            title: str) -> None:
    (book,) = import_markdown(md, "playbook.md", "", split=False)
    assert book.title == title


def test_a_command_computing_with_a_variable_another_step_set_is_run_by_hand() -> None:
    """Unset in its own shell, COUNT would count as 0: --replicas=1, not one more."""
    (book,) = books("""\
        # Web

        ## Count

        ```
        COUNT=$(kubectl get deploy web -o jsonpath={.spec.replicas})
        ```

        ## Scale up

        ```
        kubectl scale deploy web --replicas=$((COUNT+1))
        ```

        ## Loop

        ```
        for i in 1 2; do echo $((i + 1)); done
        ```
        """, split=False)
    count, scale, loop = book.steps
    assert scale.action == "manual" and "it computes with COUNT" in scale.text
    assert "kubectl scale deploy web --replicas=$((COUNT+1))" in scale.text
    assert (count.action, loop.action) == ("run", "run")


@pytest.mark.parametrize("code", [
    "echo 'next: $((COUNT+1))'",  # quoted text
    "kubectl get pods   # then scale to $((COUNT+1))",  # a comment
    "# later: kubectl scale --replicas=$((COUNT+1))\nkubectl get deploy web",
    "kubectl get pods | awk '{print $((NF-1))}'",  # awk's own
    "if true; then N=3; fi; echo $((N+1))",  # set in the block, however
    "for f in *.log; do\n  n=0\n  n=$((n+1))\ndone",
    "echo $(( $(kubectl get pods -o jsonpath='{.items[?(@.status.phase==\"Running\")].metadata.name}'"
    " | wc -w) + 1 ))",  # a command inside, with parentheses of its own
    'echo $(( $(date +%s) - $(date -d "$(cat /tmp/t)" +%s) ))',
    "echo $(( X = 5, X + 1 ))",  # set inside the arithmetic
])
def test_arithmetic_on_names_of_its_own_or_in_text_still_runs(code: str) -> None:
    md = f"# T\n\n## Count\n\n```\nCOUNT=$(kubectl get deploy web)\n```\n\n## Do\n\n```\n{code}\n```\n"
    (book,) = import_markdown(md, "playbook.md", "", split=False)
    assert book.steps[1].action == "run", book.steps[1].text
