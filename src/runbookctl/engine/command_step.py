"""Command steps (run / ssh): confirmation, dry run, retries, polling with
`until`, `expect`, `capture`, and the failure policy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from runbookctl.engine import gates, interactive
from runbookctl.engine.errexit import errexit_prefix
from runbookctl.errors import InterruptedRun, TemplateError
from runbookctl.executors.base import CAPTURE_LIMIT, LOCAL, CommandSpec, HostResult
from runbookctl.hostsets import group_by, grouped
from runbookctl.outcomes import (
    NEXT,
    RETRY,
    RETRY_FAILED_HOSTS,
    Flow,
    FlowKind,
    Outcome,
    SkipKind,
    StepStatus,
)
from runbookctl.record import events as ev
from runbookctl.safety.templating import evaluate, render_command, render_text, truthy
from runbookctl.signals import deferred, describe, stopped_command

if TYPE_CHECKING:
    from runbookctl.engine.context import StepContext

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


def run_command_step(ctx: StepContext) -> Outcome:
    step, key = ctx.step, ctx.key
    spec = _build_spec(ctx)
    hosts = list(spec.hosts)
    if step.interactive and not ctx.opts.dry_run:
        refused = interactive.hand_over(ctx, spec)
        if refused is not None:
            return refused
    if step.confirm is not None or step.dangerous:
        refused = _confirm(ctx, spec)
        if refused is not None:
            return refused
    if ctx.opts.dry_run and not step.readonly:
        return _dry_run(ctx, spec)
    if step.sudo:
        spec = replace(spec, sudo_password=ctx.resources.sudo_password(key))
    while True:
        results, verdict = _run_with_policy(ctx, spec)
        _remember(ctx, results)
        too_big = _capture(ctx, results)
        if verdict.ok:
            return _succeeded(ctx, too_big)
        ctx.ui.fail(verdict.reason)
        if _interrupted(results):
            decision = gates.decide_interrupt(ctx, _interrupt_reason(results))
        else:
            decision = gates.decide_failure(ctx, verdict.reason,
                                            failed_hosts=len(verdict.failed_hosts) < len(hosts))
        if decision == RETRY:
            spec = replace(spec, hosts=hosts)
            continue
        if decision == RETRY_FAILED_HOSTS:
            spec = replace(spec, hosts=list(verdict.failed_hosts))
            continue
        return gates.after_failure(decision, key, verdict.reason)


def _dry_run(ctx: StepContext, spec: CommandSpec) -> Outcome:
    step = ctx.step
    if step.action == "ssh":
        for line in ctx.resources.ssh().dry_run_lines(spec):  # type: ignore[attr-defined]
            ctx.ui.skip(f"dry run: would run on {ctx.redactor.mask(line)}")
    else:
        ctx.ui.skip(f"dry run: would run: {spec.display}")
    if step.capture:
        ctx.vars.values[step.capture] = f"<{step.capture}>"
    return Outcome(StepStatus.DRY_RUN, NEXT, "dry run: not executed", SkipKind.DRY_RUN)


def _build_spec(ctx: StepContext) -> CommandSpec:
    step, key = ctx.step, ctx.key
    scope = ctx.scope()
    per_host: dict[str, str] = {}
    shell = _shell(step.shell)
    strict = errexit_prefix(step.text, shell) if step.errexit else ""
    if step.action == "ssh" and "host" in step.text:
        scope = ctx.scope(host="<host>")  # what is shown; each host gets its own below
    env = {k: render_text(v, scope, f"env {k}") for k, v in step.env.items()}
    cwd = render_text(step.cwd, scope, "cwd") if step.cwd else None
    hosts: list[str] = []
    if step.action == "ssh":
        if ctx.resolve_hosts is None:
            raise TemplateError(f"step {key}: ssh steps are not available in this build")
        hosts = ctx.resolve_hosts(step, ctx.rb)
        if "host" in step.text:
            per_host = {h: strict + render_command(step.text, ctx.scope(host=h), shell)
                        for h in hosts}
    command = render_command(step.text, scope, shell)
    timeout = step.timeout if step.timeout is not None else (
        None if step.interactive else ctx.opts.default_timeout)  # a session ends when its person is done
    return CommandSpec(
        # Shown as written; run with `set -e` in front when it is a script (errexit.py).
        step_id=key, command=strict + command, display=ctx.redactor.mask(command),
        log_path=ctx.run_dir / "logs" / "pending.log", shell=shell,
        env=env, cwd=cwd, timeout=timeout, hosts=hosts, parallel=step.parallel, sudo=step.sudo,
        per_host=per_host, interactive=step.interactive,
    )


def _shell(name: str | None) -> str:
    if not name or name == "sh":
        return "/bin/sh"
    return name


def _confirm(ctx: StepContext, spec: CommandSpec) -> Outcome | None:
    """The command's `confirm:` / `dangerous:` gate (gates.confirm); None: go on."""
    step = ctx.step
    question = render_text(step.confirm, ctx.scope(), "question") if step.confirm else ""
    question = ctx.redactor.mask(question)
    question = question or f"Run this command{' on ' + ', '.join(spec.hosts) if spec.hosts else ''}?"
    ctx.ui.command(spec.display, list(spec.hosts) or None)  # shown once: the run does not repeat it
    if ctx.opts.dry_run and not step.readonly:
        return None
    _answer, refused = gates.confirm(ctx, question, recorded=f"{question}\n$ {spec.display}")
    return refused


def _run_with_policy(ctx: StepContext, spec: CommandSpec) -> tuple[list[HostResult], Verdict]:
    """Run once, with retries on failure, or poll until `until` holds."""
    step = ctx.step
    if step.until:
        return _poll(ctx, spec)
    attempt = 0
    while True:
        attempt += 1
        ctx.ui.attempt(attempt, step.retries + 1)
        results = _execute(ctx, spec, attempt)
        verdict = judge(ctx, results)
        last = verdict.ok or attempt > step.retries or _interrupted(results)
        _finished(ctx, attempt, results, verdict, again=not last)
        if last:
            return results, verdict
        ctx.ui.warn(f"attempt {attempt} failed ({verdict.reason}); retrying in "
                          f"{step.retry_delay:g}s ({step.retries - attempt + 1} left)")
        time.sleep(step.retry_delay)


def _poll(ctx: StepContext, spec: CommandSpec) -> tuple[list[HostResult], Verdict]:
    step = ctx.step
    every = step.every if step.every is not None else DEFAULT_EVERY
    within = step.within if step.within is not None else DEFAULT_WITHIN
    started = time.monotonic()
    deadline = started + within
    attempt = 0
    while True:
        attempt += 1
        ctx.ui.attempt(attempt, None, elapsed=time.monotonic() - started, within=within)
        results = _execute(ctx, spec, attempt)
        verdict = _until(ctx, results)
        done = verdict.ok or verdict.final or _interrupted(results)
        late = not done and time.monotonic() + every > deadline
        _finished(ctx, attempt, results, verdict, again=not (done or late))
        if done:
            return results, verdict
        if late:
            return results, Verdict(False, f"until: {step.until} not met within {within:g}s "
                                    f"({attempt} attempts)", verdict.failed_hosts)
        ctx.ui.info(f"not yet ({verdict.reason}); next check in {every:g}s")
        time.sleep(every)


def _interrupted(results: list[HostResult]) -> bool:
    return any(r.interrupted for r in results)


def _interrupt_reason(results: list[HostResult]) -> str:
    """One line for the step, not one per host: every host got the same signal;
    the hardest way a host's command was stopped (SIGKILL over SIGTERM) is said."""
    said = [r.error or "interrupted" for r in results if r.interrupted]
    return max(said, key=lambda reason: "SIGKILL" in reason)


def _execute(ctx: StepContext, spec: CommandSpec, attempt: int) -> list[HostResult]:
    key = ctx.key
    log = ctx.resources.log_path(key)
    ctx.ui.command(spec.display, list(spec.hosts) or None)
    local = ctx.step.action == "run"
    ctx.publish(ev.COMMAND_STARTED, key, command=spec.display, hosts=list(spec.hosts),
                attempt=attempt, timeout=spec.timeout, log=str(log), defer_sync=local)
    executor = ctx.local if local else ctx.resources.ssh()
    if local:  # the shell waits at its gate until its start is on disk (_gated)
        spec = replace(spec, log_path=log, on_start=lambda pgid, at: _gated(ctx, pgid, at))
    else:
        spec = replace(spec, log_path=log)
    try:
        if spec.interactive:
            return [interactive.session(ctx, spec)]
        results = executor.execute(spec, ctx.ui, ctx.redactor)
    except (KeyboardInterrupt, InterruptedRun, BrokenPipeError) as exc:
        _stopped(ctx, attempt, spec, exc)
        raise
    finally:
        ctx.ui.flush_output()  # many hosts: their grouped output (cli/gathered.py)
        _warn_tokens(ctx)
    ctx.ui.hosts_done(results)
    return results


def _gated(ctx: StepContext, pgid: int, started: str | None) -> None:
    """The shell waits at its gate: record its process group, and fsync the journal
    (command_started and what came before with it) before the gate opens
    (docs/record.md, section 5). The fsync is made here, on this thread, while the
    shell finishes starting: made on a thread of its own during the spawn, it cost
    more in wake-ups between threads than it overlapped."""
    ctx.publish(ev.COMMAND_PROCESS, ctx.key, pgid=pgid, start=started)


def _warn_tokens(ctx: StepContext) -> None:
    """Undeclared token-like strings were masked in the output: say which, and where,
    so the operator can declare the secret or rotate it."""
    for kind in ctx.redactor.take_found():
        ctx.ui.warn(f"masked a token-like string that is not a declared secret: "
                    f"{kind} in step {ctx.key}")


def _stopped(ctx: StepContext, attempt: int, spec: CommandSpec, exc: BaseException) -> None:
    """The run is stopping while the command ran: journal the command's end, as far
    as it is known (the executor says whether it stopped the command itself)."""
    how = stopped_command(exc)
    reason = f"interrupted by {describe(exc)}" + (f"; {how}" if how else "")
    hosts = [host_record(HostResult(h, None, 0.0, interrupted=True, error=reason))
             for h in (list(spec.hosts) or [LOCAL])]
    with deferred():
        ctx.publish(ev.COMMAND_FINISHED, ctx.key, attempt=attempt, ok=False,
                    reason=reason, hosts=hosts, stopped=how is not None)


def _finished(ctx: StepContext, attempt: int, results: list[HostResult], verdict: Verdict,
              again: bool = False) -> None:
    """Journal an attempt's end; `again`: another attempt is due (retries, until), so a
    stop before it is an interruption of the step, not its failure (resume reads it)."""
    ctx.publish(
        ev.COMMAND_FINISHED, ctx.key, attempt=attempt, ok=verdict.ok, reason=verdict.reason,
        hosts=[host_record(r) for r in results], again=again,
    )


def host_record(r: HostResult) -> dict[str, Any]:
    return {"host": r.host, "exit_code": r.exit_code, "duration": round(r.duration, 3),
            "bytes": r.output_bytes, "sha256": r.output_sha256, "tail": r.tail,
            "timed_out": r.timed_out, "interrupted": r.interrupted, "error": r.error,
            "log": r.log_path, "host_key_accepted": r.host_key_accepted,
            **({"cast": r.cast_path, "cast_sha256": r.cast_sha256} if r.cast_path else {})}


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


def judge(ctx: StepContext, results: list[HostResult]) -> Verdict:
    """A host passes when it ran, did not time out, and exit code / `expect` agree."""
    failed: list[str] = []
    reasons: list[tuple[str, str]] = []
    for r in results:
        reason = _host_failure(ctx, r)
        if reason:
            failed.append(r.host)
            reasons.append((r.host, reason))
    if not results:
        return Verdict(False, "no hosts to run on")
    if failed:
        return Verdict(False, _reasons(reasons, len(results)), tuple(failed))
    return Verdict(True, "ok")


def _reasons(reasons: list[tuple[str, str]], hosts: int) -> str:
    """Why hosts failed: the reason alone on one host, `host: reason` each on a few,
    and on many each reason once with its hosts folded (`web[3-9]: exit code 1`)."""
    if hosts == 1:
        return reasons[0][1]
    if not grouped(hosts):
        return "; ".join(f"{host}: {reason}" for host, reason in reasons)
    return "; ".join(f"{group.folded}: {group.key}" for group in group_by(reasons))


def _host_failure(ctx: StepContext, r: HostResult) -> str | None:
    step = ctx.step
    not_run = _not_run(ctx, r)
    if not_run or not step.expect:
        return not_run or exit_gate(None, r)
    gate = exit_gate(step.expect, r)
    if gate:
        return gate
    try:
        holds = truthy(evaluate(step.expect, ctx.scope(result=result_view(r))))
    except TemplateError as exc:
        return f"expect could not be evaluated: {exc.message}"
    return None if holds else f"expect: {step.expect} does not hold"


def _not_run(ctx: StepContext, r: HostResult) -> str | None:
    """Why the command did not run to its end on this host, if it did not."""
    if r.error:
        return r.error
    if r.timed_out:
        return f"timed out after {ctx.step.timeout or ctx.opts.default_timeout:g}s"
    if r.interrupted:
        return r.error or "interrupted"
    return None


def exit_gate(expression: str | None, r: HostResult) -> str | None:
    """The exit-code rule of `expect` and `until`: exit 0 is required too, unless the
    expression mentions `exit_code` itself (then it decides alone)."""
    if expression and "exit_code" in expression:
        return None
    return None if r.exit_code == 0 else f"exit code {r.exit_code}"


def _until(ctx: StepContext, results: list[HostResult]) -> Verdict:
    """Whether polling is over: every host ran to its end, passed the exit-code rule,
    and `until` holds. An expression that cannot be evaluated ends polling (final)."""
    step = ctx.step
    assert step.until is not None
    reasons = {r.host: _not_run(ctx, r) or exit_gate(step.until, r) for r in results}
    failed = tuple(host for host, why in reasons.items() if why)
    if failed:
        shown = [reasons[h] if len(results) == 1 else f"{h}: {reasons[h]}" for h in failed]
        return Verdict(False, "; ".join(str(s) for s in shown), failed)
    try:
        holds = truthy(evaluate(step.until, ctx.scope(result=_result_scope(results))))
    except TemplateError as exc:
        return Verdict(False, f"until could not be evaluated: {exc.message}",
                       tuple(r.host for r in results), final=True)
    return Verdict(True, "ok") if holds else Verdict(False, f"until: {step.until} is false")


def _remember(ctx: StepContext, results: list[HostResult]) -> None:
    view = _result_scope(results)
    ctx.record(exit_code=view["exit_code"], stdout=view["stdout"], stderr=view["stderr"],
               hosts=view["hosts"])


def _capture(ctx: StepContext, results: list[HostResult]) -> str | None:
    """Store `capture:` whenever the command ran to its end — also when it failed its
    `expect`, so later steps and the report see the value. Returns why it could not."""
    step = ctx.step
    if not step.capture or not results or any(r.exit_code is None for r in results):
        return None
    if any(r.stdout_truncated for r in results):
        return (f"output too large to capture into {step.capture} (over "
                f"{CAPTURE_LIMIT // 1024} KiB); the full output is in the step log")
    value: Any = (results[0].stdout.strip() if len(results) == 1
                  else {r.host: r.stdout.strip() for r in results})
    ctx.vars.values[step.capture] = value
    shown = value if isinstance(value, str) else repr(value)
    ctx.publish(ev.CAPTURED, ctx.key, name=step.capture, value=shown[:CAPTURE_JOURNAL],
                truncated=len(shown) > CAPTURE_JOURNAL)
    return None


def _succeeded(ctx: StepContext, too_big: str | None) -> Outcome:
    if too_big:
        ctx.ui.fail(too_big)
        return Outcome(StepStatus.FAILED, Flow(FlowKind.FAIL, reason=too_big), too_big)
    capture = ctx.step.capture
    ctx.ui.ok("ok" + (f" (captured {capture})" if capture else ""))
    return Outcome(StepStatus.OK, NEXT, "ok")
