"""What `serve` shows of a run, as plain data: the JSON of the API and what the pages
render. Every string here comes from the journal (masked when it was written) or a
log (masked as it was written); each one also has its escape sequences made
visible (`safety/masking.py:sanitize_terminal`), so neither a page nor a tool that
prints the API's JSON on a terminal can be driven by what a command printed.
HTML escaping is the pages' (jinja2 autoescape, textContent in the browser).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.outcomes import RunStatus, StepStatus

if TYPE_CHECKING:
    from runbookctl.record.journal import Event
    from runbookctl.record.run_state import RunState, StepRecord


def inert(value: Any) -> Any:
    """`value` with every string's escape sequences and control characters made visible."""
    from runbookctl.safety.masking import sanitize_terminal

    if isinstance(value, str):
        return sanitize_terminal(value)
    if isinstance(value, dict):
        return {inert(str(k)): inert(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [inert(v) for v in value]
    return value


def event_json(event: Event) -> dict[str, Any]:
    """One journal event as the API streams it: the journal's fields, strings inert."""
    return dict(inert(event.to_dict()))


def current_step(state: RunState) -> StepRecord | None:
    """The step a running run is in: the latest one with no end yet."""
    if state.status != RunStatus.RUNNING:
        return None
    for key, _ in reversed(state.path):
        rec = state.steps.get(key)
        if rec is not None and rec.status == StepStatus.RUNNING:
            return rec
    return None


def elapsed(state: RunState, now: datetime | None = None) -> float:
    """Seconds since the start for a running run; its duration once ended."""
    from runbookctl.record.run_state import seconds_between

    if state.status != RunStatus.RUNNING:
        return round(state.duration, 1)
    moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return round(seconds_between(state.started, moment), 1)


def run_row(state: RunState) -> dict[str, Any]:
    """A run in the list: `runs --json`'s row, its title, current step and elapsed time."""
    from runbookctl.record.run_state import summary

    step = current_step(state)
    return dict(inert({**summary(state), "title": state.title, "severity": state.severity,
                       "current_step": {"key": step.key, "title": step.title} if step else None,
                       "elapsed": elapsed(state), "events": state.events}))


def run_detail(state: RunState, report: str | None) -> dict[str, Any]:
    """One run: its row, steps (with each command's output tail), timeline, answers,
    notes, inputs, Mermaid path and, once ended, its report (Markdown)."""
    from runbookctl.record.path_chart import mermaid_path
    from runbookctl.record.timeline import compact_timeline

    notes = [{"ts": r["ts"], "by": r["who"], "text": r["what"], "step": r["note"] or None}
             for r in state.timeline if "note" in r]
    answers = [{k: a.get(k) for k in ("ts", "step", "kind", "question", "value", "origin",
                                      "note", "actor")} for a in state.answers]
    return {**run_row(state), **inert({
        "reason": state.reason, "inputs": [{k: i.get(k) for k in ("name", "value", "origin")}
                                           for i in state.inputs],
        "steps": [_step(rec) for rec in state.steps.values()],
        "timeline": compact_timeline(state), "answers": answers, "notes": notes,
        "mermaid": mermaid_path(state), "report": report})}


def _step(rec: StepRecord) -> dict[str, Any]:
    return {"key": rec.key, "title": rec.title, "action": rec.action, "status": rec.status,
            "reason": rec.reason, "started": rec.started, "finished": rec.finished,
            "duration": round(rec.duration, 1), "visits": rec.visits, "messages": rec.messages,
            "commands": [_command(c) for c in rec.commands]}


def _command(command: dict[str, Any]) -> dict[str, Any]:
    hosts = [{"host": h.get("host"), "exit_code": h.get("exit_code"), "tail": h.get("tail", ""),
              "error": h.get("error"), "log": _log_name(h.get("log"))}
             for h in command.get("results") or [] if isinstance(h, dict)]
    return {"command": command.get("command"), "attempt": command.get("attempt"),
            "ok": command.get("ok"), "reason": command.get("reason"),
            "log": _log_name(command.get("log")), "hosts": hosts}


def _log_name(path: Any) -> str | None:
    """A log by its file name only: the API's log links never carry a path."""
    return Path(str(path)).name if path else None
