"""`new` (scaffold a runbook) and `import` (Markdown playbook -> runbooks)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from runbookctl.errors import ExitCode, Problem, RunbookctlError, UsageError, ValidationError

if TYPE_CHECKING:
    from runbookctl.importers.playbook import DraftRunbook


def new_runbook(name: str, *, directory: Path | None = None, force: bool = False,
                runbook_dirs: Sequence[Path] = (), out: TextIO | None = None) -> int:
    """Write DIR/NAME.yaml (DIR: --dir, else the first --runbooks folder, else ./runbooks)."""
    from runbookctl.importers.scaffold import check_name, scaffold_text
    from runbookctl.importers.yaml_text import SCHEMA_FILE

    out = out or sys.stdout
    rb_id = check_name(name)
    folder = directory or (runbook_dirs[0] if runbook_dirs else Path("runbooks"))
    path = folder / f"{rb_id}.yaml"
    if path.exists() and not force:
        raise UsageError(f"{path} already exists (use --force to overwrite it)")
    text = scaffold_text(rb_id, str(path))
    self_check(text, str(path))
    _write(path, text)
    print(f"wrote {path}", file=out)
    if not (folder / SCHEMA_FILE).exists():
        print(f"editor completion: runbookctl schema > {folder / SCHEMA_FILE}", file=out)
    print(f"next: edit it, then `runbookctl validate {path}` and `runbookctl run {path} --dry-run`",
          file=out)
    return int(ExitCode.OK)


def import_playbook(playbook: str, *, output: str | None = None, id_prefix: str = "",
                    force: bool = False, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Markdown playbook -> runbooks: a YAML stream on stdout, or one file each in `output`."""
    from runbookctl.importers.playbook import import_markdown
    from runbookctl.importers.yaml_text import render_runbook, render_stream

    out, err = out or sys.stdout, err or sys.stderr
    text, source = _read_playbook(playbook)
    books = import_markdown(text, source, id_prefix)
    if not books:
        raise UsageError(f"{playbook}: nothing to import: no numbered steps, checklists or code "
                         f"blocks found")
    for rb in books:
        self_check(render_runbook(rb, source), f"{rb.id}.yaml")
    if output is None or output == "-":
        out.write(render_stream(books, source))
        for rb in books:
            print(f"{rb.id}: {_describe(rb)}", file=err)
        return int(ExitCode.OK)
    return _write_files(books, source, Path(output), force, out)


def _read_playbook(playbook: str) -> tuple[str, str]:
    if playbook == "-":
        return sys.stdin.read(), "stdin.md"
    path = Path(playbook)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {playbook}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig"), path.name
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), path.name  # a Windows-saved playbook


def _write_files(books: list[DraftRunbook], source: str, folder: Path, force: bool,
                 out: TextIO) -> int:
    from runbookctl.importers.yaml_text import SCHEMA_FILE, render_runbook

    paths = [folder / f"{rb.id}.yaml" for rb in books]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise UsageError(f"would overwrite {', '.join(existing)} (use --force)")
    for rb, path in zip(books, paths, strict=True):
        _write(path, render_runbook(rb, source))
        print(f"wrote {path}: {_describe(rb)}", file=out)
    if not (folder / SCHEMA_FILE).exists():
        print(f"editor completion: runbookctl schema > {folder / SCHEMA_FILE}", file=out)
    print(f"next: review the TODO notes, then `runbookctl validate {folder}`", file=out)
    return int(ExitCode.OK)


def _describe(rb: DraftRunbook) -> str:
    from runbookctl.importers.playbook import step_counts, todo_count

    counts = ", ".join(f"{n} {action}" for action, n in step_counts(rb).items())
    extra = f", {len(rb.inputs)} input(s)" if rb.inputs else ""
    return f"{len(rb.steps)} steps ({counts}){extra}, {todo_count(rb)} TODO note(s)"


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def self_check(text: str, path: str) -> None:
    """Load and check generated YAML: a runbook we write that does not validate is our bug."""
    from runbookctl.check.validate import check_runbook
    from runbookctl.runbook.loader import load_runbook_text

    try:
        rb = load_runbook_text(text, path)
        problems = check_runbook(rb, text, resolve_runbook=lambda _: None,
                                 template_source=lambda _: None)
    except ValidationError as exc:
        problems = exc.problems
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise RunbookctlError(f"generated an invalid runbook (a bug in runbookctl):\n"
                              f"{_format(errors)}", ExitCode.INTERNAL)


def _format(problems: list[Problem]) -> str:
    return "\n".join(p.format() for p in problems)
