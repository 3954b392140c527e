"""The Recorder: every string masked before it reaches the journal, except the fields
that hold runbookctl's own vocabulary; fsync only before an action."""

from __future__ import annotations

from runbookctl.record import events as ev
from runbookctl.record.events import Recorder
from runbookctl.safety.masking import Redactor
from tests.unit.engine.fakes import MemoryJournal


class SyncJournal(MemoryJournal):
    """Remembers which events were written with an fsync."""

    def __init__(self) -> None:
        super().__init__()
        self.synced: list[bool] = []

    def append(self, type: str, step: str | None, actor: str, data: object = None, *,
               sync: bool = True) -> object:
        self.synced.append(sync)
        return super().append(type, step, actor, data, sync=sync)  # type: ignore[arg-type]


def recorder(secret: str = "s3cr3t-value") -> tuple[Recorder, SyncJournal]:
    redactor = Redactor()
    redactor.add(secret, "PW")
    journal = SyncJournal()
    return Recorder(journal, redactor), journal  # type: ignore[arg-type]


def test_secrets_are_masked_in_every_string_however_deep() -> None:
    rec, journal = recorder()
    rec.event(ev.COMMAND_FINISHED, "s", actor="op s3cr3t-value",
              reason="failed: s3cr3t-value", hosts=[{"tail": "x s3cr3t-value"}], n=3)
    (event,) = journal.events
    text = event.to_line()
    assert "s3cr3t-value" not in text
    assert event.data["n"] == 3 and event.actor.startswith("op ")


def test_structural_fields_are_never_masked() -> None:
    rec, journal = recorder(secret="completed")
    rec.event(ev.STEP_FINISHED, "s", status="completed", reason="completed")
    (event,) = journal.events
    assert event.data["status"] == "completed"
    assert event.data["reason"] != "completed"


def test_only_events_an_action_follows_are_synced_at_once() -> None:
    rec, journal = recorder()
    rec.event(ev.STEP_STARTED, "s")
    rec.event(ev.COMMAND_STARTED, "s")
    rec.event(ev.COMMAND_STARTED, "s", defer_sync=True)
    rec.event(ev.ANSWER, "s")
    assert journal.synced == [False, True, False, True]
    assert rec.head_hash == journal.events[-1].hash
    assert [e.actor for e in journal.events] == [ev.SYSTEM] * 4
