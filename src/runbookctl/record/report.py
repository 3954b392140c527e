"""Renders a RunState as the Markdown incident report (templates/report.md.j2)."""

from __future__ import annotations

import os
import re
import stat
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runbookctl.durations import format_elapsed
from runbookctl.outcomes import RunStatus, StepStatus
from runbookctl.record.front_page import (
    FIELDS,
    action_items,
    approvals,
    headline,
    key_times,
    responders,
    review_fields,
    signer,
)
from runbookctl.record.host_groups import by_outcome, many_hosts, output_groups
from runbookctl.record.path_chart import mermaid_path as mermaid_path
from runbookctl.record.run_state import RunState, StepRecord
from runbookctl.record.timeline import compact_timeline, no_repeats, short_actor
from runbookctl.runbook.values import answer_text

if TYPE_CHECKING:
    from jinja2 import Environment, Template

# Ask steps whose answers form the post-incident review section.
REVIEW_IDS = ("root-cause", "impact", "resolution", "prevention", "action-items",
              "lessons-learned", "timeline", "detection")

_STATUS_ICON = {StepStatus.OK: "✅", StepStatus.FAILED: "❌", StepStatus.SKIPPED: "⏭️",
                StepStatus.DRY_RUN: "🧪", StepStatus.RUNNING: "❓", StepStatus.INTERRUPTED: "⏸️",
                RunStatus.ABANDONED: "🗑️", "warning": "⚠️"}


def report_name(state: RunState) -> str:
    """`<YYYY-MM-DD>-<HHMM>-<runbook>.md`, or `weekly/<YYYY>-W<WW>-<day>.md`."""
    started = _parse(state.started)
    match = re.fullmatch(r"weekly-(\w+)", state.runbook)
    if match:
        year, week, _ = started.isocalendar()
        return f"weekly/{year}-W{week:02d}-{match.group(1)}.md"
    return f"{started:%Y-%m-%d-%H%M}-{state.runbook}.md"


def _parse(ts: str) -> datetime:
    try:
        return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return datetime(1970, 1, 1)


def render_report(state: RunState, template_source: str, version: str,
                  logs: dict[str, dict[str, Any]] | None = None, *, bundled: bool = False) -> str:
    """The report text; `template_source` is report.md.j2 (user's or bundled); `logs`:
    the logs committed beside the report, by file name (record/log_copies.py).

    A team's own template is rendered in jinja2's sandbox; `bundled`, runbookctl's own
    is not: it is our code, and the sandbox's checks of every attribute were a third of
    the rendering (10 of 34 ms for 500 steps). The run's data is data either way."""
    from jinja2 import Environment, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from runbookctl.safety.templating import require_safe_jinja2

    require_safe_jinja2()

    kind = Environment if bundled else SandboxedEnvironment
    env = kind(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
               keep_trailing_newline=True)
    env.filters.update(cell=cell, md=md_inline, fence=fence, duration=format_elapsed, yaml_str=yaml_str,
                       shown=shown_value, who=lambda actor: md_inline(short_actor(str(actor))),
                       html=html_text, link=link, no_repeats=no_repeats, last_lines=last_lines,
                       short_command=short_command, code=code_span,
                       session=session, gate_question=gate_question, pre=pre_block,
                       many_hosts=many_hosts, by_outcome=by_outcome, output_groups=output_groups,
                       log_copy=lambda path: (logs or {}).get(Path(str(path)).name) if path else None)
    steps = list(state.steps.values())
    context: dict[str, Any] = {
        "run": state,
        "version": version,
        "steps": steps,
        "icon": _STATUS_ICON,
        "mermaid": mermaid_path(state),
        "review": _review(state),
        "front": front_page(state),
        "timeline": compact_timeline(state),
        "counts": _counts(steps),
        "failed_steps": [s for s in steps if s.failed],
    }
    return _compiled(env, template_source, version).render(context)


def _compiled(env: Environment, source: str, version: str) -> Template:
    """The template, compiled once per source and kept in the user's cache
    (~/.cache/runbookctl): compiling report.md.j2 costs ~40 ms a run; loading
    it costs under 1. Jinja checks the source's checksum and its own version;
    the name carries ours (the environment's options are part of the code)."""
    from jinja2 import DictLoader, FileSystemBytecodeCache

    # the environment's kind is part of the code compiled (a sandbox's calls are checked):
    # neither may load the other's, nor what an earlier release cached under one name
    name = f"report-{version}-{'sandboxed' if env.sandboxed else 'bundled'}.md.j2"
    env.loader = DictLoader({name: source})
    cache = _cache_dir()
    if cache is not None:
        env.bytecode_cache = FileSystemBytecodeCache(str(cache))
    return env.get_template(name)


def _cache_dir() -> Path | None:
    from platformdirs import user_cache_dir

    folder = Path(os.environ.get("RUNBOOKCTL_CACHE_DIR") or user_cache_dir("runbookctl")) / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
    except OSError:
        return None  # no cache: compile every time
    # Code is loaded from there: only from a folder nobody else can write to.
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


def front_page(state: RunState) -> dict[str, Any]:
    """What the template's front page shows (record/front_page.py)."""
    return {"status": headline(state), "responders": responders(state), "times": key_times(state),
            "fields": review_fields(state), "actions": action_items(state), "signed": signer(state),
            "shown": (*FIELDS, "action-items"), "approvals": approvals(state)}


def _review(state: RunState) -> list[dict[str, Any]]:
    out = []
    for answer in state.answers:
        step = str(answer.get("step", ""))
        if answer.get("kind") == "ask" and step.rsplit("/", 1)[-1] in REVIEW_IDS:
            out.append(answer)
    return out


def _counts(steps: list[StepRecord]) -> dict[str, int]:
    """Steps by outcome for the Steps row: one skipped after it failed is failed, as the
    run's outcome says (outcomes.py:is_failure)."""
    counts: dict[str, int] = {}
    for s in steps:
        status = "failed" if s.failed else s.status
        counts[status] = counts.get(status, 0) + 1
    return counts


def cell(value: object) -> str:
    """Safe inside a Markdown table cell: pipes escaped, newlines as <br>."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    return "<br>".join(line for line in text.splitlines()) if "\n" in text else text


def html_text(value: object) -> str:
    """Text inside raw HTML (a <summary>): no tag or entity of it is live."""
    import html

    return html.escape(" ".join(("" if value is None else str(value)).split()))


def link(value: object) -> str:
    """A ticket: a link when it is an http(s) URL, plain text otherwise (never HTML)."""
    text = " ".join(("" if value is None else str(value)).split())
    if re.fullmatch(r"https?://[^\s<>()\[\]|`]+", text):
        return f"<{text}>"
    return md_inline(text)


def last_lines(text: object, count: int) -> str:
    """The last `count` lines, saying how many were left out (the full log has them)."""
    lines = ("" if text is None else str(text)).rstrip("\n").splitlines()
    if len(lines) <= count:
        return "\n".join(lines)
    return "\n".join([f"[… {len(lines) - count} earlier lines: see the full log]", *lines[-count:]])


def code_span(value: object) -> str:
    """One line of text as an inline code span no backtick inside can close."""
    text = " ".join(("" if value is None else str(value)).split())
    if not text:
        return ""
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def session(command: object, tail: object) -> str:
    """A command and its output's tail as one console block: `$ ` before the command."""
    lines = ("" if command is None else str(command)).splitlines() or [""]
    shown = ["$ " + lines[0], *lines[1:]]
    output = "" if tail is None else str(tail)
    return "\n".join([*shown, output] if output else shown)


def short_command(text: object, ended_ok: bool) -> str:
    """A long command of a step that ended ok, cut to its first lines: the journal
    (command_started) and the runbook the front matter pins hold it whole. A failed
    or interrupted step's command, and one somebody confirmed, is shown whole
    (the template passes ended_ok False for those)."""
    lines = ("" if text is None else str(text)).rstrip("\n").splitlines()
    if not ended_ok or len(lines) <= _COMMAND_LINES:
        return "\n".join(lines)
    cut = len(lines) - _COMMAND_LINES + 1
    note = f"# … {cut} more lines: the journal's command_started has them"
    return "\n".join([*lines[:_COMMAND_LINES - 1], note])


_COMMAND_LINES = 2

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")


def md_inline(value: object) -> str:
    """Plain text that stays plain in Markdown, in a table cell too: a name such as
    `[x](https://evil)` or `**boss**` shows as typed, never as a link, emphasis or HTML."""
    text = " ".join(("" if value is None else str(value)).split())  # one line
    return _MD_SPECIAL.sub(r"\\\1", text)


def fence(text: object, lang: str = "") -> str:
    """A fenced code block longer than any backtick run inside the text."""
    body = "" if text is None else str(text).rstrip("\n")
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{body}\n{ticks}"


def pre_block(text: object) -> str:
    """Console text as an HTML <pre> inside <details>: three lines shorter than a
    fence (the block opens and closes on the text's own lines) and, as an HTML
    block that ends only at `</pre>`, blank output lines stay inside it. Every
    `<` and `&` of the text is escaped, so no output can end it or add a tag."""
    import html

    body = "" if text is None else str(text).rstrip("\n")
    return f"<pre>{html.escape(body, quote=False)}</pre>"


def yaml_str(value: object) -> str:
    """A YAML-safe scalar for the front matter."""
    import json

    if value is None:
        return "null"
    return json.dumps(str(value), ensure_ascii=False)


def shown_value(value: object) -> str:
    return answer_text(value)


def gate_question(question: object) -> str:
    """A confirmation's question without the command the gate showed under it
    (`QUESTION\n$ COMMAND`): the step's detail shows the command once."""
    return ("" if question is None else str(question)).split("\n$ ", 1)[0]
