"""Human steps: confirm gates, questions, manual checks and messages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runbookctl.engine.walk import FAILED, NEXT, OK, SKIPPED, Flow
from runbookctl.record import events as ev
from runbookctl.runbook.model import InputSpec, Step, is_template_name
from runbookctl.runbook.values import coerce_value
from runbookctl.safety.templating import render_text

if TYPE_CHECKING:
    from runbookctl.engine.walk import Engine

def run_human_step(engine: Engine, step: Step, key: str) -> tuple[str, Flow, str]:
    handler = {"confirm": _confirm, "ask": _ask, "manual": _manual, "message": _message}
    return handler[step.action](engine, step, key)


def _shown(engine: Engine, source: str, what: str) -> str:
    """Render text a person will see; secrets masked (they are in scope for commands only)."""
    return engine.sv.redactor.mask(render_text(source, engine.vars.scope(), what))


def _confirm(engine: Engine, step: Step, key: str) -> tuple[str, Flow, str]:
    question = _shown(engine, step.text, "question")
    if engine.opts.dry_run:
        engine.sv.ui.skip(f"dry run: would ask {question!r}")
        return SKIPPED, NEXT, "dry run: not asked"
    answer = engine.sv.prompter.confirm(key, question, dangerous=step.dangerous,
                                        no_means=engine.no_means(step))
    engine.record_answer(key, "confirm", question, answer)
    engine.vars.record_step(step, key, answer=bool(answer.value))
    if answer.value is True:
        engine.sv.ui.ok(f"yes ({answer.origin})")
        return OK, NEXT, "answered yes"
    engine.sv.ui.skip(f"no ({answer.origin})")
    return engine.on_no(step, key)


def _ask(engine: Engine, step: Step, key: str) -> tuple[str, Flow, str]:
    question = _shown(engine, step.text, "question")
    spec = step.answer or InputSpec(name=step.var or step.id.replace("-", "_"))
    if engine.opts.dry_run:
        engine.vars.values[spec.name] = f"<{spec.name}>"
        engine.sv.ui.skip(f"dry run: would ask {question!r}")
        return SKIPPED, NEXT, "dry run: not asked"
    answer = engine.sv.prompter.ask(key, question, spec)
    value = coerce_value(spec, answer.value)
    engine.record_answer(key, "ask", question, answer, var=spec.name)
    engine.vars.values[spec.name] = value
    engine.vars.record_step(step, key, answer=value)
    engine.sv.ui.ok(f"{spec.name} = {value} ({answer.origin})")
    return OK, NEXT, f"{spec.name} answered"


def _manual(engine: Engine, step: Step, key: str) -> tuple[str, Flow, str]:
    text = _shown(engine, step.text, "instruction")
    engine.sv.ui.block(step.label, text)
    if engine.opts.dry_run:
        return SKIPPED, NEXT, "dry run: not asked"
    while True:
        answer = engine.sv.prompter.manual(key, text)
        engine.record_answer(key, "manual", text, answer)
        engine.vars.record_step(step, key, answer=answer.value)
        if answer.value == "done":
            engine.sv.ui.ok(f"done ({answer.origin})")
            return OK, NEXT, "done"
        if answer.value == "skipped":
            engine.sv.ui.skip(f"skipped: {answer.note}")
            return SKIPPED, NEXT, f"skipped: {answer.note}"
        reason = f"marked failed: {answer.note or 'no note'}"
        engine.sv.ui.fail(reason)
        decision = engine.decide_failure(engine.current_rb, step, key, reason)
        if decision == "skip":  # moving past a failed check does not make it skipped
            decision = "continue"
        if decision != "retry":
            return after_failure(decision, key, reason)


def after_failure(decision: str, key: str, reason: str) -> tuple[str, Flow, str]:
    """Map a failure decision to the step status and where the walk goes."""
    if decision == "continue":
        return FAILED, NEXT, reason
    if decision == "skip":
        return SKIPPED, NEXT, f"skipped after failure: {reason}"
    if decision == "abort":
        return FAILED, Flow("abort", reason=f"aborted at {key}: {reason}"), reason
    if decision.startswith("goto:"):
        target = decision.split(":", 1)[1]
        return FAILED, Flow("goto", target, f"after failure: {reason}"), reason
    return FAILED, Flow("fail", reason=f"{key} failed: {reason}"), reason


def _message(engine: Engine, step: Step, key: str) -> tuple[str, Flow, str]:
    source = step.text
    if is_template_name(source):
        found = engine.sv.template_source(source.strip())
        if found is None:
            return FAILED, Flow("fail", reason=f"template {source} not found"), "template not found"
        source = found
    text = _shown(engine, source, "message")
    engine.sv.ui.block(step.label, text)
    engine.sv.recorder.event(ev.MESSAGE, key, text=text, template=step.text.strip()
                             if is_template_name(step.text) else None)
    engine.vars.record_step(step, key, answer=text)
    return OK, NEXT, "shown and recorded"

