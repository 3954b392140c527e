"""YAML runbook file -> frozen Runbook, reporting every structural problem of
the file at once (ValidationError), each with file:line:col, key path and the
offending line. Semantic checks across steps live in validate.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from runbookctl.durations import parse_duration
from runbookctl.errors import Problem, ValidationError
from runbookctl.positions import Pos
from runbookctl.runbook.model import ACTIONS, SEVERITIES, Runbook, Step
from runbookctl.runbook.names import RESERVED_STEP_IDS
from runbookctl.runbook.notify import Webhook, read_webhooks
from runbookctl.runbook.readers import (
    Bad,
    Ctx,
    as_bool,
    as_confirm,
    as_duration,
    as_expr,
    as_ident,
    as_int,
    as_positive_duration,
    as_text,
    kind,
    read_env,
    read_host_groups,
    read_hosts,
    read_inputs,
    read_next,
    read_secrets,
    read_spec,
)
from runbookctl.runbook.reminders import read_reminders
from runbookctl.runbook.schema import (
    ANSWER_TYPES,
    APPROVAL_REQUIRED,
    COMMANDS,
    MILESTONES,
    REPORT_FIELDS,
    STEP_KEYS,
    TOP_KEYS,
    TOP_REQUIRED,
    id_problem,
)
from runbookctl.runbook.yaml_positions import YNode, parse_yaml, problem, read_source

__all__ = ["load_runbook", "load_runbook_text", "parse_duration", "parse_source"]


def _as_webhooks(value: object) -> tuple[Webhook, ...]:
    try:
        return read_webhooks(value)
    except ValueError as exc:
        raise Bad(str(exc)) from None


def _one_of(choices: tuple[str, ...]) -> Callable[[object], str]:
    def convert(value: object) -> str:
        text = as_text(value)
        if text not in choices:
            raise Bad(f"expected one of {', '.join(choices)}, got {text!r}")
        return text

    return convert


# Modifier key -> (Step field, reader). The other step keys need more than one value.
SIMPLE_KEYS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "title": ("title", as_text),
    "dangerous": ("dangerous", as_bool),
    "when": ("when", as_expr),
    "timeout": ("timeout", as_positive_duration),
    "at": ("start_at", as_duration),
    "wait": ("wait", as_positive_duration),
    "retries": ("retries", as_int(0)),
    "retry_delay": ("retry_delay", as_duration),
    "until": ("until", as_expr),
    "every": ("every", as_positive_duration),
    "within": ("within", as_positive_duration),
    "capture": ("capture", as_ident),
    "expect": ("expect", as_expr),
    "on_failure": ("on_failure", as_text),
    "on_no": ("on_no", as_text),
    "cwd": ("cwd", as_text),
    "shell": ("shell", as_text),
    "errexit": ("errexit", as_bool),
    "sudo": ("sudo", as_bool),
    "parallel": ("parallel", as_int(1)),
    "readonly": ("readonly", as_bool),
    "interactive": ("interactive", as_bool),
    "milestone": ("milestone", _one_of(MILESTONES)),
    "post": ("post", as_text),
    "approval": ("approval", lambda value: bool(_one_of((APPROVAL_REQUIRED,))(value))),
    "approval_timeout": ("approval_timeout", as_positive_duration),
    "on_approval_timeout": ("on_approval_timeout", as_text),
    "report": ("report", _one_of(REPORT_FIELDS)),
}
# Read by their own functions: the actions, id, confirm, next, env, hosts and an ask's answer keys.
SPECIAL_KEYS = frozenset({*ACTIONS, "id", "next", "env", "hosts", "var", "type", "choices",
                          "default", "pattern"})
_ANSWER_KEYS = ("type", "choices", "default", "pattern")


def load_runbook(path: Path) -> Runbook:
    """Read and build a runbook; ValidationError carries every problem found."""
    raw, text = read_source(path, "runbook")
    return load_runbook_text(text, str(path), hashlib.sha256(raw).hexdigest())


def load_runbook_text(text: str, path: str, sha256: str = "") -> Runbook:
    """Build a runbook from its source text; `path` names it in problems (and gives the id)."""
    root = parse_source(text, path)
    ctx = Ctx(text, path)
    if not root.is_map:
        ctx.err(root.pos, f"a runbook is a map of keys (title, steps, ...), got {kind(root.value)}")
        raise ValidationError(ctx.problems)
    rb = _runbook(ctx, root, sha256)
    if rb is None and not ctx.problems:  # cannot happen: every None comes with a problem
        ctx.err(root.pos, "the runbook could not be read")
    if ctx.problems or rb is None:
        raise ValidationError(sorted(ctx.problems, key=lambda p: (p.pos.line, p.pos.col)))
    return rb


def parse_source(text: str, path: str) -> YNode:
    """parse_yaml, with the YAML oddities it lets through turned into problems too."""
    import yaml

    try:
        return parse_yaml(text, path)
    except RecursionError:  # an alias that contains itself (`&a [*a]`)
        msg = "the YAML refers to itself through an alias (&anchor / *alias) or nests too deep"
        raise ValidationError([Problem(Pos(path, 1, 1), msg)]) from None
    except yaml.MarkedYAMLError as exc:  # e.g. an unknown !tag on a key, a bad merge key
        mark = exc.problem_mark or exc.context_mark
        pos = Pos(path, mark.line + 1, mark.column + 1) if mark else Pos(path, 1, 1)
        msg = f"YAML error: {exc.problem or exc.context}"
        raise ValidationError([problem(text, pos, msg)]) from None


def _runbook(ctx: Ctx, root: YNode, sha256: str) -> Runbook | None:
    ctx.unknown_keys(root, TOP_KEYS, "")
    keys: dict[str, YNode] = root.value
    some = _present(keys)
    for key in TOP_REQUIRED:
        if key not in keys:
            ctx.err(root.pos, f"missing required key '{key}'", key)
        elif key not in some:
            ctx.err(keys[key].pos, f"{key}: no value given", key)
    title = _opt(ctx, keys, "title", as_text)
    if title is not None and not title.strip():
        ctx.err(keys["title"].pos, "title: must not be empty", "title")
    steps = _steps(ctx, keys["steps"]) if "steps" in some else ()
    rb = Runbook(
        id=_runbook_id(ctx, keys, Path(ctx.path).stem),
        title=title or "",
        steps=steps,
        path=ctx.path,
        sha256=sha256,
        severity=_opt(ctx, keys, "severity", _as_severity),
        summary=_opt(ctx, keys, "summary", as_text),
        tags=_opt(ctx, keys, "tags", _as_strings) or (),
        owners=_opt(ctx, keys, "owners", _as_strings) or (),
        inputs=read_inputs(ctx, keys["inputs"]) if "inputs" in some else (),
        secrets=read_secrets(ctx, keys["secrets"]) if "secrets" in some else (),
        hosts=read_host_groups(ctx, keys["hosts"]) if "hosts" in some else {},
        reminders=read_reminders(ctx, keys["remind"]) if "remind" in keys else (),
        approval_timeout=_opt(ctx, keys, "approval_timeout", as_positive_duration),
        notify=_opt(ctx, keys, "notify", _as_webhooks) or (),
        pos=root.pos,
    )
    _check_names_unique(ctx, rb)
    return rb if title is not None and steps else None


def _present(keys: dict[str, YNode]) -> set[str]:
    """Keys with a value: an empty `inputs:` means no inputs, not an error."""
    return {k for k, v in keys.items() if v.value is not None}


def _opt(ctx: Ctx, keys: dict[str, YNode], key: str, reader: Callable[[object], Any]) -> Any:
    return ctx.read(keys[key], reader, key) if key in keys and keys[key].value is not None else None


def _runbook_id(ctx: Ctx, keys: dict[str, YNode], stem: str) -> str:
    if "id" not in keys:
        why = id_problem(stem)
        if why is not None:  # the id would name run folders and reports: same rule as `id:`
            ctx.err(Pos(ctx.path, 1, 1), f"the file name gives the runbook id {stem!r}, which is "
                    f"not a valid id: {why}; rename the file or add `id:`")
        return stem
    value = ctx.read(keys["id"], as_text, "id")
    why = None if value is None else id_problem(value)
    if why is not None:
        ctx.err(keys["id"].pos, f"id: {value!r} is not a valid id: {why}", "id")
    return value or stem


def _as_severity(value: object) -> str:
    text = as_text(value)
    if text not in SEVERITIES:
        raise Bad(f"{text!r} is not one of {', '.join(SEVERITIES)}")
    return text


def _as_strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise Bad(f"expected a list of text, got {kind(value)}")
    return tuple(as_text(v) for v in value)


def _check_names_unique(ctx: Ctx, rb: Runbook) -> None:
    inputs = {spec.name for spec in rb.inputs}
    for secret in rb.secrets:
        if secret.name in inputs:
            ctx.err(secret.pos, f"'{secret.name}' is both an input and a secret",
                    f"secrets.{secret.name}")


# --- steps -------------------------------------------------------------------


def _steps(ctx: Ctx, node: YNode) -> tuple[Step, ...]:
    if not node.is_seq:
        ctx.err(node.pos, f"steps: expected a list of steps, got {kind(node.value)}", "steps")
        return ()
    if not node.value:
        ctx.err(node.pos, "steps: the list is empty; a runbook needs at least one step", "steps")
        return ()
    steps = [_step(ctx, item, f"steps[{i}]") for i, item in enumerate(node.value)]
    return tuple(s for s in steps if s is not None)


def _step(ctx: Ctx, node: YNode, kp: str) -> Step | None:
    if not node.is_map:
        ctx.err(node.pos, f"a step is a map with an `id` and one action "
                f"({', '.join(ACTIONS)}), got {kind(node.value)}", kp)
        return None
    ctx.unknown_keys(node, STEP_KEYS, kp)
    keys: dict[str, YNode] = node.value
    action = _action(ctx, node, kp)
    step_id = _step_id(ctx, node, kp)
    fields = _modifiers(ctx, node, action, kp)
    if action is None or step_id is None:
        return None
    text = ctx.read(keys[action], _action_text(action), f"{kp}.{action}")
    if text is None:
        return None
    fields.update(_action_fields(ctx, node, action, step_id, text, kp))
    value_pos = {k: v.pos for k, v in keys.items()} | fields.pop("value_pos", {})
    step = Step(id=step_id, action=action, text=text, pos=node.pos,  # type: ignore[arg-type]
                key_pos=dict(node.key_pos), value_pos=value_pos, **fields)
    _cross_checks(ctx, node, step, kp)
    return step


def _action(ctx: Ctx, node: YNode, kp: str) -> str | None:
    keys: dict[str, YNode] = node.value
    present = [a for a in ACTIONS if a in keys]
    if "confirm" in present and any(a in present for a in COMMANDS):
        present.remove("confirm")  # confirm on run/ssh is the confirm modifier
    if not present:
        ctx.err(node.pos, f"step has no action (one of: {', '.join(ACTIONS)})", kp)
        return None
    if len(present) > 1:
        second = sorted(present, key=lambda a: (node.key_pos[a].line, node.key_pos[a].col))[1]
        names = " and ".join(present) if len(present) == 2 else ", ".join(present)
        ctx.err(node.key_pos[second], f"step has {len(present)} actions: {names}; a step does "
                f"one thing (split it into steps)", f"{kp}.{second}")
        return None
    return present[0]


def _step_id(ctx: Ctx, node: YNode, kp: str) -> str | None:
    keys: dict[str, YNode] = node.value
    if "id" not in keys:
        ctx.err(node.pos, "step has no `id` (a unique lowercase slug, e.g. check-disk)", kp)
        return None
    value: str | None = ctx.read(keys["id"], as_text, f"{kp}.id")
    if value is None:
        return None
    why = id_problem(value)
    if why is not None:
        ctx.err(keys["id"].pos, f"bad step id {value!r}: {why}", f"{kp}.id")
        return None
    if value in RESERVED_STEP_IDS:
        ctx.err(keys["id"].pos, f"step id '{value}' is a reserved word "
                f"({', '.join(RESERVED_STEP_IDS)}); choose another", f"{kp}.id")
        return None
    return value


def _modifiers(ctx: Ctx, node: YNode, action: str | None, kp: str) -> dict[str, Any]:
    """The Step fields of the simple modifier keys, after checking they apply to `action`."""
    out: dict[str, Any] = {}
    for key, child in node.value.items():
        if key not in STEP_KEYS or key == action or key == "id":
            continue
        if action is not None and action not in STEP_KEYS[key].actions:
            where = ", ".join(STEP_KEYS[key].actions)
            ctx.err(node.key_pos[key], f"`{key}` does not apply to a {action} step "
                    f"(only to: {where})", f"{kp}.{key}")
            continue
        if key in SIMPLE_KEYS:
            name, reader = SIMPLE_KEYS[key]
            value = ctx.read(child, reader, f"{kp}.{key}")
            if value is not None:
                out[name] = value
    return out


def _action_fields(ctx: Ctx, node: YNode, action: str, step_id: str, text: str,
                   kp: str) -> dict[str, Any]:
    """The fields read from keys with structure: confirm, next, env, hosts, ask answer."""
    keys: dict[str, YNode] = node.value
    out: dict[str, Any] = {}
    value_pos: dict[str, Pos] = {}
    if action in COMMANDS and "confirm" in keys:
        out["confirm"] = ctx.read(keys["confirm"], as_confirm, f"{kp}.confirm")
    if action in COMMANDS and keys.get("dangerous", YNode(False, node.pos)).value is True:
        # `dangerous: true` implies a confirmation (a typed one): a dangerous command
        # is never run without asking, whether or not the author wrote `confirm:`.
        out["confirm"] = out.get("confirm") or ""
    if "next" in keys:
        out["next"] = read_next(ctx, keys["next"], f"{kp}.next", value_pos)
    if "env" in keys and action in COMMANDS:
        out["env"] = read_env(ctx, keys["env"], f"{kp}.env", value_pos)
    if "hosts" in keys and action == "ssh":
        out["hosts"] = read_hosts(ctx, keys["hosts"], f"{kp}.hosts") or ()
    if action == "ask":
        var = _answer_var(ctx, node, step_id, kp)
        answer_nodes = {k: keys[k] for k in _ANSWER_KEYS if k in keys}
        if var is not None:
            out["var"] = var
            spec = read_spec(ctx, var, answer_nodes, node.pos, kp, ANSWER_TYPES)
            out["answer"] = replace(spec, prompt=text)
    out["value_pos"] = value_pos
    return out


def _answer_var(ctx: Ctx, node: YNode, step_id: str, kp: str) -> str | None:
    """The variable an ask step's answer lands in: `var:`, else the id with - as _."""
    keys: dict[str, YNode] = node.value
    if "var" in keys:
        value: str | None = ctx.read(keys["var"], as_ident, f"{kp}.var")
        return value
    var = step_id.replace("-", "_")
    try:
        return as_ident(var)
    except Bad as exc:
        ctx.err(keys["id"].pos, f"the answer would be stored in {exc}; add `var: NAME`",
                f"{kp}.id")
        return None


def _action_text(action: str) -> Callable[[object], str]:
    def read(value: object) -> str:
        if action == "confirm" and isinstance(value, bool):
            raise Bad("a confirm step needs a question, e.g. `confirm: Restart the service?`")
        text = as_text(value)
        if not text.strip():
            raise Bad("must not be empty")
        return text

    return read


def _cross_checks(ctx: Ctx, node: YNode, step: Step, kp: str) -> None:
    """Rules that tie keys together."""
    keys: dict[str, YNode] = node.value
    for key in ("every", "within"):
        if key in keys and "until" not in keys and step.is_command:
            ctx.err(node.key_pos[key], f"`{key}` only makes sense with `until` (polling)",
                    f"{kp}.{key}")
    asks = step.action == "confirm" or step.confirm is not None
    if "on_no" in keys and step.is_command and not asks and not step.approval:
        ctx.err(node.key_pos["on_no"], "`on_no` needs a confirmation: add `confirm:` to the step",
                f"{kp}.on_no")
    for key in ("approval_timeout", "on_approval_timeout"):  # `approvals: dangerous` too
        if key in keys and not (step.approval or step.dangerous):
            ctx.err(node.key_pos[key], f"`{key}` needs an approval: add `approval: required` "
                    "to the step", f"{kp}.{key}")
    if step.interactive:
        for key in ("capture", "until"):  # a session's screen is not a value to test or keep
            if key in keys:
                ctx.err(node.key_pos[key], f"`{key}` does not go with `interactive: true` (a "
                        f"session's screen is not a value; its exit code decides the step)",
                        f"{kp}.{key}")
    if step.action == "ssh" and "hosts" not in keys:
        ctx.err(node.key_pos["ssh"], "an ssh step needs `hosts:` (a group name or a list of hosts)",
                f"{kp}.ssh")
