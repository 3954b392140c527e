"""`verify`: is a run's record intact? The hash chain of its journal, the report's
front matter (head hash, event count) and body against that journal, the logs
committed beside it (record/log_copies.py), and the journal's signatures against
the allowed signers (record/signature_check.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl import __version__
from runbookctl.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.record.signature_check import SignatureCheck


def front_matter(text: str) -> dict[str, Any]:
    """The YAML front matter of a report ({} when there is none)."""
    import yaml

    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---\n", 4)
    if end < 0:
        return {}
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _journal_for_report(session: Session, report: Path, meta: dict[str, Any]) -> Path:
    beside = report.with_suffix(".journal.jsonl")  # the copy --commit puts beside it
    if beside.is_file():
        return beside
    from runbookctl.cli.commands.history import runs_root

    run_id = str(meta.get("run_id") or "")
    candidate = runs_root(session) / run_id / "journal.jsonl"
    if run_id and candidate.is_file():
        return candidate
    raise UsageError(f"no journal found for {report}: looked for {beside} and {candidate}")


def _report_problems(report: Path, journal: Path, session: Session) -> list[str]:
    from runbookctl.errors import CorruptJournal
    from runbookctl.record.log_copies import copy_problems
    from runbookctl.record.writeup import final_text, load_journal

    text = report.read_text(encoding="utf-8")
    meta = front_matter(text)
    if not meta:
        return [f"{report}: no front matter: not a runbookctl report, or its header was removed"]
    try:
        replayed, state = load_journal(journal)
    except CorruptJournal as exc:
        return [exc.message]
    events = replayed.events
    problems = []
    if meta.get("journal_hash") != state.head_hash:
        problems.append(f"{report}: front matter journal_hash {meta.get('journal_hash')} does not "
                        f"match the journal's head {state.head_hash}")
    if meta.get("journal_events") != len(events):
        problems.append(f"{report}: front matter says {meta.get('journal_events')} events, the "
                        f"journal has {len(events)}")
    if meta.get("run_id") != state.run_id:
        problems.append(f"{report}: run_id {meta.get('run_id')} is not the journal's {state.run_id}")
    if not problems and meta.get("runbookctl_version") == __version__:
        expected, _kinds = final_text(state, session.registry.template_dirs, report)
        if expected != text:
            problems.append(f"{report}: the body differs from what its journal renders "
                            f"(line {_first_difference(expected, text)}): edited after it was written")
    return problems + copy_problems(report, state)


def _first_difference(a: str, b: str) -> int:
    for number, (x, y) in enumerate(zip(a.splitlines(), b.splitlines(), strict=False), start=1):
        if x != y:
            return number
    return min(len(a.splitlines()), len(b.splitlines())) + 1


def verify(session: Session, target: str, store: bool = False) -> int:
    from runbookctl.record.chain import verify_journal

    path = Path(target)
    if path.suffix in (".md", ".jsonl") and not os.path.exists(path):
        raise UsageError(f"not found: {target}")
    report: Path | None = None
    if path.suffix == ".md" and os.path.isfile(path):
        report = path
        meta = front_matter(path.read_text(encoding="utf-8"))
        journal = _journal_for_report(session, path, meta)
        expect = meta.get("journal_hash")
    else:
        journal = _journal_path(session, path, target)
        expect = None
    problems = verify_journal(journal, expect_head=str(expect) if expect else None)
    if report is not None and not problems:
        problems += _report_problems(report, journal, session)
    signatures = _signatures(session, journal, report)
    problems += signatures.problems
    if store or session.config.store:
        problems += _store_check(session, journal, required=store)
    for line in signatures.lines:
        print(line)
    for problem in problems:
        print(f"TAMPERED: {problem}", file=sys.stderr)
    if problems:
        print(f"{journal}: {len(problems)} problem(s) — the record is not intact", file=sys.stderr)
        return int(ExitCode.FAILED)
    what = f"{report} and {journal}" if report else str(journal)
    if signatures.unsigned is not None and session.config.require_signatures:
        print(f"NOT SIGNED: {what}: {signatures.summary}, and the config requires signatures "
              "(require_signatures)", file=sys.stderr)
        return int(ExitCode.FAILED)
    print(f"ok: {what} intact (hash chain verified; {signatures.summary})")
    return int(ExitCode.OK)


def _store_check(session: Session, journal: Path, required: bool) -> list[str]:
    """The run's rows in the team's store (`--store`, or always with config `store:`): their
    chain, and each row equal to the journal's event of that seq. The store unreachable:
    a problem with --store, else a warning."""
    from runbookctl.cli.commands.store import open_store
    from runbookctl.record.journal import read_journal
    from runbookctl.store.mirror import store_problems
    from runbookctl.store.postgres import StoreUnavailable

    try:
        events = read_journal(journal).events
    except OSError:
        return []  # verify_journal said why
    run_id = str(events[0].data.get("run_id", journal.parent.name)) if events else journal.parent.name
    try:
        db = open_store(session)
        try:
            count, problems = store_problems(db, run_id, journal)
        finally:
            db.close()
    except StoreUnavailable as exc:
        if required:
            return [exc.message]
        print(f"warning: {exc.message}: the store's copy was not checked", file=sys.stderr)
        return []
    print(f"store: {count} of the run's {len(events)} events are in the store {db.name}"
          + ("" if problems else ", chain intact"))
    return problems


def _signatures(session: Session, journal: Path, report: Path | None) -> SignatureCheck:
    """The journal's signatures checked against the allowed signers (config
    allowed_signers, else .runbookctl/allowed_signers in the repository of the record)."""
    from runbookctl.record.journal import read_journal
    from runbookctl.record.signature_check import (
        SignatureCheck,
        check_signatures,
        find_allowed_signers,
    )

    try:
        events = read_journal(journal).events
    except OSError:
        return SignatureCheck()  # verify_journal said why
    near = (report or journal).resolve().parent
    allowed = find_allowed_signers(session.config.allowed_signers, near)
    return check_signatures(journal, events, allowed)


def _journal_path(session: Session, path: Path, target: str) -> Path:
    """A journal file, a run folder, else a run id (history.find_any_run: never a path)."""
    # os.path's tests, not Path's: a name too long for the file system is no file, not a crash
    if os.path.isfile(path):
        return path
    if os.path.isfile(path / "journal.jsonl"):
        return path / "journal.jsonl"
    if os.path.isdir(path) or "/" in target or target in (".", ".."):
        raise UsageError(f"no run folder at {target}: it holds no journal.jsonl (give a report, "
                         "a journal, a run folder or a run id)")
    from runbookctl.cli.commands.history import find_any_run
    from runbookctl.cli.terminal import UI

    return find_any_run(session, UI(sys.stderr), target) / "journal.jsonl"
