"""`list`, `show` and `schema`."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from runbookctl.errors import ValidationError

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.runbook.model import Runbook


def list_runbooks(session: Session, ui: UI, *, as_json: bool, tag: str | None) -> int:
    from runbookctl.positions import shown_name

    rows: list[dict[str, Any]] = []
    for rb_id, path in sorted(session.registry.ids().items()):
        try:
            rb = session.registry.load_path(path)
        except ValidationError as exc:
            rows.append({"id": rb_id, "title": f"(invalid: {len(exc.problems)} problem(s))",
                         "severity": None, "steps": None, "tags": [], "source": str(path)})
            continue
        rows.append({"id": rb.id, "title": rb.title, "severity": rb.severity,
                     "steps": len(rb.steps), "tags": list(rb.tags), "source": str(path)})
    if tag:
        rows = [r for r in rows if tag in r["tags"]]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    # An id is what `run` takes: never cut or folded; the title and source wrap.
    longest = max((len(shown_name(str(r["id"]))) for r in rows), default=2)
    table.add_column("id", no_wrap=True, min_width=longest)
    for name in ("title", "severity", "steps", "source"):
        table.add_column(name)
    for r in rows:
        # an invalid runbook's id is its file name, which may hold anything
        table.add_row(shown_name(str(r["id"])), str(r["title"]), str(r["severity"] or ""),
                      str(r["steps"] or ""), shown_name(_short_source(str(r["source"]))))
    ui.console.print(table)
    return 0


def _short_source(path: str) -> str:
    """`bundled`, or the path relative to the working folder when it is below it."""
    from pathlib import Path

    from runbookctl.runbook.config import bundled_dir

    p = Path(path)
    if p.parent == bundled_dir("runbooks"):
        return "bundled"
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def show_runbook(session: Session, ui: UI, name: str, *, graph: bool) -> int:
    rb = session.registry.load(name)
    if graph:
        from runbookctl.runbook.graph import mermaid

        print(mermaid(rb))
        return 0
    _show_text(rb, ui)
    return 0


def _show_text(rb: Runbook, ui: UI) -> None:
    from rich.markup import escape as esc

    out = ui.console
    out.print(f"[bold]{esc(rb.title)}[/] [dim]({rb.id}{', ' + rb.severity if rb.severity else ''})[/]")
    if rb.summary:
        out.print(esc(rb.summary))
    out.print(f"[dim]{esc(rb.path)}[/]")
    if rb.inputs:
        out.print("\n[bold]Inputs[/]")
        for spec in rb.inputs:
            default = f" = {spec.default!r}" if spec.default is not None else ""
            about = esc(spec.help or spec.prompt or "")
            out.print(f"  {spec.name}: {spec.type}{esc(default)}  [dim]{about}[/]")
    if rb.secrets:
        out.print("\n[bold]Secrets[/]")
        for s in rb.secrets:
            out.print(f"  {s.name} [dim](env {s.env or s.name})[/]")
    out.print("\n[bold]Steps[/]")
    for i, step in enumerate(rb.steps, 1):
        flags = [f for f, on in (("dangerous", step.dangerous), ("readonly", step.readonly),
                                 ("confirm", step.confirm is not None)) if on]
        extra = f" [yellow]{' '.join(flags)}[/]" if flags else ""
        out.print(f"  {i:>2}. [cyan]{step.id}[/] [dim]{step.action}[/]{extra}  {esc(step.label)}")
        if step.is_command:
            lines = [ln for ln in step.text.strip().splitlines() if ln.strip()]
            more = f"  (+{len(lines) - 1} more lines)" if len(lines) > 1 else ""
            first = lines[0] if lines else ""
            out.print(f"      [dim]$ {esc(first[:110])}{'…' if len(first) > 110 else ''}{more}[/]")
        if step.when:
            out.print(f"      [dim]when {esc(step.when)}[/]")
        for b in step.next:
            cond = f"if {b.cond} " if b.cond else ""
            out.print(f"      [dim]next: {esc(cond)}→ {b.goto}[/]")


def print_schema() -> int:
    from runbookctl.runbook.schema import runbook_schema

    json.dump(runbook_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
