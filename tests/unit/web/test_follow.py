"""web/follow.py: new events in order, output as it reaches a log (escapes inert, capped),
resuming after a seq, and the end of a run."""

from __future__ import annotations

from pathlib import Path

from runbookctl.web import follow
from runbookctl.web.follow import Follower
from runbookctl.web.runs_source import RunsSource
from tests.unit.web.runs import RUN, append, command, ended, finished_command, note, step, write_run


def _kinds(items: list[follow.Item]) -> list[str]:
    return [i.event.type if i.event else f"output:{i.output['text']!r}" for i in items
            if i.event or i.output]


def test_events_come_once_each_in_order_as_they_are_written(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    f = Follower(RunsSource(tmp_path), RUN)
    assert [i.event.seq for i in f.poll() if i.event] == [1, 2]
    assert f.poll() == []
    append(run_dir, note("paged the DBA"), ended())
    assert _kinds(f.poll()) == ["note", "run_finished"]
    assert f.status == "completed"


def test_output_streams_before_the_event_that_ends_its_command(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    append(run_dir, command("check", run_dir))
    log = run_dir / "logs" / "0001-check.log"
    f = Follower(RunsSource(tmp_path), RUN, output=True)
    assert _kinds(f.poll()) == ["run_started", "step_started", "command_started"]
    log.write_bytes(b"one\n\x1b[2Jtwo \xe2\x82")  # a split UTF-8 character waits for its end
    out = f.poll()
    assert _kinds(out) == ["output:'one\\n␛[2Jtwo '"]
    assert out[0].output == {"step": "check", "host": "local", "log": "0001-check.log",
                             "offset": 0, "skipped": 0, "text": "one\n␛[2Jtwo "}
    with open(log, "ab") as fh:
        fh.write(b"\xac\n")
    append(run_dir, finished_command("check", run_dir))
    assert _kinds(f.poll()) == ["output:'€\\n'", "command_finished"]
    with open(log, "ab") as fh:
        fh.write(b"late\n")
    assert f.poll() == []  # the command ended: its log is no longer followed


def test_catching_up_with_a_long_log_sends_its_end_and_says_what_it_left_out(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    append(run_dir, command("check", run_dir))
    (run_dir / "logs" / "0001-check.log").write_bytes(b"x" * (follow.CHUNK + 10))
    out = [i.output for i in Follower(RunsSource(tmp_path), RUN, output=True).poll() if i.output]
    assert len(out) == 1 and out[0]["skipped"] == 10 and len(out[0]["text"]) == follow.CHUNK


def test_resuming_after_a_seq_skips_what_the_reader_saw(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    append(run_dir, command("check", run_dir))
    (run_dir / "logs" / "0001-check.log").write_text("old\n")
    append(run_dir, finished_command("check", run_dir), step("next"),
           command("next", run_dir, log="0002-next.log"))
    (run_dir / "logs" / "0002-next.log").write_text("running\n")
    f = Follower(RunsSource(tmp_path), RUN, after=5, output=True)
    # the open command's output is sent again from its start; the ended one's is not
    assert _kinds(f.poll()) == ["command_started", "output:'running\\n'"]


def test_without_output_no_log_is_read(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    append(run_dir, command("check", run_dir))
    (run_dir / "logs" / "0001-check.log").write_text("secret-free but unasked\n")
    assert _kinds(Follower(RunsSource(tmp_path), RUN).poll()) == [
        "run_started", "step_started", "command_started"]


def test_an_ssh_command_is_followed_on_every_host(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    cmd = command("check", run_dir)
    cmd[3]["hosts"] = ["web1", "web2"]
    append(run_dir, cmd)
    (run_dir / "logs" / "0001-check.web1.log").write_text("from web1\n")
    (run_dir / "logs" / "0001-check.web2.log").write_text("from web2\n")
    out = [i.output for i in Follower(RunsSource(tmp_path), RUN, output=True).poll() if i.output]
    assert [(o["host"], o["text"]) for o in out] == [("web1", "from web1\n"),
                                                     ("web2", "from web2\n")]


def test_the_stream_ends_once_the_run_ended_and_its_journal_is_quiet(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path, step("check"))
    f = Follower(RunsSource(tmp_path), RUN)
    f.poll()
    f.poll(waited=5.0)
    assert not f.ended  # quiet, but running
    append(run_dir, ended("failed"))
    f.poll()
    assert not f.ended  # its signature or a note may still come
    append(run_dir, note("late note"))
    assert _kinds(f.poll()) == ["note"]
    f.poll(waited=follow.ENDING_GRACE)
    assert f.ended and f.status == "failed"
    append(run_dir, ("run_resumed", None, "alice", {"note": "", "runbook_sha256": "0" * 64,
                                                   "forced": False, "torn": None}))
    f.poll()
    assert not f.ended
