"""The team's run store (issue 18, docs/store.md) against a real PostgreSQL: runs from
two state folders at once, the server stopped in the middle of a run, a second
machine's `runs`, `report` and `verify --store`, and the append-only guarantees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import cli_env, journal_events, only_run_dir, run_cli, write
from tests.services import TeamStore, postgres, team_store

pytestmark = pytest.mark.integration
__all__ = ["postgres", "team_store"]  # the fixtures, imported by name


def _runbook(folder: Path, steps: int = 12) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f"  - id: s{i}\n    run: echo step {i}\n" for i in range(steps))
    return write(folder / "many.yaml", "id: many\ntitle: Many steps\nsteps:\n" + body)


def _init(store: TeamStore, cwd: Path) -> str:
    """`store init` as the admin, from a folder whose config names the tool's store: the
    tool's role (the config's user) is granted what it may do."""
    store.config(cwd)
    result = run_cli(["store", "init", "--admin", store.admin_url], cwd=cwd, state=cwd / "state")
    assert result.code == 0, result.output
    return result.output


def _machine(store: TeamStore, root: Path, name: str) -> Path:
    """A machine: its own folder with the config naming the store, its own state folder."""
    folder = root / name
    store.config(folder, reports_dir=str(folder / "reports"))
    return folder


def _journal_lines(run_dir: Path) -> list[str]:
    return (run_dir / "journal.jsonl").read_text().splitlines()


def test_init_twice_creates_the_schema_once_and_the_tool_role_cannot_change_an_event(
        team_store: TeamStore, tmp_path: Path) -> None:
    first = _init(team_store, tmp_path)
    assert "applied migration 1" in first
    again = _init(team_store, tmp_path)
    assert "nothing to do" in again and "applied migration" not in again
    assert team_store.sql("select version from schema_version") == "1"

    machine = _machine(team_store, tmp_path, "m1")
    _runbook(machine)
    assert run_cli(["--runbooks", str(machine), "run", "many", "--no-input"], cwd=machine,
                   state=machine / "state").code == 0
    with pytest.raises(RuntimeError) as update:
        team_store.sql("update events set type = 'x' where seq = 1", user=team_store.tool)
    assert "ERROR:  permission denied for table events" in str(update.value)
    with pytest.raises(RuntimeError) as delete:
        team_store.sql("delete from events", user=team_store.tool)
    assert "ERROR:  permission denied for table events" in str(delete.value)
    with pytest.raises(RuntimeError) as truncate:
        team_store.sql("truncate events", user=team_store.tool)
    assert "ERROR:  permission denied for table events" in str(truncate.value)
    # even the admin, who owns the table, meets the trigger
    with pytest.raises(RuntimeError) as by_admin:
        team_store.sql("delete from events where seq = 1")
    assert ("ERROR:  runbookctl store: DELETE on events refused: the run store is append-only"
            in str(by_admin.value))
    assert int(team_store.sql("select count(*) from events")) == 12 * 5 + 2


def test_two_machines_at_once_both_fully_in_the_store_and_each_sees_the_others_run(
        team_store: TeamStore, tmp_path: Path) -> None:
    _init(team_store, tmp_path)
    machines = [_machine(team_store, tmp_path, name) for name in ("m1", "m2")]
    procs = []
    for machine in machines:
        _runbook(machine, steps=40)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "runbookctl", "--runbooks", str(machine), "run", "many",
             "--no-input"], cwd=machine, env=cli_env(machine / "state"), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        assert "not in the store yet" not in out
    run_dirs = [only_run_dir(m / "state") for m in machines]
    for machine, run_dir in zip(machines, run_dirs, strict=True):
        assert team_store.lines(run_dir.name) == _journal_lines(run_dir)
        checked = run_cli(["verify", run_dir.name, "--store"], cwd=machine, state=machine / "state")
        assert checked.code == 0, checked.output
        assert f"store: {len(_journal_lines(run_dir))} of the run's" in checked.stdout
        assert "chain intact" in checked.stdout

    # the second machine's history has the first machine's run, read from the store
    m1_run, m2 = run_dirs[0].name, machines[1]
    rows = json.loads(run_cli(["runs", "--json"], cwd=m2, state=m2 / "state").stdout)
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {d.name for d in run_dirs}
    assert by_id[m1_run]["status"] == "completed" and by_id[m1_run]["runbook"] == "many"
    # ... and can render its report and verify it from there
    report = run_cli(["report", m1_run, "--output", "-"], cwd=m2, state=m2 / "state")
    assert report.code == 0 and f'run_id: "{m1_run}"' in report.stdout
    assert run_cli(["verify", m1_run, "--store"], cwd=m2, state=m2 / "state").code == 0
    assert not (machines[0] / "state" / "store").exists()  # the first machine mirrors nothing


def test_the_server_stopped_mid_run_the_run_completes_warns_once_then_sync_ships_all_once(
        team_store: TeamStore, tmp_path: Path) -> None:
    _init(team_store, tmp_path)
    machine = _machine(team_store, tmp_path, "m1")
    stop = write(tmp_path / "stop-db.sh", "#!/bin/sh\nexec " + " ".join(team_store.pg.stop_command()) + "\n")
    stop.chmod(0o755)
    pg = team_store.pg
    count = f"psql -X -At -h {pg.host} -p {pg.port} -U {pg.user} -d {team_store.db} -c"
    write(machine / "outage.yaml", f"""\
        id: outage
        title: The store goes down in the middle
        steps:
          - id: before
            run: echo before
          - id: until-shipped
            run: {count} "select count(*) from events where run_id = '{{{{ run.id }}}}'"
            until: result.stdout | int > 0
            every: 0.1s
            within: 60s
          - id: stop-the-store
            run: {stop}
          - id: until-warned  # the pattern does not match this command's own text
            run: grep -q 'store_unrea[c]hable' "$RUNBOOKCTL_STATE_DIR/runs/{{{{ run.id }}}}/journal.jsonl"
            until: result.exit_code == 0
            every: 0.1s
            within: 60s
          - id: after
            run: echo after
        """)
    result = run_cli(["--runbooks", str(machine), "run", "outage", "--no-input"], cwd=machine,
                     state=machine / "state")
    assert result.code == 0, result.output
    assert result.output.count("store unreachable: ") == 1, result.output
    assert "not in the store yet: `runbookctl store sync` ships them" in result.output
    run_dir = only_run_dir(machine / "state")
    events = journal_events(run_dir)
    assert [e["type"] for e in events].count("store_unreachable") == 1
    assert events[-1]["type"] in ("run_finished", "record_signed")

    team_store.pg.restart()
    before = team_store.lines(run_dir.name)
    assert 0 < len(before) < len(events)
    assert before == _journal_lines(run_dir)[:len(before)]
    synced = run_cli(["store", "sync"], cwd=machine, state=machine / "state")
    assert synced.code == 0, synced.output
    assert f"shipped {len(events) - len(before)} events of 1 runs" in synced.output
    assert team_store.lines(run_dir.name) == _journal_lines(run_dir)  # each once, in order
    again = run_cli(["store", "sync"], cwd=machine, state=machine / "state")
    assert "shipped 0 events of 0 runs" in again.output
    assert team_store.lines(run_dir.name) == _journal_lines(run_dir)


def test_a_password_in_the_config_file_is_refused_with_its_place(tmp_path: Path) -> None:
    write(tmp_path / "runbookctl.yaml", "reports_dir: reports\nstore: postgresql://rb:s3cret@db:5432/runs\n")
    result = run_cli(["runs"], cwd=tmp_path, state=tmp_path / "state")
    assert result.code == 2
    assert ("runbookctl.yaml:2:8: store: a password must not be written in the config file: "
            "give it in $PGPASSWORD or ~/.pgpass") in result.stderr
    assert "s3cret" not in result.stderr.replace("postgresql://rb:s3cret@db", "")


def test_the_run_goes_on_when_the_store_is_down_from_the_start(team_store: TeamStore,
                                                              tmp_path: Path) -> None:
    machine = _machine(team_store, tmp_path, "m1")  # `store init` never ran: not usable
    _runbook(machine, steps=3)
    result = run_cli(["--runbooks", str(machine), "run", "many", "--no-input"], cwd=machine,
                     state=machine / "state")
    assert result.code == 0, result.output
    assert "Run completed" in result.output
    assert result.output.count("store unreachable: the store rbtool@") == 1
    assert result.output.count("the store has no runbookctl tables: an admin runs `runbookctl "
                               "store init` first") == 1, result.output
    assert "events of this run are not in the store yet" in result.output


def test_an_approval_given_on_another_machine_reaches_the_waiting_run_through_the_store(
        team_store: TeamStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from runbookctl.cli.commands.store import approve_remotely
    from runbookctl.record import events as ev
    from runbookctl.record.journal import Journal
    from runbookctl.runbook.config import Config
    from runbookctl.store.decisions import StoreDecisions
    from runbookctl.store.postgres import connect

    _init(team_store, tmp_path)
    m1, m2 = (_machine(team_store, tmp_path, n) for n in ("m1", "m2"))
    run_dir = m1 / "state" / "runs" / "20261201T000000Z-db-0001"
    run_dir.mkdir(parents=True)
    with Journal.create(run_dir / "journal.jsonl") as j:  # a run waiting for approval on m1
        j.append(ev.RUN_STARTED, None, "alice", {"run_id": run_dir.name, "runbook": "db"})
        j.append(ev.APPROVAL_REQUESTED, "drop", "runbookctl", {"operator": "alice"})
    assert run_cli(["store", "sync"], cwd=m1, state=m1 / "state").code == 0

    monkeypatch.setenv("RUNBOOKCTL_STATE_DIR", str(m2 / "state"))
    session = SimpleNamespace(config=Config(path=m2 / "runbookctl.yaml", store=team_store.url()))
    said: list[str] = []
    ui = SimpleNamespace(ok=said.append)
    assert approve_remotely(session, ui, "20261201T000000Z-db", "drop", "approve", "bob",  # type: ignore[arg-type]
                            "looks right") == 0
    assert "sent through the store" in said[0]
    with pytest.raises(Exception, match="must not be the run's operator"):
        approve_remotely(session, ui, run_dir.name, "drop", "approve", "alice", None)  # type: ignore[arg-type]

    source = StoreDecisions(run_dir, lambda: connect(team_store.url()))
    found = source.poll(run_dir.name, "drop")
    source.close()
    assert found is not None
    assert (found.decision, found.by, found.reason, found.via) == ("approve", "bob", "looks right", "store")


def test_a_second_machines_serve_shows_the_first_machines_run_live(team_store: TeamStore,
                                                                 tmp_path: Path) -> None:
    import httpx

    from tests.serve_helpers import SSE, gated_runbook, release_gates, start_run, start_server
    from tests.waiting import wait_for

    _init(team_store, tmp_path)
    m1, m2 = (_machine(team_store, tmp_path, n) for n in ("m1", "m2"))
    server = start_server(m2 / "state", m2)
    run = start_run(m1 / "state", m1, gated_runbook(m1))
    try:
        def running_there() -> dict[str, object] | None:
            rows = httpx.get(f"{server.url}/api/runs", timeout=30).json()
            found = [r for r in rows if r["status"] == "running"
                     and (r.get("current_step") or {}).get("key") == "two"]
            return found[0] if found else None

        row = wait_for("m1's run, waiting in step two, on m2's serve", running_there, deadline=60,
                       alive=lambda: run.poll() is None)
        run_id = str(row["id"])
        assert not (m2 / "state" / "runs").exists()  # m2 never ran anything: it came from the store
        url = f"{server.url}/api/runs/{run_id}/events"
        with httpx.Client(timeout=60) as client, client.stream("GET", url) as response:
            sse = SSE(response.iter_lines())
            (m1 / "gates" / "go-two").touch()
            (m1 / "gates" / "go-three").touch()
            end = sse.until(lambda m: m.get("event") == "end", limit=2000)
        assert end["json"] == {"status": "completed"}
        assert run.wait(timeout=60) == 0
        ids = [int(m["id"]) for m in sse.messages if "id" in m]
        assert ids == list(range(1, len(ids) + 1))  # every event once, in order
    finally:
        release_gates(m1)
        run.kill()
        run.wait(timeout=30)
        server.stop()


def test_a_run_waiting_on_one_machine_is_approved_from_another_through_the_cli(
        team_store: TeamStore, tmp_path: Path) -> None:
    """#18's check end to end: `runbookctl approve` on m2 releases the step waiting on m1,
    and m1's report names the approver."""
    from tests.waiting import wait_event, wait_for

    _init(team_store, tmp_path)
    m1, m2 = (_machine(team_store, tmp_path, n) for n in ("m1", "m2"))
    write(m1 / "gated.yaml", "id: gated\ntitle: Gated\nsteps:\n"
                             "  - {id: check, run: echo checked}\n"
                             "  - {id: drop, approval: required, run: echo dropped}\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbookctl", "--runbooks", str(m1), "run", "gated", "--no-input"],
        cwd=m1, env=cli_env(m1 / "state", RUNBOOKCTL_OPERATOR="alice"),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_event(m1 / "state", "approval_requested", "drop", alive=lambda: proc.poll() is None)
        run_id = only_run_dir(m1 / "state").name
        wait_for("the request in the store",
                 lambda: any('"approval_requested"' in line for line in team_store.lines(run_id)))
        self_approval = run_cli(["approve", run_id, "drop", "--as", "alice"], cwd=m2,
                                state=m2 / "state")
        assert self_approval.code == 2 and "must not be the run's operator" in self_approval.output
        approved = run_cli(["approve", run_id, "drop", "--as", "bob"], cwd=m2, state=m2 / "state")
        assert approved.code == 0, approved.output
        out, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, out
    events = journal_events(only_run_dir(m1 / "state"))
    decided = [e for e in events if e["type"] == "approval_decided"]
    assert [(e["data"]["decision"], e["data"]["by"], e["data"]["via"]) for e in decided] == [
        ("approve", "bob", "store")]
    assert "dropped" in out
    report = next((m1 / "reports").glob("*.md")).read_text()
    assert "bob" in report
