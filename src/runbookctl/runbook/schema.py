"""The runbook format's keys, in one place: the loader's key tables and the
JSON Schema (`runbookctl schema`) are both built from the definitions here.

Kept free of yaml/jinja2 imports: the loader and the CLI import it cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runbookctl.durations import DURATION_RE
from runbookctl.runbook.model import ACTIONS, SEVERITIES
from runbookctl.runbook.names import RESERVED_STEP_IDS, template_suffixes_text

# Patterns shared by the loader and the schema.
STEP_ID_RE = r"^[a-z0-9][a-z0-9_-]*$"
# Ids name files and folders (run ids, reports, logs): this bound keeps a run id far
# below the 255-byte file-name limit (a 240-character id failed with ENAMETOOLONG).
MAX_ID_LENGTH = 64
IDENT_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"
# `30s`, `5m`, `1h30m`, `500ms`, `1.5h`, `7d`, or a bare number of seconds.
INPUT_TYPES: tuple[str, ...] = ("str", "int", "float", "bool", "choice")
# An ask may also collect a list of action items (each: action, owner, due, ticket).
ACTION_ITEMS_TYPE = "action_items"
ANSWER_TYPES: tuple[str, ...] = (*INPUT_TYPES, ACTION_ITEMS_TYPE)
# The report front page's review fields an ask's answer can fill (`report:`).
REPORT_FIELDS: tuple[str, ...] = ("impact", "trigger", "root-cause", "resolution", "detection",
                                  "went-well", "went-badly", "action-items")
COMMANDS: tuple[str, ...] = ("run", "ssh")
ALL: tuple[str, ...] = ACTIONS
# Steps that can be asked "are you sure?" (so `on_no` has a meaning there).
CONFIRMABLE: tuple[str, ...] = ("confirm", "run", "ssh")
ON_FAILURE_WORDS: tuple[str, ...] = ("ask", "continue", "abort")
ON_NO_WORDS: tuple[str, ...] = ("skip", "abort")
APPROVAL_REQUIRED = "required"


def id_problem(value: str) -> str | None:
    """Why `value` cannot be a runbook or step id (None if it can): the one rule for ids
    written in `id:` and ids taken from file names."""
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long; an id has at most {MAX_ID_LENGTH}"
    if not re.fullmatch(STEP_ID_RE, value):
        slug = re.sub(r"[^a-z0-9_-]+", "-", value.lower()).strip("-_")[:MAX_ID_LENGTH] or "check-disk"
        return f"use lowercase letters, digits, - and _ (e.g. '{slug}')"
    return None


@dataclass(frozen=True)
class Key:
    """One key of the format: its JSON Schema, what it means, where it applies."""

    schema: Mapping[str, Any]
    description: str
    actions: tuple[str, ...] = ALL  # step keys: the actions the key makes sense for


_STR: Mapping[str, Any] = {"type": "string"}
_BOOL: Mapping[str, Any] = {"type": "boolean"}
_STRS: Mapping[str, Any] = {"type": "array", "items": {"type": "string"}}
_EXPR: Mapping[str, Any] = {"type": ["string", "boolean", "number"]}
_IDENT: Mapping[str, Any] = {"type": "string", "pattern": IDENT_RE}
_STEP_ID: Mapping[str, Any] = {"type": "string", "pattern": STEP_ID_RE, "maxLength": MAX_ID_LENGTH}
# A step's own id: the flow words are not ids (names.RESERVED_STEP_IDS, as the loader says).
_OWN_STEP_ID: Mapping[str, Any] = {**_STEP_ID, "not": {"enum": list(RESERVED_STEP_IDS)}}
_DURATION: Mapping[str, Any] = {
    "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DURATION_RE}]
}
_SCALAR: Mapping[str, Any] = {"type": ["string", "number", "boolean"]}
_HOSTS: Mapping[str, Any] = {"anyOf": [_STR, _STRS]}

TOP_KEYS: dict[str, Key] = {
    "id": Key(_STEP_ID, "The runbook id (lowercase slug); default: the file name without .yaml."),
    "title": Key(_STR, "What the runbook is for, in one line. Required."),
    "severity": Key({"enum": list(SEVERITIES)}, "Incident severity, P0 (worst) to P3."),
    "summary": Key(_STR, "A short description: symptoms and when to use this runbook."),
    "tags": Key(_STRS, "Labels for `runbookctl list --tag`."),
    "owners": Key(_STRS, "The people or teams who maintain the runbook."),
    "inputs": Key({}, "Values asked at start unless given by --var / --vars-file."),
    "secrets": Key({}, "Secret values, read from the environment or asked hidden; masked everywhere."),
    "hosts": Key({}, "SSH host groups: group name -> list of `user@host:port` or ~/.ssh/config names."),
    "approval_timeout": Key(_DURATION, "How long a step waits for its approval (two-person rule) "
                            "unless it says `approval_timeout:` itself; default: no limit."),
    "notify": Key({"type": "array", "items": {
        "type": "object", "required": ["name", "url"], "additionalProperties": False,
        "properties": {"name": _STR, "url": _STR, "format": {"enum": ["slack", "json"]},
                       "on": {"type": "array", "items": {"enum": [
                           "run_started", "step_failed", "approval_needed", "reminder",
                           "run_finished"]}}}}},
                  "Webhooks this runbook's runs notify (besides the config's): a list of {name, "
                  "url, format: slack|json, on: [events]}; a URL may be \"{{ secrets.NAME }}\" "
                  "or \"${ENV_VAR}\"."),
    "remind": Key({}, "Reminders shown (and journaled) between steps: a list of {every: DURATION, "
                  "message: TEXT}, due every DURATION of the run, counted from its start."),
    "steps": Key({}, "The steps, run in file order unless next/on_failure/on_no jump. Required."),
}
TOP_REQUIRED: tuple[str, ...] = ("title", "steps")

INPUT_KEYS: dict[str, Key] = {
    "prompt": Key(_STR, "The question shown when the value is asked."),
    "type": Key({"enum": list(INPUT_TYPES)},
                "The value's type; default str (choice when `choices` is given)."),
    "choices": Key({"type": "array", "items": _SCALAR, "minItems": 1}, "The allowed values (type choice)."),
    "default": Key({}, "The value used when none is given; must fit type, choices and pattern."),
    "required": Key(_BOOL, "Whether a value must be given (default true)."),
    "pattern": Key({"type": "string", "format": "regex"}, "A regular expression the whole value must match."),
    "secret": Key(_BOOL, "Mask the value everywhere (journal, report, terminal)."),
    "help": Key(_STR, "A longer explanation shown with the prompt."),
}

REMIND_KEYS: dict[str, Key] = {
    "every": Key(_DURATION, "How often the reminder is due (e.g. 30m), counted from the run's start. "
                 "Required."),
    "message": Key(_STR, "What the operator is reminded of (e.g. Post a status update). Required."),
}

SECRET_KEYS: dict[str, Key] = {
    "env": Key(_STR, "The environment variable holding the secret (default: the secret's name)."),
    "prompt": Key(_STR, "The question shown when the secret is asked (hidden input)."),
}

BRANCH_KEYS: dict[str, Key] = {
    "if": Key(_EXPR, "A Jinja2 expression (no braces); `result` is the step's outcome. "
              "Only the last entry may omit it."),
    "goto": Key(_STR, "The step id to go to, or `end`."),
}

# The milestones a step may mark (`milestone:`), in the order an incident reaches them.
MILESTONES = ("acknowledged", "mitigated", "resolved")

_ANSWER = ("ask",)
_CMD = COMMANDS
STEP_ACTIONS: dict[str, Key] = {
    "run": Key(_STR, "A local shell command (a Jinja2 template; every value quoted for where it lands, "
                       "or refused)."),
    "ssh": Key(_STR, "A remote command run on each of `hosts`, in parallel."),
    "confirm": Key({"anyOf": [_STR, _BOOL]},
                   "Alone: a yes/no gate (the question). On run/ssh: ask before executing "
                   "(true for the default question, or the question itself).",
                   ("confirm", *COMMANDS)),
    "ask": Key(_STR, "A question; the answer is stored in `var`."),
    "manual": Key(_STR, "An instruction for a person, answered done, skipped (with a reason) or failed."),
    "message": Key(_STR, f"A template file under templates/ (one word ending {template_suffixes_text()}) "
                   "or inline text; rendered, shown and recorded verbatim."),
    "include": Key(_STR, "The id of another runbook whose steps run here (as RUNBOOK/step)."),
}

STEP_MODIFIERS: dict[str, Key] = {
    "id": Key(_OWN_STEP_ID, "The step's unique id (lowercase slug, not "
              f"{', '.join(RESERVED_STEP_IDS)}). Required."),
    "title": Key(_STR, "A human title for the step."),
    "dangerous": Key(_BOOL, "The confirmation must be typed (the step id); --yes does not answer it. "
                     "On run/ssh it implies a confirmation.", ("confirm", *_CMD)),
    "when": Key(_EXPR, "Skip the step (recorded as skipped) when this expression is false."),
    "timeout": Key(_DURATION, "Kill the command after this long (e.g. 30s, 5m, 1h); default 10m.", _CMD),
    "at": Key(_DURATION, "Do not start the step before this long after the run's start (e.g. 2h: a "
              "checkpoint at T+2h); a resumed run keeps the first start's clock."),
    "wait": Key(_DURATION, "Wait this long before the step starts (e.g. 15m); a run resumed while "
                "waiting waits only for what was left."),
    "retries": Key({"type": "integer", "minimum": 0}, "Re-run a failed command up to N times.", _CMD),
    "retry_delay": Key(_DURATION, "Wait between retries.", _CMD),
    "until": Key(_EXPR, "Poll: repeat the command until this expression holds.", _CMD),
    "every": Key(_DURATION, "Poll interval (with `until`).", _CMD),
    "within": Key(_DURATION, "Give up polling after this long (with `until`).", _CMD),
    "capture": Key(_IDENT, "Store the command's stripped stdout in this variable.", _CMD),
    "expect": Key(_EXPR, "The command fails unless this expression holds (default: exit code 0).", _CMD),
    "on_failure": Key(_STR, "ask (default), continue, abort, or a step id to go to.",
                      (*_CMD, "manual", "message")),
    "on_no": Key(_STR, "After a 'no' (or a rejected approval): a step id, skip, or abort (default).",
                 CONFIRMABLE),
    "approval": Key({"enum": [APPROVAL_REQUIRED]}, "`required`: a second person (not the operator) "
                    "approves the step before it runs (`runbookctl approve`, or the run's web "
                    "page); a rejection follows `on_no`.", CONFIRMABLE),
    "approval_timeout": Key(_DURATION, "Give up waiting for the approval after this long (default: "
                            "the runbook's `approval_timeout`, else no limit).", CONFIRMABLE),
    "on_approval_timeout": Key(_STR, "When the approval times out: abort (default), skip, or the "
                               "id of a step to escalate to (e.g. page-oncall).", CONFIRMABLE),
    "next": Key({"anyOf": [_STR, {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/branch"}}]},
                "A step id, `end`, or a list of {if: EXPR, goto: ID} (last may omit `if`)."),
    "env": Key({"type": "object", "additionalProperties": {"type": ["string", "number"]}},
               "Environment variables for the command (values are templates).", _CMD),
    "cwd": Key(_STR, "The working folder of the command.", _CMD),
    "shell": Key(_STR, "The shell that runs the command (default /bin/sh).", _CMD),
    "errexit": Key(_BOOL, "A multi-line command stops at its first failing line (set -e; with bash, "
                   "zsh or ksh also -o pipefail). false: every line runs, as written.", _CMD),
    "sudo": Key(_BOOL, "Run the remote command with sudo.", ("ssh",)),
    "parallel": Key({"type": "integer", "minimum": 1}, "At most N hosts at once (default 10).", ("ssh",)),
    "readonly": Key(_BOOL, "A diagnostic that also runs under --dry-run.", _CMD),
    "interactive": Key(_BOOL, "Hand the operator's terminal to the command (a real pseudo-terminal; "
                       "ssh: one host); the session is recorded as an asciinema .cast file.", _CMD),
    "post": Key(_STR, "Also send the rendered message to this webhook (a `notify:` name of the "
                "runbook or the config), e.g. the channel or the status page.", ("message",)),
    "milestone": Key({"enum": list(MILESTONES)},
                     "The incident reached this milestone when the step ends ok (acknowledged, "
                     "mitigated or resolved): the report's key times and time to each."),
    "hosts": Key(_HOSTS, "A host group name, or a list of groups and hosts.", ("ssh",)),
    "var": Key(_IDENT, "The variable the answer is stored in (default: the id with - as _).", _ANSWER),
    "type": Key({"enum": list(ANSWER_TYPES)},
                "The answer's type, as for inputs, or action_items: a list of action items "
                "(action, owner, due, ticket).", _ANSWER),
    "report": Key({"enum": list(REPORT_FIELDS)},
                  "The report front-page field the answer fills (impact, trigger, root-cause, "
                  "resolution, detection, went-well, went-badly, action-items).", _ANSWER),
    "choices": Key({"type": "array", "items": _SCALAR, "minItems": 1}, "The allowed answers.", _ANSWER),
    "default": Key({}, "The suggested answer (never taken silently in non-interactive runs).", _ANSWER),
    "pattern": Key({"type": "string", "format": "regex"}, "A regular expression the answer must match.",
                   _ANSWER),
}

STEP_KEYS: dict[str, Key] = {**STEP_ACTIONS, **STEP_MODIFIERS}


def _props(keys: Mapping[str, Key]) -> dict[str, Any]:
    return {name: {**k.schema, "description": k.description} for name, k in keys.items()}


def _object(keys: Mapping[str, Key], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": _props(keys),
                           "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


def _action_rule(action: str) -> dict[str, Any]:
    """A step whose action is `action`: no other action, no key that does not apply."""
    forbidden = [k for k, key in STEP_KEYS.items() if action not in key.actions and k != action]
    others = [a for a in STEP_ACTIONS if a != action and not (action in COMMANDS and a == "confirm")]
    banned = sorted(set(forbidden) | set(others))
    rule: dict[str, Any] = {"required": [action, *(["hosts"] if action == "ssh" else [])],
                            "not": {"anyOf": [{"required": [k]} for k in banned]}}
    if action == "confirm":
        rule["properties"] = {"confirm": _STR}
    return rule


def _input_schema() -> dict[str, Any]:
    return {"anyOf": [_object(INPUT_KEYS), _SCALAR, {"type": "null"}],
            "description": "An input: a map of its settings, or just its default value."}


def runbook_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a runbook file."""
    top = _props(TOP_KEYS)
    top["inputs"] |= {"type": "object", "propertyNames": {"pattern": IDENT_RE},
                      "additionalProperties": {"$ref": "#/$defs/input"}}
    top["secrets"] |= {"type": "object", "propertyNames": {"pattern": IDENT_RE},
                       "additionalProperties": {"anyOf": [_object(SECRET_KEYS), _STR, {"type": "null"}]}}
    top["hosts"] |= {"type": "object", "additionalProperties": _HOSTS}
    top["remind"] |= {"type": "array", "minItems": 1, "items": _object(REMIND_KEYS, ("every", "message"))}
    top["steps"] |= {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/step"}}
    step = _object(STEP_KEYS, ("id",))
    step["oneOf"] = [_action_rule(a) for a in ACTIONS]
    step["description"] = "A step: an id, exactly one action (" + ", ".join(ACTIONS) + "), modifiers."
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "runbookctl runbook",
        "description": "An executable runbook: a YAML step graph of shell, SSH and human steps.",
        "type": "object",
        "properties": top,
        "required": list(TOP_REQUIRED),
        "additionalProperties": False,
        "$defs": {
            "step": step,
            "branch": _object(BRANCH_KEYS, ("goto",)),
            "input": _input_schema(),
        },
    }
