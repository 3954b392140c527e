"""`validate`: every problem of every file, as path:line:col. Exit 0 valid, 2 invalid."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.errors import ExitCode, Problem, UsageError, ValidationError
from runbookctl.registry import RUNBOOK_SUFFIXES

if TYPE_CHECKING:
    from runbookctl.session import Session


def _targets(session: Session, names: list[str]) -> list[Path]:
    if not names:
        return list(session.registry.ids().values())
    out: list[Path] = []
    for name in names:
        p = Path(name)
        if p.is_dir():
            session.registry.add_dir(p)  # runbooks there may include one another
            out += sorted(f for f in p.iterdir() if f.suffix in RUNBOOK_SUFFIXES
                          and f.name != "inventory.yaml")
        else:
            out.append(session.registry.find(name))
    return out


def validate(session: Session, names: list[str], answers: Path | None) -> int:
    paths = _targets(session, names)
    if not paths:
        raise UsageError("no runbooks found to validate")
    errors = warnings = 0
    checked = None
    for path in paths:
        problems = _check_file(session, path)
        if answers is not None and len(paths) == 1 and not any(
                p.severity == "error" for p in problems):
            from runbookctl.validate import check_answers_file

            checked = session.registry.load_path(path)
            problems += check_answers_file(answers, checked,
                                           resolve_runbook=session.registry.try_load)
        for p in problems:
            print(p.format(), file=sys.stderr)
        errors += sum(1 for p in problems if p.severity == "error")
        warnings += sum(1 for p in problems if p.severity != "error")
    verdict = "ok" if not errors else "invalid"
    print(f"{len(paths)} runbook(s) checked: {errors} error(s), {warnings} warning(s) — {verdict}",
          file=sys.stderr)
    return int(ExitCode.USAGE if errors else ExitCode.OK)


def _check_file(session: Session, path: Path) -> list[Problem]:
    try:
        rb = session.registry.load_path(path)
    except ValidationError as exc:
        return exc.problems
    return session.check(rb)
