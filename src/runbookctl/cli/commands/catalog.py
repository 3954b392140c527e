"""`list`, `show` and `schema`."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.runbook.model import Runbook


def list_runbooks(session: Session, *, as_json: bool, tag: str | None) -> int:
    """The table (or JSON) of the runbooks on the search path; plain text, so no UI
    (cli/terminal.py and what it loads cost ~5 ms of the listing's start)."""
    from runbookctl.cli.columns import columns
    from runbookctl.positions import shown_name
    from runbookctl.runbook.index import listing

    found, clashes = listing(session.registry, _index_file(session))
    for clash in clashes:  # on stderr: stdout may be --json
        print(f"warning: {shown_name(str(clash.other))}: {clash.message()} (listed: "
              f"{shown_name(str(clash.first))})", file=sys.stderr)
    rows: list[dict[str, Any]] = [
        {"id": s.id, "title": s.title, "severity": s.severity, "steps": s.steps,
         "tags": list(s.tags), "source": s.source}
        for s in found]
    if tag:
        rows = [r for r in rows if tag in r["tags"]]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    from runbookctl.safety.masking import sanitize_terminal as inert

    sources = _short_sources([str(r["source"]) for r in rows])
    # A runbook's text reaches the terminal made inert, escapes visible, as a run shows it.
    cells = [[inert(shown_name(str(r["id"]))), inert(str(r["title"])),
              inert(str(r["severity"] or "")), str(r["steps"] or ""), inert(shown_name(src))]
             for r, src in zip(rows, sources, strict=True)]
    print(columns(["id", "title", "severity", "steps", "source"], cells, wrap=1))
    return 0


def _index_file(session: Session) -> Path:
    """Where the listing's index lives: the state folder (runbook/index.py)."""
    from runbookctl.runbook.config import state_dir

    return state_dir(session.config) / "index" / "runbooks.json"


def _short_sources(paths: list[str]) -> list[str]:
    """`bundled`, or the path relative to the working folder when it is below it (as
    Path.resolve and relative_to say, on strings: pathlib's objects cost ~10 ms for 500
    runbooks, and each folder is resolved once, not once a file)."""
    import os

    from runbookctl.runbook.config import bundled_dir

    bundled, below = str(bundled_dir("runbooks")), os.path.join(os.path.realpath("."), "")
    folders: dict[str, str] = {}
    out = []
    for path in paths:
        folder, name = os.path.split(path)
        if folder == bundled:
            out.append("bundled")
            continue
        if os.path.islink(path):
            real = os.path.realpath(path)
        else:
            if folder not in folders:
                folders[folder] = os.path.realpath(folder or ".")
            real = os.path.join(folders[folder], name)
        out.append(real[len(below):] if real.startswith(below) else path)
    return out


def show_runbook(session: Session, ui: UI, name: str, *, graph: bool) -> int:
    rb = session.registry.load(name)
    if graph:
        from runbookctl.runbook.graph import mermaid

        print(mermaid(rb))
        return 0
    _show_text(rb, ui)
    return 0


def _show_text(rb: Runbook, ui: UI) -> None:
    from rich.markup import escape

    from runbookctl.safety.masking import sanitize_terminal

    def esc(text: object) -> str:
        """A runbook's text as markup-free, inert text: escapes made visible."""
        return escape(sanitize_terminal(str(text)))

    out = ui.console
    severity = f", {esc(rb.severity)}" if rb.severity else ""
    out.print(f"[bold]{esc(rb.title)}[/] [dim]({esc(rb.id)}{severity})[/]")
    if rb.summary:
        out.print(esc(rb.summary))
    out.print(f"[dim]{esc(rb.path)}[/]")
    if rb.inputs:
        out.print("\n[bold]Inputs[/]")
        for spec in rb.inputs:
            default = f" = {spec.default!r}" if spec.default is not None else ""
            about = esc(spec.help or spec.prompt or "")
            out.print(f"  {esc(spec.name)}: {spec.type}{esc(default)}  [dim]{about}[/]")
    if rb.secrets:
        out.print("\n[bold]Secrets[/]")
        for s in rb.secrets:
            out.print(f"  {esc(s.name)} [dim](env {esc(s.env or s.name)})[/]")
    out.print("\n[bold]Steps[/]")
    for i, step in enumerate(rb.steps, 1):
        flags = [f for f, on in (("dangerous", step.dangerous), ("readonly", step.readonly),
                                 ("confirm", step.confirm is not None)) if on]
        extra = f" [yellow]{' '.join(flags)}[/]" if flags else ""
        out.print(f"  {i:>2}. [cyan]{esc(step.id)}[/] [dim]{step.action}[/]{extra}  "
                  f"{esc(step.label)}")
        if step.is_command:
            lines = [ln for ln in step.text.strip().splitlines() if ln.strip()]
            more = f"  (+{len(lines) - 1} more lines)" if len(lines) > 1 else ""
            first = lines[0] if lines else ""
            out.print(f"      [dim]$ {esc(first[:110])}{'…' if len(first) > 110 else ''}{more}[/]")
        if step.when:
            out.print(f"      [dim]when {esc(step.when)}[/]")
        for b in step.next:
            cond = f"if {b.cond} " if b.cond else ""
            out.print(f"      [dim]next: {esc(cond)}→ {esc(b.goto)}[/]")


def print_schema() -> int:
    from runbookctl.runbook.schema import runbook_schema

    json.dump(runbook_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
