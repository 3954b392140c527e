"""What the shell scanner says of each value in a template (shared by the safety tests)."""

from __future__ import annotations

from runbookctl.safety.shell_contexts import SENTINEL, Ctx
from runbookctl.safety.shell_scan import scan


def kinds(template: str, dialect: str = "sh") -> list[str]:
    """The context kind of each `{}` in `template`."""
    parts = template.split("{}")
    text = "".join(p + (SENTINEL.format(i) if i < len(parts) - 1 else "") for i, p in enumerate(parts))
    found: dict[int, Ctx] = {}

    def emit(index: int, ctx: Ctx) -> str:
        found[index] = ctx
        return "x"

    scan(text, emit, dialect=dialect, check_bodies=False)
    return [found[i].kind for i in sorted(found)]
