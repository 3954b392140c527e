"""Whether a command step passed: each host's exit code, `expect` and `until`
judged against what it printed, and the failure reasons said once for many hosts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runbookctl.errors import TemplateError
from runbookctl.executors.base import HostResult
from runbookctl.hostsets import group_by, grouped
from runbookctl.safety.templating import evaluate, truthy

if TYPE_CHECKING:
    from runbookctl.engine.context import StepContext


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    failed_hosts: tuple[str, ...] = ()
    final: bool = False  # no point polling again (the expression itself is broken)


def result_view(r: HostResult) -> dict[str, Any]:
    """What `result` and `steps.<id>` show templates for one host."""
    return {"host": r.host, "exit_code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr,
            "duration": r.duration, "timed_out": r.timed_out, "ok": r.ok}


def result_scope(results: list[HostResult]) -> dict[str, Any]:
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
        return Verdict(False, reasons_text(reasons, len(results)), tuple(failed))
    return Verdict(True, "ok")


def reasons_text(reasons: list[tuple[str, str]], hosts: int) -> str:
    """Why hosts failed: the reason alone on one host, `host: reason` each on a few,
    and on many each reason once with its hosts folded (`web[3-9]: exit code 1`)."""
    if hosts == 1:
        return reasons[0][1]
    if not grouped(hosts):
        return "; ".join(f"{host}: {reason}" for host, reason in reasons)
    return "; ".join(f"{group.folded}: {group.key}" for group in group_by(reasons))


def _host_failure(ctx: StepContext, r: HostResult) -> str | None:
    step = ctx.step
    why = not_run(ctx, r)
    if why or not step.expect:
        return why or exit_gate(None, r)
    gate = exit_gate(step.expect, r)
    if gate:
        return gate
    try:
        holds = truthy(evaluate(step.expect, ctx.scope(result=result_view(r))))
    except TemplateError as exc:
        return f"expect could not be evaluated: {exc.message}"
    return None if holds else f"expect: {step.expect} does not hold"


def not_run(ctx: StepContext, r: HostResult) -> str | None:
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


def until_verdict(ctx: StepContext, results: list[HostResult]) -> Verdict:
    """Whether polling is over: every host ran to its end, passed the exit-code rule,
    and `until` holds. An expression that cannot be evaluated ends polling (final)."""
    step = ctx.step
    assert step.until is not None
    reasons = {r.host: not_run(ctx, r) or exit_gate(step.until, r) for r in results}
    failed = tuple(host for host, why in reasons.items() if why)
    if failed:
        shown = [reasons[h] if len(results) == 1 else f"{h}: {reasons[h]}" for h in failed]
        return Verdict(False, "; ".join(str(s) for s in shown), failed)
    try:
        holds = truthy(evaluate(step.until, ctx.scope(result=result_scope(results))))
    except TemplateError as exc:
        return Verdict(False, f"until could not be evaluated: {exc.message}",
                       tuple(r.host for r in results), final=True)
    return Verdict(True, "ok") if holds else Verdict(False, f"until: {step.until} is false")
