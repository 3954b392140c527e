"""Command steps (run / ssh): confirmation, dry run, retries, polling with
`until`, `expect`, `capture`, and the failure policy.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from runbookctl.engine import gates, interactive
from runbookctl.engine.errexit import errexit_prefix
from runbookctl.engine.verdict import Verdict, judge, result_scope, until_verdict
from runbookctl.errors import InterruptedRun, TemplateError
from runbookctl.executors.base import (
    CAPTURE_LIMIT,
    LOCAL,
    CommandSpec,
    HostResult,
    attached_results,
)
from runbookctl.outcomes import (
    NEXT,
    RETRY,
    RETRY_FAILED_HOSTS,
    Outcome,
    SkipKind,
    StepStatus,
)
from runbookctl.record import events as ev
from runbookctl.safety.templating import render_command, render_text
from runbookctl.signals import deferred, describe, stopped_command

if TYPE_CHECKING:
    from pathlib import Path

    from runbookctl.engine.context import StepContext

DEFAULT_EVERY = 10.0
# Captured values are journaled (masked) up to this size so resume can restore them.
CAPTURE_JOURNAL = 64 * 1024
DEFAULT_WITHIN = 600.0


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
        if too_big and verdict.ok:  # a failure of the step: its on_failure applies
            verdict = Verdict(False, too_big, tuple(r.host for r in results))
        if verdict.ok:
            return _succeeded(ctx)
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
        verdict = until_verdict(ctx, results)
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
    log = ctx.resources.log_path(ctx.key)
    start = _Start(ctx, spec, attempt, log)
    local = start.local
    if local and not spec.interactive:
        # The shell is started first and waits at its gate while its start is journaled
        # (_Start.gate): the shell's own start-up overlaps that work.
        spec = replace(spec, log_path=log, on_start=start.gate)
    else:
        start.announce()
        spec = replace(spec, log_path=log,
                       on_start=start.record if local else None)
    try:
        if spec.interactive:
            return [interactive.session(ctx, spec)]
        executor = ctx.local if local else ctx.resources.ssh()
        results = executor.execute(spec, ctx.ui, ctx.redactor)
        start.announce()  # a shell that could not be started: the start is still journaled
    except (KeyboardInterrupt, InterruptedRun, BrokenPipeError) as exc:
        with deferred():  # one block: a second signal cannot land between the two events
            start.announce(show=False)  # stopped before its shell reached the gate
            _stopped(ctx, attempt, spec, exc)
        raise
    finally:
        ctx.ui.flush_output()  # many hosts: their grouped output (cli/gathered.py)
        _warn_tokens(ctx)
    ctx.ui.hosts_done(results)
    return results


class _Start:
    """A command's start: shown, journaled (command_started), and for a local command
    its process group (command_process), fsynced before the gate opens (docs/record.md,
    section 5)."""

    def __init__(self, ctx: StepContext, spec: CommandSpec, attempt: int, log: Path) -> None:
        self.ctx, self.spec, self.attempt, self.log = ctx, spec, attempt, log
        self.local = ctx.step.action == "run"
        self.announced = False

    def announce(self, *, show: bool = True) -> None:
        """Show the command and journal command_started, once (without fsync for a local
        command: the fsync of command_process takes it along). `show=False`: the run is
        stopping (its output may be gone), only the record counts."""
        if self.announced:
            return
        ctx, spec = self.ctx, self.spec
        if show:  # before the flag: a line that cannot be shown leaves the start unjournaled
            ctx.ui.command(spec.display, list(spec.hosts) or None)
        # Set before the write: a journal that failed, or a subscriber that failed after
        # it (a closed terminal), is not written to again. Signals wait until the line is
        # written: one in between would leave the flag set and no command_started.
        with deferred():
            self.announced = True
            ctx.publish(ev.COMMAND_STARTED, ctx.key, command=spec.display,
                        hosts=list(spec.hosts), attempt=self.attempt, timeout=spec.timeout,
                        log=str(self.log), defer_sync=self.local)

    def gate(self, pgid: int, started: str | None) -> None:
        """The shell waits at its gate: announce the command, then record."""
        self.announce()
        self.record(pgid, started)

    def record(self, pgid: int, started: str | None) -> None:
        """Record the shell's process group and fsync the journal with what came before
        it, before the gate opens. The fsync is made here, on this thread, while the
        shell finishes starting: made on a thread of its own during the spawn, it cost
        more in wake-ups between threads than it overlapped."""
        self.ctx.publish(ev.COMMAND_PROCESS, self.ctx.key, pgid=pgid, start=started)


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
    ran = {r.host: r for r in attached_results(exc)}  # its output so far, log, duration
    hosts = [host_record(_cut_short(ran.get(h) or HostResult(h, None, 0.0), reason))
             for h in (list(spec.hosts) or [LOCAL])]
    with deferred():
        ctx.publish(ev.COMMAND_FINISHED, ctx.key, attempt=attempt, ok=False,
                    reason=reason, hosts=hosts, stopped=how is not None)


def _cut_short(r: HostResult, reason: str) -> HostResult:
    """A host's result as the run stopped: one that had not ended is interrupted."""
    if r.exit_code is not None and not r.interrupted:
        return r
    return replace(r, exit_code=None, interrupted=True, error=reason)


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


def _remember(ctx: StepContext, results: list[HostResult]) -> None:
    view = result_scope(results)
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
    store_capture(ctx, value)
    return None


def store_capture(ctx: StepContext, value: Any) -> None:
    """The step's `capture:` set for later steps, and journaled (a resume restores it)."""
    name = ctx.step.capture
    assert name is not None
    ctx.vars.values[name] = value
    shown = value if isinstance(value, str) else repr(value)
    ctx.publish(ev.CAPTURED, ctx.key, name=name, value=shown[:CAPTURE_JOURNAL],
                truncated=len(shown) > CAPTURE_JOURNAL)


def _succeeded(ctx: StepContext) -> Outcome:
    capture = ctx.step.capture
    ctx.ui.ok("ok" + (f" (captured {capture})" if capture else ""))
    return Outcome(StepStatus.OK, NEXT, "ok")
