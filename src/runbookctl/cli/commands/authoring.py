"""`new` (scaffold a runbook) and `import` (Markdown playbook -> runbooks)."""

from __future__ import annotations

import re
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


def import_playbook(playbooks: str | Sequence[str], *, output: str | None = None, id_prefix: str = "",
                    force: bool = False, split: bool = False, review: str | None = None,
                    out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Markdown playbooks -> runbooks: a YAML stream on stdout, or one file each in `output`.

    Ids stay unique across the files of one import and the runbooks already in
    `output` that came from other playbooks; the review list is printed (and
    written to `review`)."""
    from runbookctl.importers.playbook import import_markdown
    from runbookctl.importers.review import render_review
    from runbookctl.importers.yaml_text import render_runbook, render_stream

    out, err = out or sys.stdout, err or sys.stderr
    playbooks = [playbooks] if isinstance(playbooks, str) else list(playbooks)
    folder = None if output is None or output == "-" else Path(output)
    sources = [_read_playbook(p) for p in playbooks]
    taken = _ids_in(folder, {source for _, source in sources}) if folder else set()
    books: list[tuple[str, DraftRunbook]] = []
    empty = []
    for playbook, (text, source) in zip(playbooks, sources, strict=True):
        found = import_markdown(text, source, id_prefix, split=split, taken=taken)
        empty += [] if found else [playbook]
        books += [(source, rb) for rb in found]
    if empty and not books:
        raise UsageError(f"{', '.join(empty)}: nothing to import: no text, steps, checklists or "
                         f"code blocks found" + (" under a procedure heading" if split else ""))
    for playbook in empty:  # the other files of the import go on
        print(f"skipped {playbook}: nothing to import", file=err)
    for source, rb in books:
        self_check(render_runbook(rb, source), f"{rb.id}.yaml")
    listing = render_review(books)
    if review:
        _write(Path(review), listing)
    if folder is None:
        for source in dict.fromkeys(s for s, _ in books):
            out.write(render_stream([rb for s, rb in books if s == source], source))
        for _, rb in books:
            print(f"{rb.id}: {_describe(rb)}", file=err)
        print(listing, file=err)
        return int(ExitCode.OK)
    code = _write_files(books, folder, force, out)
    print(listing, file=out)
    if review:
        print(f"review list written to {review}", file=out)
    return code


def _ids_in(folder: Path, sources: set[str]) -> set[str]:
    """Runbook ids already in `folder` imported from other playbooks: this import takes other
    ids (a file imported from one of `sources`, or not imported, is overwritten only with --force)."""
    taken: set[str] = set()
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:600]
        except OSError:
            continue
        origin = re.search(r"^# Imported from (.+?) by `runbookctl import`", head, re.MULTILINE)
        if origin is not None and origin.group(1) not in sources:
            taken.add(path.stem)  # not ours to overwrite: this import takes another id
    return taken


def _read_playbook(playbook: str) -> tuple[str, str]:
    """The playbook's text and name. Bytes, decoded here as for a file (stdin too: read as
    text, a Latin-1 byte came as a surrogate that no runbook could hold)."""
    path = Path(playbook)
    try:
        raw = sys.stdin.buffer.read() if playbook == "-" else path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {playbook}: {exc.strerror}") from None
    name = "stdin.md" if playbook == "-" else path.name
    try:
        return raw.decode("utf-8-sig"), name
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace"), name  # a Windows-saved playbook


def _write_files(books: list[tuple[str, DraftRunbook]], folder: Path, force: bool,
                 out: TextIO) -> int:
    from runbookctl.importers.yaml_text import SCHEMA_FILE, render_runbook

    paths = [folder / f"{rb.id}.yaml" for _, rb in books]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise UsageError(f"would overwrite {', '.join(existing)}, imported from the same playbook "
                         f"(use --force)")
    for (source, rb), path in zip(books, paths, strict=True):
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
