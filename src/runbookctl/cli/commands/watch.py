"""`runbookctl watch [RUN_ID]`: follow a run from another terminal, live and read-only.

It reads what `serve` reads (web/follow.py: the journal polled by size, the logs of
running commands) and shows it in the lines of the run's own terminal view
(cli/terminal.py: `[n/N] ▶ step`, `$ command`, output, `✔`/`✘`, the summary). It
writes nothing: no lock, no journal line. It ends when the run ends, with the
exit code `run` gave (0 completed, also past failed steps it went on from; 1 failed
or aborted; 130 interrupted); Ctrl-C leaves it quietly (130). Without RUN_ID: the run
running now, else the latest (as `note`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.errors import ExitCode, RunbookctlError, UsageError
from runbookctl.outcomes import RunStatus, StepStatus

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.record.journal import Event
    from runbookctl.record.run_state import RunState

ENDINGS = ("run_finished", "run_interrupted", "run_abandoned")


def watch(session: Session, ui: UI, run_id: str | None) -> int:
    from runbookctl.cli.collector import lasting
    from runbookctl.cli.commands.history import running_or_latest, runs_root
    from runbookctl.web.follow import POLL, Follower
    from runbookctl.web.runs_source import RunsSource

    lasting()
    source = RunsSource(runs_root(session))
    try:
        run_dir = running_or_latest(session, ui, run_id, "runbookctl watch RUN_ID",
                                    "nothing to watch")
    except UsageError:
        if not (run_id and session.config.store):
            raise
        from runbookctl.cli.commands.history import run_dirs
        from runbookctl.cli.commands.store import mirrored_runs, team_source

        # once now, then live: the run must be in the mirror to be followed
        mirrored_runs(session, {p.name for p in run_dirs(session)})
        source = team_source(session)
        run_dir = source.run_dir(run_id)
    follower = Follower(source, run_dir.name, output=True)
    view = WatchView(ui, session, run_dir)
    try:
        while True:
            for item in follower.poll():
                view.show(item.event, item.output)
            if follower.ended:
                break
            time.sleep(POLL)
    except KeyboardInterrupt:
        ui.flush_output()
        return int(ExitCode.INTERRUPTED)  # quietly: the run itself goes on
    return view.summary()


def outcome_code(state: RunState) -> int:
    """The exit code `run` ends with for this outcome (README, "Commands")."""
    if state.status == RunStatus.COMPLETED:  # failed steps it went on past too: the
        return int(ExitCode.OK)  # runbook said to go on (cli/commands/run.py)
    if state.status == RunStatus.INTERRUPTED:
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.FAILED)


class WatchView:
    """Journal events as the run's terminal view says them."""

    def __init__(self, ui: UI, session: Session, run_dir: Path) -> None:
        self.ui = ui
        self.session = session
        self.run_dir = run_dir

    def summary(self) -> int:
        """The run's ending as its own terminal said it (its duration, not the watch's);
        the exit code of that outcome."""
        from runbookctl.cli.progress import Progress, took
        from runbookctl.record.report_file import recorded
        from runbookctl.record.writeup import load_state

        state = load_state(self.run_dir)
        report = recorded(self.run_dir)
        self.ui.progress = Progress()  # the watch's own time is not the run's
        self.ui.summary(state.status, str(report) if report else None, state.run_id,
                        failed_keys=state.failed_keys if state.status == RunStatus.COMPLETED else ())
        self.ui.info(f"Duration: {took(state.duration)}")
        return outcome_code(state)

    def show(self, event: Event | None, output: dict[str, Any] | None) -> None:
        if output is not None:
            self.ui.output(str(output["host"]), "stdout", str(output["text"]))
            return
        assert event is not None
        handler = getattr(self, f"_{event.type}", None)
        if handler is not None:
            handler(event, event.data)
        elif event.type not in ("command_process", "captured", "input", "secret"):
            self.ui.info(f"{event.type.replace('_', ' ')} ({event.actor})")

    def _run_started(self, e: Event, d: dict[str, Any]) -> None:
        from runbookctl.cli.progress import RunFacts

        self.ui.header(RunFacts(runbook=str(d.get("runbook")), title=str(d.get("title") or ""),
                                severity=d.get("severity"), run_id=str(d.get("run_id")),
                                journal=str(self.run_dir / "journal.jsonl"),
                                reports=str(d.get("report_dir") or "")), self._plan(d))
        self.ui.info(f"watching: operator {e.actor}, started {e.ts}")

    def _plan(self, d: dict[str, Any]) -> list[str]:
        """The run's plan for `[n/N]`, from its runbook file if it can still be read."""
        from runbookctl.runbook.includes import INCLUDE, steps

        try:
            rb = self.session.registry.load_path(Path(str(d.get("path") or "")))
            return [p.key for p in steps(rb, self.session.registry.try_load)
                    if p.step.action != INCLUDE]
        except (RunbookctlError, OSError):
            return []

    def _run_resumed(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.info(f"run resumed by {e.actor}")

    def _step_started(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.step(e.step or "?", str(d.get("title") or e.step), str(d.get("action") or ""))

    def _step_skipped(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.step(e.step or "?", str(d.get("title") or e.step), str(d.get("action") or ""))
        self.ui.skip(f"skipped: {d.get('reason')}")

    def _command_started(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.command(str(d.get("command") or ""), [str(h) for h in d.get("hosts") or []])

    def _command_finished(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.flush_output()
        if not d.get("ok"):
            self.ui.fail(f"command failed: {d.get('reason')}")

    def _step_finished(self, e: Event, d: dict[str, Any]) -> None:
        from runbookctl.cli.progress import took

        status, reason = str(d.get("status")), str(d.get("reason") or "")
        text = status if reason in ("", status, "ok") else f"{status}: {reason}"
        text += f" ({took(float(d.get('duration') or 0.0))})"
        if status == StepStatus.OK:
            self.ui.ok(text)
        elif status == StepStatus.FAILED:
            self.ui.fail(text)
        else:
            self.ui.skip(text)

    def _step_interrupted(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.warn(f"interrupted: {d.get('reason')}")

    def _jump(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.jump(str(d.get("to")), str(d.get("why") or ""))

    def _answer(self, e: Event, d: dict[str, Any]) -> None:
        question = str(d.get("question") or "").strip().splitlines()
        asked = f"{question[0]} → " if question else ""
        self.ui.info(f"{asked}{d.get('value')} (answered by {e.actor}, {d.get('origin')})")

    def _message(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.block("message", str(d.get("text") or ""))

    def _note(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.info(f"note by {e.actor}: {d.get('text')}")

    def _reminder(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.warn(f"reminder: {d.get('message')}")

    def _milestone(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.info(f"milestone: {d.get('name')}")

    def _approval_requested(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.warn(f"waiting for a second person's approval (anyone but {d.get('operator')}): "
                     f"{d.get('url')}")

    def _approval_decided(self, e: Event, d: dict[str, Any]) -> None:
        why = f": {d.get('reason')}" if d.get("reason") else ""
        self.ui.info(f"{d.get('decision')}d by {d.get('by')} ({d.get('via')}){why}")

    def _approval_timed_out(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.warn(f"nobody approved in time: {d.get('then')}")

    def _run_finished(self, e: Event, d: dict[str, Any]) -> None:
        self._ending(str(d.get("status")), str(d.get("reason") or ""))

    def _run_interrupted(self, e: Event, d: dict[str, Any]) -> None:
        self._ending(RunStatus.INTERRUPTED, str(d.get("reason") or ""))

    def _run_abandoned(self, e: Event, d: dict[str, Any]) -> None:
        self._ending(RunStatus.ABANDONED, f"discarded by {e.actor}")

    def _record_signed(self, e: Event, d: dict[str, Any]) -> None:
        self.ui.info(f"record signed by {e.actor} ({d.get('fingerprint')})")

    def _ending(self, status: str, reason: str) -> None:
        self.ui.flush_output()
        self.ui.info(f"run {status}: {reason}" if reason else f"run {status}")
