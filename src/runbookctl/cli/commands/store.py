"""`store init`, `store sync`, and a run's link to the store (docs/store.md).

Nothing here is imported unless config `store:` is set (or a `store` command runs):
psycopg's import alone is ~120 ms, and start-up is benchmarked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from runbookctl.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.store.postgres import PgStore
    from runbookctl.store.worker import ShipperProcess

# At a run's end the shipper gets this long to send the rest; then `store sync` does it.
FINAL_FLUSH = 2.5


def runs_root(session: Session) -> Path:
    """This state folder's runs (history.runs_root: not imported, history imports this)."""
    from runbookctl.runbook.config import state_dir

    return state_dir(session.config) / "runs"


def store_url(session: Session) -> str:
    """The configured store, or exit 2 saying how to configure one."""
    url = session.config.store
    if not url:
        where = session.config.path or "runbookctl.yaml"
        raise UsageError(f"no store configured: add `store: postgresql://USER@HOST:PORT/DB` to {where} "
                         "(docs/store.md)")
    return url


def open_store(session: Session) -> PgStore:
    from runbookctl.store.postgres import connect

    return connect(store_url(session))


def init_store(session: Session, ui: UI, admin: str | None, role: str | None) -> int:
    """Create or migrate the schema as `admin` (else the configured user), grant `role`."""
    from runbookctl.runbook.config import store_url as checked_url
    from runbookctl.store.postgres import StoreUnavailable, connect, describe
    from runbookctl.store.schema import SCHEMA_VERSION, migrate

    url = session.config.store
    if admin is not None:
        try:
            admin = checked_url(admin)
        except ValueError as exc:
            raise UsageError(f"--admin: {exc}") from None
    if admin is None and url is None:
        store_url(session)  # exit 2: how to configure one
    target = admin or url
    assert target is not None
    grantee = role or _tool_role(url, target)
    store = connect(target, check_schema=False, app="runbookctl store init")
    try:
        applied = migrate(store.conn, grantee)
    except Exception as exc:
        raise StoreUnavailable(f"store init on {describe(target)} failed: "
                               f"{str(exc).strip().splitlines()[0]}") from None
    finally:
        store.close()
    for m in applied:
        ui.info(f"applied migration {m.version}: {m.what}")
    ui.ok(f"the store {describe(target)} is at schema version {SCHEMA_VERSION}"
          + (" (nothing to do)" if not applied else ""))
    if grantee:
        ui.info(f"role {grantee} may INSERT and SELECT events and decisions, nothing more")
    return 0


def _tool_role(url: str | None, target: str) -> str | None:
    """The configured user, when init connects as someone else (the admin)."""
    tool = urlsplit(url).username if url else None
    return tool if tool and tool != urlsplit(target).username else None


def sync_store(session: Session, ui: UI) -> int:
    from runbookctl.record.lock import is_free
    from runbookctl.store.sync import pending_runs, sync_runs

    store = open_store(session)
    try:
        result = sync_runs(pending_runs(runs_root(session), store.name), store, is_free)
    finally:
        store.close()
    for run_id in result.busy:
        ui.info(f"{run_id} is being run now: its run ships its events")
    for problem in result.failed:
        ui.fail(problem)
    ui.ok(f"shipped {result.events} events of {result.runs} runs to the store {store.name}")
    return int(ExitCode.FAILED) if result.failed else 0


def mirrored_runs(session: Session, local: set[str]) -> list[Path]:
    """The team's runs from the store that this state folder does not hold, brought up to
    date in the local mirror (store/mirror.py); the store down: the last copy, and a
    warning on stderr (stdout may be --json)."""
    import sys

    from runbookctl.cli.terminal import UI
    from runbookctl.runbook.config import state_dir
    from runbookctl.store.mirror import mirror_root, mirror_runs, mirrored
    from runbookctl.store.postgres import StoreUnavailable, describe

    url = store_url(session)
    root = mirror_root(state_dir(session.config), describe(url))
    try:
        store = open_store(session)
        try:
            mirror_runs(store, root, local)
        finally:
            store.close()
    except StoreUnavailable as exc:
        UI(sys.stderr).warn(f"{exc.message}: the team's runs as last read from it")
    return [p for p in mirrored(root) if p.name not in local]


def approve_remotely(session: Session, ui: UI, run_id: str, step: str, decision: str, by: str,
                     reason: str | None, via: str = "cli") -> int:
    """`approve` / `reject` of a run this machine does not hold: checked against the run as
    the store has it, then put in the store's decisions table for the machine running it
    (store/decisions.py). Exit 2 when it cannot be decided (not waiting, the operator...)."""
    from runbookctl.record.journal import read_journal
    from runbookctl.store.decisions import propose

    matches = [p for p in mirrored_runs(session, set()) if p.name.startswith(run_id)]
    if len(matches) != 1:
        raise UsageError(f"no run '{run_id}' here nor in the store" if not matches else
                         f"'{run_id}' matches {len(matches)} runs in the store")
    events = read_journal(matches[0] / "journal.jsonl").events
    store = open_store(session)
    try:
        propose(store, events, step, decision, by, reason, via)
    finally:
        store.close()
    word = "approval" if decision == "approve" else "rejection"
    ui.ok(f"{word} of {step} by {by} sent through the store {store.name}: the machine running "
          f"{matches[0].name} journals it")
    return 0


def team_source(session: Session) -> Any:
    """What `serve` and `watch` read with a store: this state folder's runs and the team's
    (web/store_source.py), the mirror kept up to date live while the process runs."""
    from runbookctl.runbook.config import state_dir
    from runbookctl.store.mirror import Refresher, mirror_root
    from runbookctl.store.postgres import connect, describe
    from runbookctl.web.store_source import TeamRunsSource

    url = store_url(session)
    local = runs_root(session)
    mirror = mirror_root(state_dir(session.config), describe(url))
    mirror.mkdir(parents=True, exist_ok=True)

    def local_ids() -> set[str]:
        return {p.name for p in local.iterdir()} if local.is_dir() else set()

    refresher = Refresher(lambda: connect(url), mirror, local_ids).start()
    return TeamRunsSource(local, mirror, refresher)


@dataclass
class StoreLink:
    """A running run's shipper and what its end says about it."""

    shipper: ShipperProcess
    run: Any

    def close(self, ui: UI) -> None:
        """The run has ended: a short last flush, then say what is left for `store sync`."""
        journal = self.run.events.recorder.journal
        journal.sync()
        pending = self.shipper.close(FINAL_FLUSH)
        for data in self.run.events.take_posted():  # reported after the run's last event
            ui.warn(str(data.get("reason", "")))
        if pending:
            ui.warn(f"{pending} events of this run are not in the store yet: "
                    "`runbookctl store sync` ships them (so does the next run)")


def attach(session: Session, run: Any, ui: UI) -> StoreLink | None:
    """Start shipping a run's journal when a store is configured (else None)."""
    url = session.config.store
    if not url:
        return None
    from runbookctl.record import events as ev
    from runbookctl.store.postgres import connect, describe
    from runbookctl.store.shipper import UNREACHABLE
    from runbookctl.store.worker import ShipperProcess

    name = describe(url)
    journal = run.events.recorder.journal

    def report(kind: str, message: str) -> None:
        if kind == UNREACHABLE:
            message = (f"store unreachable: {message}; the run goes on, its events wait in the local "
                       "journal and are shipped when the store is back (or by `runbookctl store sync`)")
        run.events.post(ev.STORE_UNREACHABLE if kind == UNREACHABLE else ev.STORE_REFUSED,
                        store=name, reason=message)

    # In a process of its own (store/worker.py): psycopg and the shipping never hold the
    # run's GIL. It also ships past runs' pending events (`backlog`) once the store answers.
    shipper = ShipperProcess(Path(run.run_dir), url, name, durable=lambda: journal.synced_size,
                             report=report, backlog=runs_root(session))
    run.events.subscribe(shipper.notify, name="the store shipper")
    # A second person on another machine approves through the store (store/decisions.py):
    # the engine waiting here looks there too.
    from runbookctl.store.decisions import StoreDecisions

    sv = run.engine.sv
    sv.decision_sources = (*sv.decision_sources, StoreDecisions(Path(run.run_dir), lambda: connect(url)))
    return StoreLink(shipper.start(), run)
