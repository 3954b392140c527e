"""The command line: parse flags, build a Session and a UI, call a command.

No logic lives here. Heavy modules are imported inside the commands so that
`runbookctl --help` starts instantly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from runbookctl import __version__
from runbookctl.errors import ExitCode

if TYPE_CHECKING:
    from runbookctl.check.workspace import Session
    from runbookctl.cli.terminal import UI
    from runbookctl.engine.request import RunRequest

app = typer.Typer(
    name="runbookctl",
    help="Executable runbooks: YAML step graphs of shell, SSH and human steps, journaled as "
    "they run and written up as a Markdown incident report.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # plain help: rich's help renderer costs ~75 ms of start-up (markdown_it etc.)
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

RunbooksOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--runbooks",
        metavar="DIR",
        help="A folder of runbooks searched before the others (repeatable).",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Config file (default: runbookctl.yaml in this folder or a parent).",
        show_default=False,
    ),
]


class _Globals:
    runbooks: list[Path] | None = None
    config: Path | None = None


G = _Globals()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"runbookctl {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_callback(
    runbooks: RunbooksOpt = None,
    config: ConfigOpt = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Executable runbooks with a journal and a Markdown report."""
    G.runbooks = runbooks
    G.config = config


def _session() -> Session:
    from runbookctl.check.workspace import Session

    return Session.create(G.runbooks, G.config)


def _ui() -> UI:
    from runbookctl.cli.terminal import UI

    return UI()


def _guard(fn: Callable[[], int | None]) -> NoReturn:
    """Run a command body under the one error handler."""
    from runbookctl.cli.error_handler import handle

    raise typer.Exit(handle(fn))


@app.command("list")
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    tag: Annotated[
        str | None, typer.Option("--tag", metavar="TAG", help="Only runbooks with this tag.")
    ] = None,
) -> None:
    """List the runbooks found on the search path: id, title, severity, steps, source."""
    from runbookctl.cli.commands import catalog

    _guard(lambda: catalog.list_runbooks(_session(), _ui(), as_json=as_json, tag=tag))


@app.command("show")
def show_cmd(
    runbook: Annotated[str, typer.Argument(metavar="RUNBOOK", help="Runbook id or path to a runbook file.")],
    graph: Annotated[
        bool, typer.Option("--graph", help="Print the step graph as a Mermaid flowchart.")
    ] = False,
) -> None:
    """Show a runbook's inputs and steps, or its step graph with --graph."""
    from runbookctl.cli.commands import catalog

    _guard(lambda: catalog.show_runbook(_session(), _ui(), runbook, graph=graph))


@app.command("validate")
def validate_cmd(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[RUNBOOK|PATH]...",
            help="Runbook ids, files or folders (default: every runbook found).",
            show_default=False,
        ),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", metavar="FILE", help="Also check this answers file against the (single) runbook."
        ),
    ] = None,
) -> None:
    """Check runbooks: every problem as path:line:col. Exit 0 valid, 2 invalid."""
    from runbookctl.cli.commands import validate as v

    _guard(lambda: v.validate(_session(), targets or [], answers))


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of the runbook format (for editors and CI)."""
    from runbookctl.cli.commands import catalog

    _guard(catalog.print_schema)


Var = Annotated[
    list[str] | None,
    typer.Option(
        "--var", metavar="NAME=VALUE", help="Set an input: NAME=VALUE (repeatable).", show_default=False
    ),
]
VarsFile = Annotated[
    Path | None,
    typer.Option("--vars-file", metavar="FILE", help="YAML file of input values.", show_default=False),
]
Answers = Annotated[
    Path | None,
    typer.Option(
        "--answers",
        metavar="FILE",
        help="YAML answers to prompts, keyed by step id (for drills and CI).",
        show_default=False,
    ),
]
Yes = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Answer yes to confirmation gates (never to dangerous steps, questions or manual checks).",
    ),
]
NoInput = Annotated[
    bool, typer.Option("--no-input", help="Never prompt: an unanswered prompt stops the run with exit 2.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would run; only readonly steps execute.")]
FromStep = Annotated[
    str | None, typer.Option("--from", metavar="STEP", help="Start at this step id.", show_default=False)
]
ReportDir = Annotated[
    Path | None,
    typer.Option(
        "--report-dir",
        metavar="DIR",
        help="Where the report is written (default: config reports_dir, else ./reports).",
        show_default=False,
    ),
]
Operator = Annotated[
    str | None,
    typer.Option(
        "--operator",
        metavar="NAME",
        help="Who is running this (default: config operator, $RUNBOOKCTL_OPERATOR, the login).",
        show_default=False,
    ),
]
Incident = Annotated[
    str | None,
    typer.Option("--incident", metavar="ID", help="Incident id, shown in the report.", show_default=False),
]
Commit = Annotated[
    bool,
    typer.Option(
        "--commit",
        help="Commit the report and its journal to the git repository holding the report dir (never pushes).",
    ),
]
Hosts = Annotated[
    list[str] | None,
    typer.Option(
        "--hosts",
        metavar="GROUP=H1,H2",
        help="Host group override: GROUP=h1,h2 (repeatable).",
        show_default=False,
    ),
]


# The options `run` and `weekly` share (their signatures must list them for typer;
# a test keeps the two lists equal).
RUN_OPTIONS = ("var", "vars_file", "answers", "yes", "no_input", "dry_run", "from_step",
               "report_dir", "operator", "incident", "commit", "hosts")


def _request(runbook: str, params: dict[str, Any]) -> RunRequest:
    """A RunRequest from a command's parameters (its `locals()` on entry)."""
    from runbookctl.engine.request import RunRequest

    kw = {name: params[name] for name in RUN_OPTIONS}
    kw["variables"] = kw.pop("var") or []
    kw["hosts"] = kw["hosts"] or []
    return RunRequest(runbook=runbook, **kw)


@app.command("run")
def run_cmd(
    runbook: Annotated[str, typer.Argument(metavar="RUNBOOK", help="Runbook id or path to a runbook file.")],
    var: Var = None,
    vars_file: VarsFile = None,
    answers: Answers = None,
    yes: Yes = False,
    no_input: NoInput = False,
    dry_run: DryRun = False,
    from_step: FromStep = None,
    report_dir: ReportDir = None,
    operator: Operator = None,
    incident: Incident = None,
    commit: Commit = False,
    hosts: Hosts = None,
) -> None:
    """Run a runbook: every step journaled, a Markdown report written at the end.

    Exit codes: 0 completed, 1 failed or aborted, 2 usage error / invalid runbook / unanswered
    prompt, 3 internal error, 130 interrupted (resumable).
    """
    params = dict(locals())
    from runbookctl.cli.commands.run import run_command

    req = _request(runbook, params)
    _guard(lambda: run_command(req, _session(), _ui()))


@app.command("weekly")
def weekly_cmd(
    day: Annotated[
        str | None,
        typer.Argument(metavar="[DAY]", help="monday … sunday (default: today).", show_default=False),
    ] = None,
    var: Var = None,
    vars_file: VarsFile = None,
    answers: Answers = None,
    yes: Yes = False,
    no_input: NoInput = False,
    dry_run: DryRun = False,
    from_step: FromStep = None,
    report_dir: ReportDir = None,
    operator: Operator = None,
    incident: Incident = None,
    commit: Commit = False,
    hosts: Hosts = None,
) -> None:
    """Run the weekly ops checklist `weekly-<day>` (default: today's). Same options as run.

    First asks about what the previous run of the same checklist left failed or skipped
    (answers file key: `carry-over/STEP`: resolved | still open | won't fix).
    """
    params = dict(locals())
    from runbookctl.cli.commands.run import resolve_day
    from runbookctl.cli.commands.weekly import weekly_command

    def body() -> int:
        req = _request(f"weekly-{resolve_day(day)}", params)
        return weekly_command(req, _session(), _ui())

    _guard(body)


@app.command("runs")
def runs_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="At most N runs, newest first.")] = 20,
    runbook: Annotated[
        str | None,
        typer.Option("--runbook", metavar="ID", help="Only runs of this runbook.", show_default=False),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Only runs that ended so: completed, failed, aborted, interrupted, running, "
            "abandoned.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only runs started after a date (2026-11-01) or an age ago (7d, 12h).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run history from the state dir: id, runbook, status, operator, started, duration."""
    from runbookctl.cli.commands import history

    _guard(
        lambda: history.list_runs(
            _session(), _ui(), as_json=as_json, limit=limit, runbook=runbook, status=status, since=since
        )
    )


@app.command("stats")
def stats_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    reports: Annotated[
        Path | None,
        typer.Option(
            "--reports",
            metavar="DIR",
            help="Read the journal copies committed under DIR (a post-mortem repo) instead of the state dir.",
            show_default=False,
        ),
    ] = None,
    runbook: Annotated[
        str | None, typer.Option("--runbook", metavar="ID", help="Only this runbook.", show_default=False)
    ] = None,
) -> None:
    """Per runbook and month: runs, completion rate, time to resolve (median, p90), most-failed steps."""
    from runbookctl.cli.commands import stats

    _guard(lambda: stats.stats(_session(), _ui(), as_json=as_json, reports=reports, runbook=runbook))


@app.command("report")
def report_cmd(
    run_id: Annotated[
        str,
        typer.Argument(metavar="RUN_ID", help="Run id (see `runbookctl runs`); a unique prefix is enough."),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write here instead of the run's report path; '-' for stdout.",
        ),
    ] = None,
) -> None:
    """Re-render a run's Markdown report from its journal."""
    from runbookctl.cli.commands import history

    _guard(lambda: history.rerender(_session(), _ui(), run_id, output))


@app.command("resume")
def resume_cmd(
    run_id: Annotated[
        str | None,
        typer.Argument(
            metavar="[RUN_ID]",
            help="Run id or unique prefix (default: the only unfinished run; at a terminal, "
            "choose among them).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Resume even though the runbook file changed since the run began.")
    ] = False,
    var: Var = None,
    answers: Answers = None,
    yes: Yes = False,
    no_input: NoInput = False,
    operator: Operator = None,
    commit: Commit = False,
) -> None:
    """Continue an interrupted run where it stopped; completed steps never run again.

    A step that was running when the run stopped is UNKNOWN: you choose rerun, done, failed or
    skip (answers file: `STEP: {resume: rerun|done|failed|skip}`). Secrets are read again.
    """
    from runbookctl.cli.commands.resume import ResumeRequest, resume_command

    req = ResumeRequest(
        run_id=run_id,
        force=force,
        answers=answers,
        yes=yes,
        no_input=no_input,
        operator=operator,
        variables=var or [],
        commit=commit,
    )
    _guard(lambda: resume_command(req, _session(), _ui()))


@app.command("discard")
def discard_cmd(
    run_id: Annotated[
        str,
        typer.Argument(metavar="RUN_ID", help="Run id (see `runbookctl runs`); a unique prefix is enough."),
    ],
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="TEXT", help="Why, for the record (journal and report).",
                     show_default=False),
    ] = None,
) -> None:
    """End an unfinished run as abandoned: journaled, its report rewritten; it can no longer be
    resumed, and `runs` shows it as abandoned.
    """
    from runbookctl.cli.commands.stale import discard_command

    _guard(lambda: discard_command(_session(), _ui(), run_id, reason))


@app.command("verify")
def verify_cmd(
    target: Annotated[
        str,
        typer.Argument(metavar="REPORT_OR_RUN", help="A report file, a journal file, a run dir or a run id."),
    ],
) -> None:
    """Check a run's journal hash chain, and that a report matches its journal.

    Exit 0 valid, 1 tampered (each problem located), 2 not found.
    """
    from runbookctl.cli.commands.verify import verify

    _guard(lambda: verify(_session(), target))


@app.command("new")
def new_cmd(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The runbook id: a lowercase slug, e.g. db-overload.")
    ],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Where to write NAME.yaml (default: the first --runbooks folder, else ./runbooks).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing NAME.yaml.")] = False,
) -> None:
    """Scaffold a runbook: a valid DIR/NAME.yaml with every key explained in a comment."""
    from runbookctl.cli.commands.authoring import new_runbook

    _guard(lambda: new_runbook(name, directory=directory, force=force, runbook_dirs=G.runbooks or []))


@app.command("import")
def import_cmd(
    playbook: Annotated[
        str, typer.Argument(metavar="PLAYBOOK.md", help="A Markdown playbook ('-' reads stdin).")
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="Write one DIR/<id>.yaml per runbook (default: one YAML stream on stdout, as with -).",
            show_default=False,
        ),
    ] = None,
    id_prefix: Annotated[
        str, typer.Option("--id-prefix", metavar="P", help="Start every runbook id with P- (e.g. team name).")
    ] = "",
    force: Annotated[bool, typer.Option("--force", help="Overwrite runbook files already in DIR.")] = False,
) -> None:
    """Turn a Markdown playbook into runbooks that validate.

    Each heading holding numbered steps, checklists or code blocks becomes a runbook (id from
    the heading, severity from "P1" / "Severity 2" in it or its parents); items become manual
    steps, shell blocks run steps behind a confirmation (timeout 5m), [placeholders] in
    commands become inputs; conditions ("If X:") are left as TODO comments to review.
    Without --output the runbooks are printed as one YAML stream.
    """
    from runbookctl.cli.commands.authoring import import_playbook

    _guard(lambda: import_playbook(playbook, output=output, id_prefix=id_prefix, force=force))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None
