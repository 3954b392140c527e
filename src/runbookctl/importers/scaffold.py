"""`runbookctl new NAME`: a runbook to start from, every key explained in a comment."""

from __future__ import annotations

import re

from runbookctl.errors import UsageError
from runbookctl.importers.yaml_text import SCHEMA_FILE, SCHEMA_LINE, dq
from runbookctl.runbook.names import RESERVED_STEP_IDS
from runbookctl.runbook.schema import MAX_ID_LENGTH, id_problem

_TEMPLATE = """\
{schema_line}
# ^ Completion and checks in editors with the YAML language server (VS Code's
#   "YAML" extension, Neovim, ...). It names a file beside this one: write it
#   from this runbook's folder, again after upgrading runbookctl:
#       runbookctl schema > {schema_file}
#
# A runbook is a list of steps run in file order. Every step has an `id` and
# exactly one action: run (local shell), ssh (+ hosts), confirm, ask, manual,
# message or include. Commands, questions and messages are Jinja2 templates;
# every {{{{ value }}}} put into a command is quoted for where it lands, or refused
# where no quoting is safe (a comment, arithmetic, …: see the README).
# Check it (each problem as path:line:col), then see what would run:
#   runbookctl validate {path_hint}
#   runbookctl run {path_hint} --dry-run

{id_line}# lowercase slug; default: the file name
{title_line}# what this runbook is for, in one line (required)
severity: P2                      # P0 (worst) .. P3
summary: >
  When to use this runbook: the alert or symptom that leads here, and what
  "fixed" looks like.
tags: [example]                   # for `runbookctl list --tag example`
owners: [ops]                     # who keeps this runbook up to date

inputs:                           # asked at the start unless given with --var NAME=VALUE
  service_url:
    prompt: Base URL of the service
    default: http://localhost:8080
  max_error_rate:
    type: int                     # str (default), int, float, bool or choice (with choices:)
    default: 1
    help: error rate (percent) above which the service counts as unhealthy

secrets:                          # read from the environment, else asked hidden; masked everywhere
  API_TOKEN: {{env: API_TOKEN}}

steps:
  # A readonly diagnostic: safe to run at any time, also under --dry-run.
  - id: health                    # unique; answers files (--answers) are keyed by step id
    title: The service answers its health check
    readonly: true                # a diagnostic: it also runs under --dry-run
    run: curl -fsS --max-time 10 {{{{ service_url }}}}/health
    timeout: 30s                  # stop the command after this long (default 10m)
    capture: health_body          # its stdout (stripped) is now the variable health_body
    expect: "'ok' in result.stdout | lower"   # fails unless this holds (besides exit code 0)
    on_failure: continue          # ask (default): retry/skip/abort; continue; abort; or a step id

  # A change: asked before it runs, and only when the check above failed.
  - id: restart
    title: Restart the service
    when: steps.health.status != 'ok'           # skipped (and recorded so) when false
    confirm: Restart the service at {{{{ service_url }}}}?  # shown with the rendered command
    run: >-
      curl -fsS -X POST -H "Authorization: Bearer {{{{ API_TOKEN }}}}"
      {{{{ service_url }}}}/admin/restart
    timeout: 2m
    retries: 1                    # run it once more if it fails...
    retry_delay: 10s              # ...after this pause
    # dangerous: true             # the operator must type the step id; --yes never answers it

  # Something only a person can check: answered done, skipped (with a reason) or failed.
  - id: dashboards
    title: Error rate back to normal
    manual: >
      Open the error dashboard and check that the error rate has stayed under
      {{{{ max_error_rate }}}}% for 10 minutes.

  # Text shown and recorded verbatim in the report (or a template file under
  # templates/, e.g. `message: comms/status-resolved.md.j2`).
  - id: status-update
    title: Status page update
    message: |
      Resolved: the service at {{{{ service_url }}}} is healthy again.
      Next update only if something changes. ({{{{ run.operator }}}})

  # The post-incident review: these answers fill the report's review section.
  # (Or replace the five steps with `- id: review` + `include: post-incident`.)
  - id: root-cause
    ask: What was the root cause (the technical explanation, not the symptom)?
  - id: impact
    ask: What was the impact (who was affected, which functionality, for how long)?
  - id: resolution
    ask: What was done to resolve it?
  - id: prevention
    ask: What will prevent it from happening again?
  - id: action-items
    ask: Action items as "owner - action - due date", separated by semicolons (or "none")
"""


def check_name(name: str) -> str:
    """NAME without a .yaml suffix, checked to be a runbook id."""
    stem = re.sub(r"\.ya?ml$", "", name)
    why = id_problem(stem) or (f"'{stem}' is a reserved word" if stem in RESERVED_STEP_IDS else None)
    if why is not None:
        raise UsageError(f"NAME must be a slug of at most {MAX_ID_LENGTH} characters; got "
                         f"{name!r}: {why}")
    return stem


def scaffold_text(name: str, path_hint: str | None = None) -> str:
    """The scaffold of runbook `name` (a valid runbook)."""
    title = name.replace("-", " ").replace("_", " ").capitalize()
    # comments line up at column 35, as in the rest of the file
    return _TEMPLATE.format(schema_line=SCHEMA_LINE, schema_file=SCHEMA_FILE,
                            id_line=f"id: {name} ".ljust(34), title_line=f"title: {dq(title)} ".ljust(34),
                            path_hint=path_hint or f"runbooks/{name}.yaml")
