"""Command steps (run / ssh): confirmation, dry run, retries, polling with
`until`, `expect`, `capture`, and the failure policy.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from runbookctl.engine.human_step import after_failure
from runbookctl.engine.walk import DRY_RUN, FAILED, NEXT, OK, Flow
from runbookctl.errors import InterruptedRun, TemplateError
from runbookctl.executors.base import CAPTURE_LIMIT, LOCAL, CommandSpec, HostResult
from runbookctl.record import events as ev
from runbookctl.runbook.model import Runbook, Step
from runbookctl.safety.templating import evaluate, render_command, render_text, truthy
from runbookctl.signals import deferred, describe, stopped_command

if TYPE_CHECKING:
    from runbookctl.engine.walk import Engine

DEFAULT_EVERY = 10.0
# Captured values are journaled (masked) up to this size so resume can restore them.
CAPTURE_JOURNAL = 64 * 1024
DEFAULT_WITHIN = 600.0


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    failed_hosts: tuple[str, ...] = ()
    final: bool = False  # no point polling again (the expression itself is broken)


def run_command_step(engine: Engine, rb: Runbook, step: Step, key: str) -> tuple[str, Flow, str]:
    spec = _build_spec(engine, rb, step, key)
    hosts = list(spec.hosts)
    if step.confirm is not None or step.dangerous:
        gate = _confirm(engine, step, key, spec)
        if gate is not None:
            return gate
    if engine.opts.dry_run and not step.readonly:
        if step.action == "ssh":
            for line in engine.ssh_executor().dry_run_lines(spec):  # type: ignore[attr-defined]
                engine.sv.ui.skip(f"dry run: would run on {engine.sv.redactor.mask(line)}")
        else:
            engine.sv.ui.skip(f"dry run: would run: {spec.display}")
        if step.capture:
            engine.vars.values[step.capture] = f"<{step.capture}>"
        return DRY_RUN, NEXT, "dry run: not executed"
    if step.sudo:
        spec = replace(spec, sudo_password=engine.sudo_password(key))
    while True:
        results, verdict = _run_with_policy(engine, step, key, spec)
        _remember(engine, step, key, results)
        too_big = _capture(engine, step, key, results)
        if verdict.ok:
            return _succeeded(engine, step, too_big)
        engine.sv.ui.fail(verdict.reason)
        if _interrupted(results):
            decision = engine.decide_interrupt(key, _interrupt_reason(results))
        else:
            decision = engine.decide_failure(rb, step, key, verdict.reason,
                                             failed_hosts=len(verdict.failed_hosts) < len(hosts))
        if decision == "retry":
            spec = replace(spec, hosts=hosts)
            continue
        if decision == "retry-failed-hosts":
            spec = replace(spec, hosts=list(verdict.failed_hosts))
            continue
        return after_failure(decision, key, verdict.reason)


def _build_spec(engine: Engine, rb: Runbook, step: Step, key: str) -> CommandSpec:
    scope = engine.vars.scope()
    per_host: dict[str, str] = {}
    if step.action == "ssh" and "host" in step.text:
        scope = engine.vars.scope(host="<host>")  # what is shown; each host gets its own below
    env = {k: render_text(v, scope, f"env {k}") for k, v in step.env.items()}
    cwd = render_text(step.cwd, scope, "cwd") if step.cwd else None
    hosts: list[str] = []
    if step.action == "ssh":
        if engine.sv.resolve_hosts is None:
            raise TemplateError(f"step {key}: ssh steps are not available in this build")
        hosts = engine.sv.resolve_hosts(step, rb)
        if "host" in step.text:
            per_host = {h: render_command(step.text, engine.vars.scope(host=h), _shell(step.shell))
                        for h in hosts}
    command = render_command(step.text, scope, _shell(step.shell))
    timeout = step.timeout if step.timeout is not None else engine.opts.default_timeout
    return CommandSpec(
        step_id=key, command=command, display=engine.sv.redactor.mask(command),
        log_path=engine.sv.run_dir / "logs" / "pending.log", shell=_shell(step.shell),
        env=env, cwd=cwd, timeout=timeout, hosts=hosts, parallel=step.parallel, sudo=step.sudo,
        per_host=per_host,
    )


def _shell(name: str | None) -> str:
    if not name or name == "sh":
        return "/bin/sh"
    return name


def _confirm(engine: Engine, step: Step, key: str, spec: CommandSpec) -> tuple[str, Flow, str] | None:
    question = render_text(step.confirm, engine.vars.scope(), "question") if step.confirm else ""
    question = engine.sv.redactor.mask(question)
    question = question or f"Run this command{' on ' + ', '.join(spec.hosts) if spec.hosts else ''}?"
    engine.sv.ui.command(spec.display, list(spec.hosts) or None)
    if engine.opts.dry_run and not step.readonly:
        return None
    detail = spec.display + (f"\non: {', '.join(spec.hosts)}" if spec.hosts else "")
    answer = engine.sv.prompter.confirm(key, question, dangerous=step.dangerous,
                                        no_means=engine.no_means(step), detail=detail)
    engine.record_answer(key, "confirm", f"{question}\n$ {spec.display}", answer)
    if answer.value is True:
        return None
    engine.sv.ui.skip(f"no ({answer.origin})")
    return engine.on_no(step, key)


def _run_with_policy(engine: Engine, step: Step, key: str, spec: CommandSpec
                     ) -> tuple[list[HostResult], Verdict]:
    """Run once, with retries on failure, or poll until `until` holds."""
    if step.until:
        return _poll(engine, step, key, spec)
    attempt = 0
    while True:
        attempt += 1
        results = _execute(engine, step, key, spec, attempt)
        verdict = judge(engine, step, results)
        last = verdict.ok or attempt > step.retries or _interrupted(results)
        _finished(engine, key, attempt, results, verdict, again=not last)
        if last:
            return results, verdict
        engine.sv.ui.warn(f"attempt {attempt} failed ({verdict.reason}); retrying in "
                          f"{step.retry_delay:g}s ({step.retries - attempt + 1} left)")
        time.sleep(step.retry_delay)


def _poll(engine: Engine, step: Step, key: str, spec: CommandSpec
          ) -> tuple[list[HostResult], Verdict]:
    every = step.every if step.every is not None else DEFAULT_EVERY
    within = step.within if step.within is not None else DEFAULT_WITHIN
    deadline = time.monotonic() + within
    attempt = 0
    while True:
        attempt += 1
        results = _execute(engine, step, key, spec, attempt)
        verdict = _until(engine, step, results)
        done = verdict.ok or verdict.final or _interrupted(results)
        late = not done and time.monotonic() + every > deadline
        _finished(engine, key, attempt, results, verdict, again=not (done or late))
        if done:
            return results, verdict
        if late:
            return results, Verdict(False, f"until: {step.until} not met within {within:g}s "
                                    f"({attempt} attempts)", verdict.failed_hosts)
        engine.sv.ui.info(f"not yet ({verdict.reason}); next check in {every:g}s")
        time.sleep(every)


def _interrupted(results: list[HostResult]) -> bool:
    return any(r.interrupted for r in results)


def _interrupt_reason(results: list[HostResult]) -> str:
    """One line for the step, not one per host: every host got the same signal;
    the hardest way a host's command was stopped (SIGKILL over SIGTERM) is said."""
    said = [r.error or "interrupted" for r in results if r.interrupted]
    return max(said, key=lambda reason: "SIGKILL" in reason)


def _execute(engine: Engine, step: Step, key: str, spec: CommandSpec, attempt: int
             ) -> list[HostResult]:
    engine.log_seq += 1
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
    spec = replace(spec, log_path=engine.sv.run_dir / "logs" / f"{engine.log_seq:04d}-{safe}.log")
    engine.sv.ui.command(spec.display, list(spec.hosts) or None)
    local = step.action == "run"
    # A local command's command_process event (synced) comes before it runs.
    engine.sv.recorder.event(ev.COMMAND_STARTED, key, command=spec.display,
                             hosts=list(spec.hosts), attempt=attempt, timeout=spec.timeout,
                             log=str(spec.log_path), defer_sync=local)
    executor = engine.sv.local if local else engine.ssh_executor()
    if local:
        spec = replace(spec, on_start=lambda pgid, started: engine.sv.recorder.event(
            ev.COMMAND_PROCESS, key, pgid=pgid, start=started))
    try:
        return executor.execute(spec, engine.sv.ui, engine.sv.redactor)
    except (KeyboardInterrupt, InterruptedRun, BrokenPipeError) as exc:
        _stopped(engine, key, attempt, spec, exc)
        raise
    finally:
        engine.sv.ui.flush_output()
        _warn_tokens(engine, key)


def _warn_tokens(engine: Engine, key: str) -> None:
    """Undeclared token-like strings were masked in the output: say which, and where,
    so the operator can declare the secret or rotate it."""
    for kind in engine.sv.redactor.take_found():
        engine.sv.ui.warn(f"masked a token-like string that is not a declared secret: "
                          f"{kind} in step {key}")


def _stopped(engine: Engine, key: str, attempt: int, spec: CommandSpec,
             exc: BaseException) -> None:
    """The run is stopping while the command ran: journal the command's end, as far
    as it is known (the executor says whether it stopped the command itself)."""
    how = stopped_command(exc)
    reason = f"interrupted by {describe(exc)}" + (f"; {how}" if how else "")
    hosts = [host_record(HostResult(h, None, 0.0, interrupted=True, error=reason))
             for h in (list(spec.hosts) or [LOCAL])]
    with deferred():
        engine.sv.recorder.event(ev.COMMAND_FINISHED, key, attempt=attempt, ok=False,
                                 reason=reason, hosts=hosts, stopped=how is not None)


def _finished(engine: Engine, key: str, attempt: int, results: list[HostResult],
              verdict: Verdict, again: bool = False) -> None:
    """Journal an attempt's end; `again`: another attempt is due (retries, until), so a
    stop before it is an interruption of the step, not its failure (resume reads it)."""
    engine.sv.recorder.event(
        ev.COMMAND_FINISHED, key, attempt=attempt, ok=verdict.ok, reason=verdict.reason,
        hosts=[host_record(r) for r in results], again=again,
    )


def host_record(r: HostResult) -> dict[str, Any]:
    return {"host": r.host, "exit_code": r.exit_code, "duration": round(r.duration, 3),
            "bytes": r.output_bytes, "sha256": r.output_sha256, "tail": r.tail,
            "timed_out": r.timed_out, "interrupted": r.interrupted, "error": r.error,
            "log": r.log_path, "host_key_accepted": r.host_key_accepted}


def result_view(r: HostResult) -> dict[str, Any]:
    """What `result` and `steps.<id>` show templates for one host."""
    return {"host": r.host, "exit_code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr,
            "duration": r.duration, "timed_out": r.timed_out, "ok": r.ok}


def _result_scope(results: list[HostResult]) -> dict[str, Any]:
    views = {r.host: result_view(r) for r in results}
    if len(results) == 1:
        return {**result_view(results[0]), "hosts": views}
    worst = next((r for r in results if not r.ok), results[0]) if results else None
    return {"host": None, "exit_code": worst.exit_code if worst else None,
            "stdout": "\n".join(f"{r.host}: {line}" for r in results for line in
                                r.stdout.splitlines()),
            "stderr": "", "hosts": views, "duration": max((r.duration for r in results),
                                                          default=0.0)}


def judge(engine: Engine, step: Step, results: list[HostResult]) -> Verdict:
    """A host passes when it ran, did not time out, and exit code / `expect` agree."""
    failed: list[str] = []
    reasons: list[str] = []
    for r in results:
        reason = _host_failure(engine, step, r)
        if reason:
            failed.append(r.host)
            reasons.append(reason if len(results) == 1 else f"{r.host}: {reason}")
    if not results:
        return Verdict(False, "no hosts to run on")
    if failed:
        return Verdict(False, "; ".join(reasons), tuple(failed))
    return Verdict(True, "ok")


def _host_failure(engine: Engine, step: Step, r: HostResult) -> str | None:
    not_run = _not_run(engine, step, r)
    if not_run or not step.expect:
        return not_run or exit_gate(None, r)
    gate = exit_gate(step.expect, r)
    if gate:
        return gate
    try:
        holds = truthy(evaluate(step.expect, engine.vars.scope(result=result_view(r))))
    except TemplateError as exc:
        return f"expect could not be evaluated: {exc.message}"
    return None if holds else f"expect: {step.expect} does not hold"


def _not_run(engine: Engine, step: Step, r: HostResult) -> str | None:
    """Why the command did not run to its end on this host, if it did not."""
    if r.error:
        return r.error
    if r.timed_out:
        return f"timed out after {step.timeout or engine.opts.default_timeout:g}s"
    if r.interrupted:
        return r.error or "interrupted"
    return None


def exit_gate(expression: str | None, r: HostResult) -> str | None:
    """The exit-code rule of `expect` and `until`: exit 0 is required too, unless the
    expression mentions `exit_code` itself (then it decides alone)."""
    if expression and "exit_code" in expression:
        return None
    return None if r.exit_code == 0 else f"exit code {r.exit_code}"


def _until(engine: Engine, step: Step, results: list[HostResult]) -> Verdict:
    """Whether polling is over: every host ran to its end, passed the exit-code rule,
    and `until` holds. An expression that cannot be evaluated ends polling (final)."""
    assert step.until is not None
    reasons = {r.host: _not_run(engine, step, r) or exit_gate(step.until, r) for r in results}
    failed = tuple(host for host, why in reasons.items() if why)
    if failed:
        shown = [reasons[h] if len(results) == 1 else f"{h}: {reasons[h]}" for h in failed]
        return Verdict(False, "; ".join(str(s) for s in shown), failed)
    try:
        holds = truthy(evaluate(step.until, engine.vars.scope(result=_result_scope(results))))
    except TemplateError as exc:
        return Verdict(False, f"until could not be evaluated: {exc.message}",
                       tuple(r.host for r in results), final=True)
    return Verdict(True, "ok") if holds else Verdict(False, f"until: {step.until} is false")


def _remember(engine: Engine, step: Step, key: str, results: list[HostResult]) -> None:
    view = _result_scope(results)
    engine.vars.record_step(step, key, exit_code=view["exit_code"], stdout=view["stdout"],
                            stderr=view["stderr"], hosts=view["hosts"])


def _capture(engine: Engine, step: Step, key: str, results: list[HostResult]) -> str | None:
    """Store `capture:` whenever the command ran to its end — also when it failed its
    `expect`, so later steps and the report see the value. Returns why it could not."""
    if not step.capture or not results or any(r.exit_code is None for r in results):
        return None
    if any(r.stdout_truncated for r in results):
        return (f"output too large to capture into {step.capture} (over "
                f"{CAPTURE_LIMIT // 1024} KiB); the full output is in the step log")
    value: Any = (results[0].stdout.strip() if len(results) == 1
                  else {r.host: r.stdout.strip() for r in results})
    engine.vars.values[step.capture] = value
    shown = value if isinstance(value, str) else repr(value)
    engine.sv.recorder.event(ev.CAPTURED, key, name=step.capture, value=shown[:CAPTURE_JOURNAL],
                             truncated=len(shown) > CAPTURE_JOURNAL)
    return None


def _succeeded(engine: Engine, step: Step, too_big: str | None) -> tuple[str, Flow, str]:
    if too_big:
        engine.sv.ui.fail(too_big)
        return FAILED, Flow("fail", reason=too_big), too_big
    engine.sv.ui.ok("ok" + (f" (captured {step.capture})" if step.capture else ""))
    return OK, NEXT, "ok"
