"""`runbookctl approve RUN_ID STEP --as NAME` and `runbookctl reject RUN_ID STEP --as NAME
--reason TEXT`: a second person's decision on a step waiting for approval, from any
terminal on the machine (the two-person rule, docs/runbook-format.md).

Like `runbookctl note` (cli/commands/note.py, whose helpers it uses), it appends to the
run's journal under the journal's lock while the run waits; the run sees the decision
within a poll and goes on. record/approvals.py:decide checks and writes it: the
approver must not be the run's operator, the step must be waiting, and only the first
decision counts (each refusal: exit 2, nothing written). With config `store:`, a run
of another machine (known through the store) gets the decision through the store's
decisions table instead; the engine waiting there polls it (docs/store.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runbookctl.errors import UsageError
from runbookctl.record.approvals import APPROVE, DecisionWord

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI


def decide_command(session: Session, ui: UI, run_id: str, step: str, decision: DecisionWord,
                   author: str | None, reason: str | None) -> int:
    """Journal the decision (masked) on the run's waiting step; exit 0, else UsageError."""
    from runbookctl.cli.commands.history import find_run
    from runbookctl.cli.commands.note import rewrite_report, run_redactor
    from runbookctl.engine.request import RunRequest, one_line, operator_name
    from runbookctl.record.approvals import decide
    from runbookctl.record.writeup import load_state

    who = one_line("--as", author) if author else operator_name(RunRequest(runbook=""), session)
    try:
        run_dir = find_run(session, run_id)
    except UsageError:
        if not session.config.store:
            raise
        from runbookctl.cli.commands.store import approve_remotely

        # A run of another machine, known through the store: the decision goes there.
        return approve_remotely(session, ui, run_id, step, decision, who, reason)
    state = load_state(run_dir)  # a damaged journal is refused (file:line), never appended to
    event = decide(run_dir, step, decision, who, reason, "cli",
                   redactor=run_redactor(session, state))
    word = "approved" if decision == APPROVE else "rejected"
    ui.ok(f"{word} step {step} of {state.run_id} as {event.actor} at {event.ts} "
          f"(event {event.seq})")
    # A run stopped while it waited: its report shows the decision now; resume acts on it.
    rewrite_report(session, ui, run_dir, state.run_id)
    return 0

