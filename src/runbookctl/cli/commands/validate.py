"""`validate`: every problem of every file, as path:line:col. Exit 0 valid, 2 invalid."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from runbookctl.cli.error_handler import shown
from runbookctl.errors import ExitCode, Problem, UsageError, ValidationError
from runbookctl.runbook.registry import RUNBOOK_SUFFIXES

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session


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
    if answers is not None and len(paths) != 1:  # never skipped in silence
        raise UsageError(f"--answers checks an answers file against one runbook; "
                         f"{len(paths)} runbooks were {'given' if names else 'found'}: name "
                         "one (runbookctl validate RUNBOOK --answers FILE)")
    errors = warnings = 0
    checked = None
    for path, problems in zip(paths, _check_all(session, paths), strict=True):
        if answers is not None and len(paths) == 1 and not any(
                p.severity == "error" for p in problems):
            from runbookctl.check.validate import check_answers_file

            checked = session.registry.load_path(path)
            problems += check_answers_file(answers, checked,
                                           resolve_runbook=session.registry.try_load)
        for p in problems:
            print(shown(p.format()), file=sys.stderr)
        errors += sum(1 for p in problems if p.severity == "error")
        warnings += sum(1 for p in problems if p.severity != "error")
    for p in [*_clash_problems(paths), *_inventory_problems(session)]:
        print(shown(p.format()), file=sys.stderr)
        errors += 1
    verdict = "ok" if not errors else "invalid"
    print(f"{len(paths)} runbook(s) checked: {errors} error(s), {warnings} warning(s) — {verdict}",
          file=sys.stderr)
    return int(ExitCode.USAGE if errors else ExitCode.OK)


def _clash_problems(paths: list[Path]) -> list[Problem]:
    """A checked file whose id another file of its folder declares too: an error at the
    second one's `id:`, naming the first (by id, `run` and `list` would get only one)."""
    from runbookctl.positions import Pos
    from runbookctl.runbook.registry import Registry, declared_id, same_folder_clashes
    from runbookctl.runbook.yaml_positions import problem

    checked = {os.path.realpath(p) for p in paths}
    out = []
    for folder in sorted({p.parent for p in paths}):
        declared = [(declared_id(f), f) for f in Registry([folder], []).files()]
        for clash in same_folder_clashes(declared):
            if not checked & {os.path.realpath(clash.first), os.path.realpath(clash.other)}:
                continue
            try:
                text = clash.other.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""  # its own check says why
            line, col = _id_place(text)
            out.append(problem(text, Pos(str(clash.other), line, col), clash.message()))
    return out


def _id_place(text: str) -> tuple[int, int]:
    """Line and column of the top-level `id:` value (registry.declared_id's reading), else
    1:1 (the id is the file name)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("id:"):
            rest = line[3:]
            return number, 4 + len(rest) - len(rest.lstrip())
    return 1, 1


def _inventory_problems(session: Session) -> list[Problem]:
    """Each inventory.yaml on the search path, read as the run reads it (every host spec
    parsed by the run's parser), so that validate ok means the run can resolve hosts."""
    from runbookctl.engine.hosts import inventory_files
    from runbookctl.runbook.inventory import load_inventory

    out: list[Problem] = []
    for path in inventory_files(session.registry.runbook_dirs):
        try:
            load_inventory(path)
        except ValidationError as exc:
            out += exc.problems
    return out


# From this many files, they are checked by a pool of forked processes (one per
# core): 500 runbooks went from 2.0 s to ~1.2 s on 2 cores. Below it the pool's
# start-up (~20 ms) is not worth it.
PARALLEL_FROM = 24
_SESSION: list[Session] = []  # the session forked workers check with


def _check_all(session: Session, paths: list[Path]) -> Iterator[list[Problem]]:
    """Each file's problems, in the order of `paths`."""
    import multiprocessing

    workers = min(os.cpu_count() or 1, 8)
    if (len(paths) < PARALLEL_FROM or workers < 2
            or "fork" not in multiprocessing.get_all_start_methods()):
        return (_check_file(session, path) for path in paths)
    from concurrent.futures import ProcessPoolExecutor

    _SESSION[:] = [session]
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    with pool:
        # Results are collected before the pool closes; map keeps the order.
        return iter(list(pool.map(_check_forked, paths, chunksize=max(1, len(paths) // (workers * 4)))))


def _check_forked(path: Path) -> list[Problem]:
    return _check_file(_SESSION[0], path)


def _check_file(session: Session, path: Path) -> list[Problem]:
    try:
        rb = session.registry.load_path(path)
    except ValidationError as exc:
        return exc.problems
    return session.check(rb)
